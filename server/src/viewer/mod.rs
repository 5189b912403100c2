//! The recipients' side: `/l/{code}` shows the shared recording, its
//! comments and until when the link works; `/l/{code}/video` streams it;
//! `/l/{code}/poster.jpg` is its poster (for the player, the share email and
//! link unfurls: fetching it is not an open).
//!
//! Plain server-rendered HTML, one small stylesheet and one small script:
//! recipients open links on any device, so the page stays light and the video
//! plays with scripts off. Every request checks the link again, so a removed
//! recipient or an expired share loses access at once, mid-video included.
//!
//! Here: the link check and the problem pages; [`page`], [`video`] and
//! [`reports`] (opened, watched) are the routes; [`limits`] counts unknown
//! codes per client; [`headers`] keeps every answer private under its CSP;
//! [`assets`] serves the page's stylesheet and script.

mod assets;
mod headers;
mod limits;
mod page;
mod reports;
mod video;

pub use headers::VIEWER_POLICY;
pub use limits::{LinkMisses, MISS_BURST, MISS_REFILL, REPORT_BURST, ReportLimits};
pub use reports::NOTIFY_AT_MOST_EVERY;

use std::{net::IpAddr, sync::Arc};

use app::{link::LinkCode, store::LinkedShare};
use askama::Template;
use axum::{
    Router,
    extract::DefaultBodyLimit,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use http::{StatusCode, header};

use crate::state::{AppState, ViewerState};
use headers::{plain, private};

/// The recipients' routes: plain HTML, outside the Leptos app.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/l/{code}", get(page::page))
        .route("/l/{code}/video", get(video::video))
        .route("/l/{code}/poster.jpg", get(video::poster))
        .route(
            "/l/{code}/opened",
            post(reports::opened).layer(DefaultBodyLimit::max(limits::REPORT_BYTES)),
        )
        .route(
            "/l/{code}/watched",
            post(reports::watched).layer(DefaultBodyLimit::max(limits::REPORT_BYTES)),
        )
        .route(assets::CSS_URL, get(assets::css))
        .route(assets::JS_URL, get(assets::js))
}

/// The share a link code opens right now, or why not.
async fn check(
    state: &ViewerState,
    client: IpAddr,
    code: &str,
) -> Result<Arc<LinkedShare>, Problem> {
    // Malformed codes cannot exist; no need to ask the database.
    let found = match LinkCode::parse(code) {
        Some(code) => state
            .store
            .linked_share(&code)
            .await
            .map_err(Problem::from_store)?,
        None => None,
    };
    match found {
        Some(share) if state.clock.now() >= share.expires_at => Err(Problem::Expired),
        Some(share) => Ok(share),
        // Unknown, revoked, or its recipient removed: all look the same.
        None if state.link_misses.allow(client) => Err(Problem::Unavailable),
        None => Err(Problem::TooManyTries),
    }
}

/// Why a link shows no recording. The pages say nothing about the share, so
/// a guessed or forwarded code learns nothing.
#[derive(Clone, Copy)]
enum Problem {
    Unavailable,
    Expired,
    /// Too many unknown codes from this client lately, or too many reports
    /// from this link.
    TooManyTries,
    /// The database cannot be reached just now.
    DatabaseAway,
    Server,
}

impl Problem {
    fn from_store(error: app::store::StoreError) -> Self {
        match error {
            app::store::StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "the database is unreachable");
                Self::DatabaseAway
            }
            other => {
                tracing::error!(error = %other, "the store failed");
                Self::Server
            }
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::Unavailable => StatusCode::NOT_FOUND,
            Self::Expired => StatusCode::GONE,
            Self::TooManyTries => StatusCode::TOO_MANY_REQUESTS,
            Self::DatabaseAway => StatusCode::SERVICE_UNAVAILABLE,
            Self::Server => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Unavailable => "This link is not available",
            Self::Expired => "This recording link has expired",
            Self::TooManyTries => "Too many tries",
            Self::DatabaseAway => "This recording cannot be shown just now",
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
            Self::DatabaseAway => "Please try again in a moment.",
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
