//! What every answer about a link carries.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// The viewer page loads its own stylesheet, script and video, and talks only
/// to this site; it has no inline script or style.
pub const VIEWER_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A link is a bearer secret: keep it out of other sites' logs (Referer) and
/// out of shared caches, and never let a cache answer for an expired link.
pub fn private(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(VIEWER_POLICY),
    );
}

/// A short plain-text answer, kept private.
pub fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    let mut response = (status, text.into()).into_response();
    private(&mut response);
    response
}

/// An empty answer (a report was taken), kept private.
pub fn no_content() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    private(&mut response);
    response
}
