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
use tower_sessions_sqlx_store::SqliteStore;
use url::Url;

use crate::startup::AppState;

/// A session ends after this long without a request.
const IDLE_EXPIRY: time::Duration = time::Duration::days(14);

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` when the app is
/// served over https. Expired sessions are deleted hourly.
pub fn session_layer(sessions: SqliteStore, public_url: &Url) -> SessionManagerLayer<SqliteStore> {
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
        let account = per_account.check_key(&email.to_string()).is_ok();
        let address = per_address.check_key(&client).is_ok();
        account && address
    }))
}

/// The rep's pages: without a signed-in rep they send the browser to
/// `/signin`, which brings it back afterwards.
fn is_rep_page(path: &str) -> bool {
    path == "/" || path == "/recordings" || path.starts_with("/recordings/")
}

/// Sends requests for the rep's pages to `/signin` unless a rep is signed in.
/// (Server functions and media check the session themselves.)
pub async fn require_sign_in(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !is_rep_page(request.uri().path()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match current_rep(state.store.as_ref(), &parts).await {
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
