//! Sessions and the sign-in guard. The cookie carries only a random session
//! id; the session (which rep is signed in) is in the database, so signing
//! out ends it for good and every server process sees it.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use app::auth::{AuthError, SignInLimits, current_rep};
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

/// Sign-in attempts: per account, a burst of 10 then one a minute; per
/// address, a burst of 30 then one every 10 s. Enough for a person who
/// mistypes, far too few to guess a password.
pub fn limits() -> SignInLimits {
    let per_account: DefaultKeyedRateLimiter<String> = RateLimiter::keyed(
        Quota::with_period(Duration::from_secs(60))
            .expect("a period above zero")
            .allow_burst(NonZeroU32::new(10).expect("above zero")),
    );
    let per_address: DefaultKeyedRateLimiter<IpAddr> = RateLimiter::keyed(
        Quota::with_period(Duration::from_secs(10))
            .expect("a period above zero")
            .allow_burst(NonZeroU32::new(30).expect("above zero")),
    );
    SignInLimits(Arc::new(move |email: &str, client: IpAddr| {
        // Forget keys whose allowance is whole again, so made-up emails and
        // addresses cannot fill the memory.
        if per_account.len() + per_address.len() > 100_000 {
            per_account.retain_recent();
            per_address.retain_recent();
        }
        let account = per_account.check_key(&email.to_string()).is_ok();
        let address = per_address.check_key(&client).is_ok();
        account && address
    }))
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
        Err(error) => {
            tracing::error!(%error, "could not read the session");
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
