//! Sessions and the sign-in guard. The cookie carries only a random session
//! id; the session (which rep is signed in) is in the database, so signing
//! out ends it for good and every server process sees it.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex, mpsc::SyncSender},
    time::{Duration, Instant},
};

use app::auth::{AuthError, Guard, PasswordGuard, current_rep};
use tokio::sync::oneshot;

use crate::client::client_key;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::StatusCode;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use url::Url;

/// A session ends after this long without a request.
const IDLE_EXPIRY: time::Duration = time::Duration::days(14);

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` when the app is
/// served over https. Expired sessions are deleted hourly.
pub fn session_layer(
    sessions: crate::store::SessionStore,
    public_url: &Url,
) -> SessionManagerLayer<crate::store::SessionStore> {
    use tower_sessions::ExpiredDeletion;
    tokio::spawn(
        sessions
            .clone()
            .continuously_delete_expired(Duration::from_secs(3600)),
    );
    SessionManagerLayer::new(sessions)
        .with_name("session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(public_url.scheme() == "https")
        .with_expiry(Expiry::OnInactivity(IDLE_EXPIRY))
}

/// Wrong passwords an account may take: a burst of this many, then one more
/// for every [`FAILURE_REFILL`] without one. Successes do not count, so a
/// rep who signs in often is never locked out.
const FAILURE_BURST: f64 = 10.0;
const FAILURE_REFILL: Duration = Duration::from_secs(60);
/// Attempts one client (an IPv4 address or an IPv6 /64) may make: a burst
/// of 30, then one every 2 s.
const CLIENT_BURST: u32 = 30;
const CLIENT_REFILL: Duration = Duration::from_secs(2);
/// Argon2 checks at once (each holds 19 MiB), each on a thread of its own
/// that keeps its memory for the next check, and how many may wait for one;
/// more are refused at once (429), so a flood of sign-ins cannot exhaust
/// memory.
const CHECKS_AT_ONCE: usize = 4;
const CHECKS_WAITING: usize = 64;
/// Keys kept before the ones that have recovered are forgotten.
const KEYS_KEPT: usize = 100_000;

/// Limits on password checks: per account (wrong passwords), per client
/// (all attempts), and at once. In memory, per server process.
pub fn password_guard() -> PasswordGuard {
    let per_client: DefaultKeyedRateLimiter<IpAddr> = RateLimiter::keyed(
        Quota::with_period(CLIENT_REFILL)
            .expect("a period above zero")
            .allow_burst(NonZeroU32::new(CLIENT_BURST).expect("above zero")),
    );
    PasswordGuard(Arc::new(Limits {
        per_client,
        failures: Mutex::new(HashMap::new()),
        checks: password_checkers(),
    }))
}

/// A password to check against a hash, and where the answer goes.
type Check = (String, String, oneshot::Sender<bool>);

/// Starts the threads that check passwords. A check runs on one of them, so
/// the memory Argon2 takes is reused rather than left in the allocator of
/// whichever thread of a large pool ran it last.
fn password_checkers() -> SyncSender<Check> {
    let (checks, queue) = std::sync::mpsc::sync_channel::<Check>(CHECKS_WAITING);
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..CHECKS_AT_ONCE {
        let queue = queue.clone();
        std::thread::Builder::new()
            .name(format!("password-check-{n}"))
            .spawn(move || {
                let mut checker = app::auth::PasswordChecker::default();
                loop {
                    let next = queue.lock().expect("never poisoned").recv();
                    let Ok((password, hash, answer)) = next else {
                        return;
                    };
                    let _ = answer.send(checker.matches(&password, &hash));
                }
            })
            .expect("a thread for password checks");
    }
    checks
}

struct Limits {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    /// Per account: wrong passwords not yet forgiven, as of when.
    failures: Mutex<HashMap<String, (f64, Instant)>>,
    /// The checkers' queue (bounded: a full queue refuses).
    checks: SyncSender<Check>,
}

impl Limits {
    /// Wrong passwords of `account` still counted at `now`.
    fn failures_at(entry: (f64, Instant), now: Instant) -> f64 {
        let (count, at) = entry;
        let forgiven = now.duration_since(at).as_secs_f64() / FAILURE_REFILL.as_secs_f64();
        (count - forgiven).max(0.0)
    }
}

#[async_trait::async_trait]
impl Guard for Limits {
    fn admit(&self, account: &str, client: IpAddr) -> bool {
        if self.per_client.len() > KEYS_KEPT {
            self.per_client.retain_recent();
        }
        let locked = {
            let failures = self.failures.lock().expect("never poisoned");
            failures
                .get(account)
                .is_some_and(|entry| Self::failures_at(*entry, Instant::now()) >= FAILURE_BURST)
        };
        // A locked account does not use up its client's allowance.
        !locked && self.per_client.check_key(&client_key(client)).is_ok()
    }

    fn failed(&self, account: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("never poisoned");
        if failures.len() > KEYS_KEPT {
            failures.retain(|_, entry| Self::failures_at(*entry, now) > 0.0);
        }
        let counted = failures
            .get(account)
            .map_or(0.0, |entry| Self::failures_at(*entry, now));
        failures.insert(account.to_string(), (counted + 1.0, now));
    }

    async fn verify(&self, password: String, hash: String) -> Option<bool> {
        let (answer, matches) = oneshot::channel();
        self.checks.try_send((password, hash, answer)).ok()?;
        matches.await.ok()
    }
}

/// The rep's pages: without a signed-in rep they send the browser to
/// `/signin`, which brings it back afterwards.
fn is_rep_page(path: &str) -> bool {
    ["/", "/recordings", "/shares", "/settings", "/dev/mailbox"].contains(&path)
        || path.starts_with("/recordings/")
        || path.starts_with("/shares/")
        || path.starts_with("/dev/mailbox/")
}

/// Sends requests for the rep's pages to `/signin` unless a rep is signed in.
/// (Server functions and media check the session themselves.)
pub async fn require_sign_in(
    State(store): State<app::store::SharedStore>,
    request: Request,
    next: Next,
) -> Response {
    if !is_rep_page(request.uri().path()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match current_rep(store.as_ref(), &parts).await {
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(AuthError::SignedOut) => {
            let wanted = parts
                .uri
                .path_and_query()
                .map_or("/recordings", |p| p.as_str());
            let next: String = url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
            Redirect::to(&format!("/signin?next={next}")).into_response()
        }
        Err(error) => unavailable_or_failed(error),
    }
}

/// A session that could not be read: its store (the database) is away for
/// now (503, try again), or something else failed (500).
pub fn unavailable_or_failed(error: AuthError) -> Response {
    match error {
        AuthError::Session(_) | AuthError::Store(app::store::StoreError::Unavailable(_)) => {
            tracing::warn!(%error, "the database is unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot reach its database just now. Please try again in a moment.",
            )
                .into_response()
        }
        other => {
            tracing::error!(error = %other, "could not read the session");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The rep side's POSTs (server functions, uploads) act with the rep's
/// session cookie, so a page on another site must not be able to send them
/// (cross-site request forgery). Browsers say where a request comes from:
/// `Sec-Fetch-Site`, or else `Origin`. Clients that send neither are not
/// browsers and cannot be tricked into sending someone's cookie.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let changes = !matches!(*request.method(), http::Method::GET | http::Method::HEAD);
    if changes && request.uri().path().starts_with("/api/") && is_cross_site(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            "Requests from other sites are refused.",
        )
            .into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &http::HeaderMap) -> bool {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value(http::header::HeaderName::from_static("sec-fetch-site")) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = value(http::header::ORIGIN) else {
        return false;
    };
    let authority = Url::parse(origin).ok().and_then(|url| {
        let host = url.host_str()?.to_string();
        Some(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    });
    authority.as_deref() != value(http::header::HOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn requests_from_other_sites_are_recognised() {
        let host = ("host", "127.0.0.1:3000");
        assert!(!is_cross_site(&headers(&[host])), "not a browser");
        assert!(!is_cross_site(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(is_cross_site(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(is_cross_site(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!is_cross_site(&headers(&[
            host,
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(is_cross_site(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(is_cross_site(&headers(&[host, ("origin", "null")])));
    }
}
