//! Who a request acts for: the rep signed in on its session.

use crate::store::{Rep, RepId, Store, StoreError};

/// `PUBLIC_URL`: the app's address as people reach it, provided as context.
#[derive(Clone, Debug)]
pub struct PublicUrl(pub url::Url);

/// The session keys: the signed-in rep's id, and their session epoch when
/// the session began (a session of an older epoch is over).
const REP_KEY: &str = "rep_id";
const EPOCH_KEY: &str = "epoch";

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
/// request's session, if that session is still theirs (not ended by a new
/// password, "Sign out everywhere", or the rep being disabled). Every route
/// and server function of the rep side asks here.
pub async fn current_rep(
    store: &dyn Store,
    request: &http::request::Parts,
) -> Result<Rep, AuthError> {
    let session = session_of(request)?;
    let id: Option<RepId> = session.get(REP_KEY).await.map_err(session_error)?;
    let id = id.ok_or(AuthError::SignedOut)?;
    // Sessions from before epochs existed carry none: the first epoch.
    let epoch: i64 = session
        .get(EPOCH_KEY)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    match store.rep_by_id(id).await? {
        Some(rep) if !rep.disabled && rep.session_epoch == epoch => Ok(rep),
        _ => Err(AuthError::SignedOut),
    }
}

/// Starts the rep's session under a new id, so an id planted before sign-in
/// (session fixation) is worthless after it.
pub async fn start_session(request: &http::request::Parts, rep: &Rep) -> Result<(), AuthError> {
    let session = session_of(request)?;
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(REP_KEY, rep.id)
        .await
        .map_err(session_error)?;
    session
        .insert(EPOCH_KEY, rep.session_epoch)
        .await
        .map_err(session_error)
}

/// Keeps this request's session going after its rep's epoch moved to
/// `epoch` (their other sessions are over).
pub async fn keep_session(request: &http::request::Parts, epoch: i64) -> Result<(), AuthError> {
    let session = session_of(request)?;
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(EPOCH_KEY, epoch)
        .await
        .map_err(session_error)
}

/// Ends the session on the server (the cookie alone is then worthless).
pub async fn end_session(request: &http::request::Parts) -> Result<(), AuthError> {
    session_of(request)?.flush().await.map_err(session_error)
}

fn session_of(request: &http::request::Parts) -> Result<tower_sessions::Session, AuthError> {
    request
        .extensions
        .get::<tower_sessions::Session>()
        .cloned()
        .ok_or_else(|| AuthError::Session("no session layer".into()))
}

fn session_error(error: tower_sessions::session::Error) -> AuthError {
    AuthError::Session(error.to_string())
}

/// The client's address as the server sees it (behind trusted proxies, the
/// address they report), put on every request by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// Guards password checks (signing in, and the current password in
/// Settings): how many attempts an account and a client may make, and how
/// many checks run at once. The server provides it as context.
#[derive(Clone)]
pub struct PasswordGuard(pub std::sync::Arc<dyn Guard>);

#[async_trait::async_trait]
pub trait Guard: Send + Sync + 'static {
    /// Whether another attempt may be made for `account` from `client` now
    /// (counts the attempt against the client).
    fn admit(&self, account: &str, client: std::net::IpAddr) -> bool;
    /// Counts a wrong password against `account`.
    fn failed(&self, account: &str);
    /// Checks `password` against `hash` on a blocking thread, a few checks
    /// at a time (each takes tens of MiB); `None` when too many wait already.
    async fn verify(&self, password: String, hash: String) -> Option<bool>;
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
/// For a one-off check; a thread that checks many keeps a [`PasswordChecker`].
pub fn password_matches(password: &str, hash: &str) -> bool {
    PasswordChecker::default().matches(password, hash)
}

/// Checks passwords against Argon2 hashes in memory it keeps from one check
/// to the next. (Each check needs the hash's memory cost, 19 MiB by default;
/// allocated anew for every check, the allocator keeps piling it up.)
#[derive(Default)]
pub struct PasswordChecker {
    blocks: Vec<argon2::Block>,
}

/// Memory a stored hash may ask for: 256 MiB in 1 KiB blocks.
const MAX_BLOCKS: usize = 256 * 1024;

impl PasswordChecker {
    pub fn matches(&mut self, password: &str, hash: &str) -> bool {
        self.check(password, hash).unwrap_or(false)
    }

    fn check(&mut self, password: &str, hash: &str) -> Option<bool> {
        use argon2::{
            Algorithm, Argon2, Params, Version,
            password_hash::phc::{Output, PasswordHash},
        };
        let hash = PasswordHash::new(hash).ok()?;
        let (salt, expected) = (hash.salt.as_ref()?, hash.hash.as_ref()?);
        let algorithm = Algorithm::try_from(hash.algorithm.as_str()).ok()?;
        let version = match hash.version {
            Some(version) => Version::try_from(version).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&hash).ok()?;
        let needed = params.block_count();
        if needed > MAX_BLOCKS {
            return None;
        }
        if self.blocks.len() < needed {
            self.blocks.resize(needed, argon2::Block::default());
        }
        let mut out = [0u8; 64];
        let out = out.get_mut(..expected.len())?;
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt.as_ref(),
                out,
                &mut self.blocks[..needed],
            )
            .ok()?;
        // Output's equality takes as long whatever the bytes.
        Some(Output::new(out).ok()? == *expected)
    }
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
