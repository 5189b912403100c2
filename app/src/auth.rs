//! Who a request acts for: the rep signed in on its session.

use crate::store::{Rep, RepId, Store, StoreError};

/// `PUBLIC_URL`: the app's address as people reach it, provided as context.
#[derive(Clone, Debug)]
pub struct PublicUrl(pub url::Url);

/// The session key holding the signed-in rep's id.
const REP_KEY: &str = "rep_id";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("not signed in")]
    SignedOut,
    #[error("session store: {0}")]
    Session(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// The rep on whose behalf this request acts: the one signed in on the
/// request's session. Every route and server function of the rep side asks
/// here; a request without a signed-in rep is refused.
pub async fn current_rep(
    store: &dyn Store,
    request: &http::request::Parts,
) -> Result<Rep, AuthError> {
    let session = session_of(request)?;
    let id: Option<RepId> = session
        .get(REP_KEY)
        .await
        .map_err(|e| AuthError::Session(e.to_string()))?;
    let id = id.ok_or(AuthError::SignedOut)?;
    store.rep_by_id(id).await?.ok_or(AuthError::SignedOut)
}

/// Starts the rep's session under a new id, so an id planted before sign-in
/// (session fixation) is worthless after it.
pub async fn start_session(request: &http::request::Parts, rep: RepId) -> Result<(), AuthError> {
    let session = session_of(request)?;
    session
        .cycle_id()
        .await
        .map_err(|e| AuthError::Session(e.to_string()))?;
    session
        .insert(REP_KEY, rep)
        .await
        .map_err(|e| AuthError::Session(e.to_string()))
}

/// Ends the session on the server (the cookie alone is then worthless).
pub async fn end_session(request: &http::request::Parts) -> Result<(), AuthError> {
    session_of(request)?
        .flush()
        .await
        .map_err(|e| AuthError::Session(e.to_string()))
}

fn session_of(request: &http::request::Parts) -> Result<tower_sessions::Session, AuthError> {
    request
        .extensions
        .get::<tower_sessions::Session>()
        .cloned()
        .ok_or_else(|| AuthError::Session("no session layer".into()))
}

/// Decides whether another sign-in attempt may be made for this email from
/// this address (the server counts them); provided as context.
#[derive(Clone)]
pub struct SignInLimits(pub std::sync::Arc<AllowAttempt>);

/// Counts an attempt for (email, client address); `false` when over a limit.
pub type AllowAttempt = dyn Fn(&str, std::net::IpAddr) -> bool + Send + Sync;

impl SignInLimits {
    pub fn allow(&self, email: &str, client: std::net::IpAddr) -> bool {
        (self.0)(email, client)
    }
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

/// The hash of a random password nobody knows, made once: checking unknown
/// emails against it makes them take as long as known ones.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = crate::domain::NewPassword::parse(&crate::link::random_alphanumerics(16))
            .expect("16 random characters make a valid password");
        hash_password(&password).unwrap_or_default()
    })
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
