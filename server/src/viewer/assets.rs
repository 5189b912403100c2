//! The viewer page's stylesheet and script, embedded in the binary so the
//! server serves them itself, whatever is in the site root.

use axum::response::{IntoResponse, Response};
use http::header;

pub const CSS_URL: &str = "/viewer.css";
pub const JS_URL: &str = "/viewer.js";

const CSS: &str = include_str!("../../../public/viewer.css");
const JS: &str = include_str!("../../../public/viewer.js");

pub async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Not fingerprinted, so cached briefly: a change reaches everyone within the hour.
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
