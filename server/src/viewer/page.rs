//! `GET /l/{code}`: the recording under the share's title, the sender's
//! name, the day the link stops working, and the comments.

use app::auth::ClientAddr;
use app::domain::{available_until, format_clock};
use askama::Template;
use axum::{
    Extension,
    extract::{Path, State},
    response::Response,
};
use http::StatusCode;

use super::{check, error_page, html};
use crate::state::ViewerState;

pub async fn page(
    State(state): State<ViewerState>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Path(code): Path<String>,
) -> Response {
    let share = match check(&state, client, &code).await {
        Ok(share) => share,
        Err(problem) => return error_page(problem),
    };
    let code = share.code.as_str();
    let has_poster = share.recording.poster_key.is_some();
    let poster_url = has_poster.then(|| format!("/l/{code}/poster.jpg"));
    let preview = share.link_preview.then(|| LinkPreview {
        title: &share.title,
        image: has_poster.then(|| format!("{}/poster.jpg", state.links.url(&share.code))),
    });
    let page = ViewerPage {
        title: &share.title,
        preview,
        poster_url,
        sender_name: &share.sender_name,
        available_until: available_until(share.expires_at, &share.time_zone),
        video_url: format!("/l/{code}/video"),
        opened_url: format!("/l/{code}/opened"),
        watched_url: format!("/l/{code}/watched"),
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

#[derive(Template)]
#[template(path = "viewer/page.html")]
struct ViewerPage<'a> {
    title: &'a str,
    /// What a pasted link unfurls into, unless the rep turned it off.
    preview: Option<LinkPreview<'a>>,
    poster_url: Option<String>,
    sender_name: &'a str,
    available_until: String,
    video_url: String,
    /// Where the page's script reports that it was opened.
    opened_url: String,
    /// Where it reports what was watched.
    watched_url: String,
    comments: Vec<CommentItem<'a>>,
}

/// Open Graph: the title and (absolute) poster URL.
struct LinkPreview<'a> {
    title: &'a str,
    image: Option<String>,
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
