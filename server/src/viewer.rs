//! The recipients' side: `/l/{code}` shows the shared recording, its
//! comments and until when the link works; `/l/{code}/video` streams it.
//!
//! Plain server-rendered HTML, one small stylesheet and one small script:
//! recipients open links on any device, so the page stays light and the video
//! plays with scripts off. Every request checks the link again, so a removed
//! recipient or an expired share loses access at once, mid-video included.

use app::{
    domain::{available_until, format_clock, is_link_code, parse_watch_report},
    store::{LinkedShare, NewOpen},
};
use askama::Template;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::{
    net::{IpAddr, Ipv6Addr, SocketAddr},
    num::NonZeroU32,
};

use axum::{
    Json,
    extract::{ConnectInfo, Path, Request, State},
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

/// Unknown codes one client may try: a burst of this many, then one more
/// every [`MISS_REFILL`]. A person mistyping a link never notices; guessing
/// 95-bit codes at that pace is pointless.
pub const MISS_BURST: u32 = 20;
pub const MISS_REFILL: std::time::Duration = std::time::Duration::from_secs(3);

/// Counts each client's misses on `/l/{code}` (per IPv4 address, per IPv6
/// /64, since one host can hold a whole /64).
pub struct LinkMisses(DefaultKeyedRateLimiter<IpAddr>);

impl Default for LinkMisses {
    fn default() -> Self {
        let quota = Quota::with_period(MISS_REFILL)
            .expect("a refill period above zero")
            .allow_burst(NonZeroU32::new(MISS_BURST).expect("a burst above zero"));
        Self(RateLimiter::keyed(quota))
    }
}

impl LinkMisses {
    /// Counts a miss; `false` once the client has missed too often.
    fn allow(&self, client: IpAddr) -> bool {
        // Forget clients whose allowance is whole again, now and then.
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&client_key(client)).is_ok()
    }
}

/// Whom the miss limit counts: an IPv4 address, or an IPv6 /64.
fn client_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// The share a link code opens right now, or why not.
async fn check(state: &AppState, client: IpAddr, code: &str) -> Result<Box<LinkedShare>, Problem> {
    // Malformed codes cannot exist; no need to ask the database.
    let found = if is_link_code(code) {
        state.store.linked_share(code).await.map_err(|error| {
            tracing::error!(%error, "could not look up a link");
            Problem::Server
        })?
    } else {
        None
    };
    match found {
        Some(share) if Timestamp::now() >= share.expires_at => Err(Problem::Expired),
        Some(share) => Ok(Box::new(share)),
        // Unknown, revoked, or its recipient removed: all look the same.
        None if state.link_misses.allow(client) => Err(Problem::Unavailable),
        None => Err(Problem::TooManyTries),
    }
}

/// `GET /l/{code}`: the viewer page.
pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Response {
    let share = match check(&state, client.ip(), &code).await {
        Ok(share) => share,
        Err(problem) => return error_page(problem),
    };
    let page = ViewerPage {
        title: &share.title,
        sender_name: &share.sender_name,
        available_until: available_until(share.expires_at, &share.time_zone),
        video_url: format!("/l/{}/video", share.code),
        opened_url: format!("/l/{}/opened", share.code),
        watched_url: format!("/l/{}/watched", share.code),
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
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    request: Request,
) -> Response {
    match check(&state, client.ip(), &code).await {
        Ok(share) => {
            // The browser may keep the bytes but must ask again before
            // reusing them, so an expired or revoked link stops playing.
            let cache = HeaderValue::from_static("private, no-cache");
            state.media.serve(&share.recording, request, cache).await
        }
        Err(problem) => plain(problem.status(), problem.heading()),
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
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Json(report): Json<OpenReport>,
) -> Response {
    let share = match check(&state, client.ip(), &code).await {
        Ok(share) => share,
        Err(problem) => return plain(problem.status(), problem.heading()),
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
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Json(report): Json<WatchReport>,
) -> Response {
    let share = match check(&state, client.ip(), &code).await {
        Ok(share) => share,
        Err(problem) => return plain(problem.status(), problem.heading()),
    };
    let ranges = match parse_watch_report(&report.ranges, share.recording.duration_ms) {
        Ok(ranges) => ranges,
        Err(error) => return plain(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
    };
    match state.store.record_watch(share.recipient_id, &ranges).await {
        Ok(()) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            private(&mut response);
            response
        }
        Err(error) => {
            tracing::error!(%error, "could not record what was watched");
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
    /// Where it reports what was watched.
    watched_url: String,
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
    /// Too many unknown codes from this client lately.
    TooManyTries,
    Server,
}

impl Problem {
    fn status(self) -> StatusCode {
        match self {
            Self::Unavailable => StatusCode::NOT_FOUND,
            Self::Expired => StatusCode::GONE,
            Self::TooManyTries => StatusCode::TOO_MANY_REQUESTS,
            Self::Server => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Unavailable => "This link is not available",
            Self::Expired => "This recording link has expired",
            Self::TooManyTries => "Too many tries",
            Self::Server => "Something went wrong",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Self::Unavailable => {
                "Check that the link is complete, or ask the person who shared it with you."
            }
            Self::Expired => "Ask the person who shared it with you for a new link.",
            Self::TooManyTries => "Please wait a minute, then check the link and try again.",
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

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    let mut response = (status, text.into()).into_response();
    private(&mut response);
    response
}

/// A link is a bearer secret: keep it out of other sites' logs (Referer) and
/// out of shared caches, and never let a cache answer for an expired link.
fn private(response: &mut Response) {
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

/// The viewer page loads its own stylesheet, script and video, and talks only
/// to this site; it has no inline script or style.
pub const VIEWER_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misses_are_counted_per_ipv4_address_and_per_ipv6_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            client_key(ip("2001:db8:1:2::9"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:3::1")),
            client_key(ip("2001:db8:1:2::1"))
        );
    }

    #[test]
    fn a_client_gets_a_burst_of_misses_then_is_refused() {
        let misses = LinkMisses::default();
        let client = "198.51.100.1".parse().unwrap();
        assert!((0..MISS_BURST).all(|_| misses.allow(client)));
        assert!(!misses.allow(client));
        assert!(
            misses.allow("198.51.100.2".parse().unwrap()),
            "others are not affected"
        );
    }
}
