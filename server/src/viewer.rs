//! The recipients' side: `/l/{code}` shows the shared recording, its
//! comments and until when the link works; `/l/{code}/video` streams it.
//!
//! Plain server-rendered HTML, one small stylesheet and one small script:
//! recipients open links on any device, so the page stays light and the video
//! plays with scripts off. Every request checks the link again, so a removed
//! recipient or an expired share loses access at once, mid-video included.

use app::{
    domain::{available_until, format_clock, is_link_code},
    store::{LinkedShare, NewOpen, Store},
};
use askama::Template;
use axum::{
    Json,
    extract::{Path, Request, State},
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::Deserialize;

use crate::startup::AppState;

pub const CSS_URL: &str = "/viewer.css";
pub const JS_URL: &str = "/viewer.js";

// Embedded so the server serves them itself, whatever is in the site root.
const CSS: &str = include_str!("../../public/viewer.css");
const JS: &str = include_str!("../../public/viewer.js");

/// What a link code leads to right now.
enum Link {
    Valid(Box<LinkedShare>),
    Expired,
    /// Unknown, revoked, or its recipient removed: all look the same.
    Unavailable,
}

async fn check(store: &dyn Store, code: &str) -> Result<Link, Response> {
    // Malformed codes cannot exist; no need to ask the database.
    if !is_link_code(code) {
        return Ok(Link::Unavailable);
    }
    match store.linked_share(code).await {
        Ok(Some(share)) if Timestamp::now() >= share.expires_at => Ok(Link::Expired),
        Ok(Some(share)) => Ok(Link::Valid(Box::new(share))),
        Ok(None) => Ok(Link::Unavailable),
        Err(error) => {
            tracing::error!(%error, "could not look up a link");
            Err(error_page(Problem::Server))
        }
    }
}

/// `GET /l/{code}`: the viewer page.
pub async fn page(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let share = match check(state.store.as_ref(), &code).await {
        Ok(Link::Valid(share)) => share,
        Ok(Link::Expired) => return error_page(Problem::Expired),
        Ok(Link::Unavailable) => return error_page(Problem::Unavailable),
        Err(response) => return response,
    };
    let page = ViewerPage {
        title: &share.title,
        sender_name: &share.sender_name,
        available_until: available_until(share.expires_at, &share.time_zone),
        video_url: format!("/l/{}/video", share.code),
        opened_url: format!("/l/{}/opened", share.code),
        comments: share
            .comments
            .iter()
            .map(|c| CommentItem {
                body: &c.body,
                at: c.at_ms.map(|ms| SeekTo {
                    clock: format_clock(ms),
                    // Whole seconds print without a fraction ("10"), others as "10.5".
                    seconds: (ms as f64 / 1000.0).to_string(),
                }),
            })
            .collect(),
    };
    html(StatusCode::OK, &page)
}

/// `GET`/`HEAD /l/{code}/video`: the recording, with byte ranges, while the
/// link is valid.
pub async fn video(
    State(state): State<AppState>,
    Path(code): Path<String>,
    request: Request,
) -> Response {
    match check(state.store.as_ref(), &code).await {
        Ok(Link::Valid(share)) => {
            // The browser may keep the bytes but must ask again before
            // reusing them, so an expired or revoked link stops playing.
            let cache = HeaderValue::from_static("private, no-cache");
            crate::media::serve_file(&state.media, &share.recording, request, cache).await
        }
        Ok(Link::Expired) => plain(StatusCode::GONE, Problem::Expired.heading()),
        Ok(Link::Unavailable) => plain(StatusCode::NOT_FOUND, Problem::Unavailable.heading()),
        Err(response) => response,
    }
}

/// After the first notification of opens by a recipient, the next comes at
/// most this much later.
pub const NOTIFY_AT_MOST_EVERY: SignedDuration = SignedDuration::from_hours(1);

/// What the viewer page's script reports when it runs in a browser.
#[derive(Debug, Deserialize)]
pub struct OpenReport {
    /// The browser's local time, e.g. `2026-11-28T16:12:05`.
    local: Option<String>,
    /// The browser's IANA time zone, e.g. `America/New_York`.
    zone: Option<String>,
    /// The browser's offset from UTC in minutes east (New York in winter: -300).
    offset_min: Option<i64>,
}

/// `POST /l/{code}/opened`: the viewer page ran in a browser. Only the
/// page's script sends this, so link scanners that fetch the page (GET or
/// HEAD) without running it are not counted. Every open is recorded; the
/// sender hears of the first, then at most once an hour per recipient.
pub async fn opened(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Json(report): Json<OpenReport>,
) -> Response {
    let share = match check(state.store.as_ref(), &code).await {
        Ok(Link::Valid(share)) => share,
        Ok(Link::Expired) => return plain(StatusCode::GONE, Problem::Expired.heading()),
        Ok(Link::Unavailable) => {
            return plain(StatusCode::NOT_FOUND, Problem::Unavailable.heading());
        }
        Err(response) => return response,
    };
    let now = Timestamp::now();
    let open = NewOpen {
        recipient_id: share.recipient_id,
        opened_at: now,
        reported_local: report.local.filter(|l| l.len() <= 40),
        reported_zone: report
            .zone
            .filter(|z| z.len() <= 64 && TimeZone::get(z).is_ok()),
        reported_offset_min: report.offset_min.filter(|m| m.abs() <= 18 * 60),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect()),
    };
    let quiet_since = now.checked_sub(NOTIFY_AT_MOST_EVERY).unwrap_or(now);
    match state.store.record_open(open, quiet_since).await {
        Ok(notify) => {
            if notify {
                state.outbox.wake();
            }
            let mut response = StatusCode::NO_CONTENT.into_response();
            private(&mut response);
            response
        }
        Err(error) => {
            tracing::error!(%error, "could not record an open");
            plain(StatusCode::INTERNAL_SERVER_ERROR, Problem::Server.heading())
        }
    }
}

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

#[derive(Template)]
#[template(path = "viewer/page.html")]
struct ViewerPage<'a> {
    title: &'a str,
    sender_name: &'a str,
    available_until: String,
    video_url: String,
    /// Where the page's script reports that it was opened.
    opened_url: String,
    comments: Vec<CommentItem<'a>>,
}

struct CommentItem<'a> {
    body: &'a str,
    at: Option<SeekTo>,
}

struct SeekTo {
    /// As the player shows time: "0:10", "1:02:03".
    clock: String,
    /// For the script: where to seek, in seconds.
    seconds: String,
}

/// Why a link shows no recording. The pages say nothing about the share, so
/// a guessed or forwarded code learns nothing.
#[derive(Clone, Copy)]
enum Problem {
    Unavailable,
    Expired,
    Server,
}

impl Problem {
    fn status(self) -> StatusCode {
        match self {
            Self::Unavailable => StatusCode::NOT_FOUND,
            Self::Expired => StatusCode::GONE,
            Self::Server => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Unavailable => "This link is not available",
            Self::Expired => "This recording link has expired",
            Self::Server => "Something went wrong",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Self::Unavailable => {
                "Check that the link is complete, or ask the person who shared it with you."
            }
            Self::Expired => "Ask the person who shared it with you for a new link.",
            Self::Server => "Please try again in a moment.",
        }
    }
}

#[derive(Template)]
#[template(path = "viewer/unavailable.html")]
struct ProblemPage {
    heading: &'static str,
    advice: &'static str,
}

fn error_page(problem: Problem) -> Response {
    let page = ProblemPage {
        heading: problem.heading(),
        advice: problem.advice(),
    };
    html(problem.status(), &page)
}

fn html(status: StatusCode, page: &impl Template) -> Response {
    let body = match page.render() {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "could not render a viewer page");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong");
        }
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    private(&mut response);
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = (status, text).into_response();
    private(&mut response);
    response
}

/// A link is a bearer secret: keep it out of other sites' logs (Referer) and
/// out of shared caches, and never let a cache answer for an expired link.
fn private(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
}
