//! Who a request acts for.

use crate::store::{Rep, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no rep exists yet: create one with `server user add`")]
    NoRep,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// The rep on whose behalf this request acts.
///
/// Reps do not sign in yet, so every request acts for the first rep (the demo
/// rep in demo mode). This is the one place that decides it: routes and
/// server functions all ask here.
pub async fn current_rep(
    store: &dyn Store,
    _request: &http::request::Parts,
) -> Result<Rep, AuthError> {
    store.first_rep().await?.ok_or(AuthError::NoRep)
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes), salted per hash;
/// the PHC string keeps the parameters, so they can be raised later.
pub fn hash_password(password: &crate::domain::NewPassword) -> Result<String, AuthError> {
    use argon2::{Argon2, password_hash::PasswordHasher};
    Argon2::default()
        .hash_password(password.as_str().as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches `hash` (a PHC string from [`hash_password`]).
pub fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::{
        Argon2,
        password_hash::{PasswordVerifier, phc::PasswordHash},
    };
    PasswordHash::new(hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewPassword;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let first = hash_password(&password).unwrap();
        let second = hash_password(&password).unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(password_matches("correct horse battery", &first));
        assert!(!password_matches("correct horse battery!", &first));
        assert!(!password_matches("correct horse battery", "not a hash"));
    }
}
