//! What the viewer page's script reports: that the page was opened in a
//! browser, and what was played.

use std::sync::Arc;

use app::auth::ClientAddr;
use app::{
    domain::parse_watch_report,
    store::{LinkedShare, NewOpen, Queue},
};
use axum::{
    Extension, Json,
    extract::{Path, State},
    response::Response,
};
use http::{HeaderMap, StatusCode, header};
use jiff::{SignedDuration, tz::TimeZone};
use serde::Deserialize;

use super::{
    Problem, check,
    headers::{no_content, plain},
};
use crate::state::ViewerState;

/// After the first notification of opens by a recipient, the next comes at
/// most this much later.
pub const NOTIFY_AT_MOST_EVERY: SignedDuration = SignedDuration::from_hours(1);

/// The share a report is about: its link must open it now, and its page
/// may not have sent too many reports lately.
async fn reporting(
    state: &ViewerState,
    client: std::net::IpAddr,
    code: &str,
) -> Result<Arc<LinkedShare>, Problem> {
    let share = check(state, client, code).await?;
    if state.report_limits.allow(share.recipient_id) {
        Ok(share)
    } else {
        Err(Problem::TooManyTries)
    }
}

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
    State(state): State<ViewerState>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Json(report): Json<OpenReport>,
) -> Response {
    let share = match reporting(&state, client, &code).await {
        Ok(share) => share,
        Err(problem) => return plain(problem.status(), problem.heading()),
    };
    let open = NewOpen {
        recipient_id: share.recipient_id,
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
    let now = state.clock.now();
    // Without email, nobody could be told: the open is only recorded.
    let quiet_since = state
        .notify_opens
        .then(|| now.checked_sub(NOTIFY_AT_MOST_EVERY).unwrap_or(now));
    match state.store.record_open(open, quiet_since).await {
        Ok(notify) => {
            if notify {
                state.jobs.wake(Queue::Email);
            }
            no_content()
        }
        Err(error) => {
            let problem = Problem::from_store(error);
            plain(problem.status(), problem.heading())
        }
    }
}

/// What the viewer page's script reports while the recording plays: every
/// stretch the browser has played so far, `[start, end]` in seconds.
#[derive(Debug, Deserialize)]
pub struct WatchReport {
    ranges: Vec<[f64; 2]>,
}

/// `POST /l/{code}/watched`: adds what the recipient watched to what they
/// watched before. A report with any range outside the recording (negative,
/// past its end, backwards) is refused whole and changes nothing.
pub async fn watched(
    State(state): State<ViewerState>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Path(code): Path<String>,
    Json(report): Json<WatchReport>,
) -> Response {
    let share = match reporting(&state, client, &code).await {
        Ok(share) => share,
        Err(problem) => return plain(problem.status(), problem.heading()),
    };
    // A recording not (or no longer) playable has nothing to have watched.
    let Some((_, duration_ms)) = share.recording.ready() else {
        let problem = Problem::Unavailable;
        return plain(problem.status(), problem.heading());
    };
    let ranges = match parse_watch_report(&report.ranges, duration_ms) {
        Ok(ranges) => ranges,
        Err(error) => return plain(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
    };
    match state.store.record_watch(share.recipient_id, &ranges).await {
        Ok(()) => no_content(),
        Err(error) => {
            let problem = Problem::from_store(error);
            plain(problem.status(), problem.heading())
        }
    }
}
