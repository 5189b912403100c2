//! `GET`/`HEAD /l/{code}/video`: the recording, with byte ranges, while the
//! link is valid. The link is checked again every few seconds while the
//! bytes flow, so revoking it, removing its recipient, ending the share or
//! deleting the recording stops a stream already under way. `GET
//! /l/{code}/poster.jpg`: its poster, while the link is valid.

use std::{io, time::Duration};

use app::{auth::ClientAddr, link::LinkCode};
use axum::{
    Extension,
    body::Body,
    extract::{Path, Request, State},
    response::Response,
};
use futures::StreamExt;
use http::{HeaderValue, StatusCode};
use tokio::time::Instant;

use super::{check, headers::plain};
use crate::state::ViewerState;

/// How often a stream checks that its link still opens the recording.
const RECHECK: Duration = Duration::from_secs(3);

pub async fn video(
    State(state): State<ViewerState>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Path(code): Path<String>,
    request: Request,
) -> Response {
    match check(&state, client, &code).await {
        Ok(share) => {
            let Some((file, _)) = share.recording.ready() else {
                return plain(StatusCode::NOT_FOUND, "This recording is not ready yet.");
            };
            // The browser may keep the bytes but must ask again before
            // reusing them, so an expired or revoked link stops playing.
            let cache = HeaderValue::from_static("private, no-cache");
            let response = state.media.serve(file, request, cache).await;
            let code = share.code.clone();
            response.map(|body| while_valid(body, state, code))
        }
        Err(problem) => plain(problem.status(), problem.heading()),
    }
}

/// The poster: for the player, the share email and link unfurls. Asking
/// for it records no open (mail clients and chat apps fetch it unasked).
pub async fn poster(
    State(state): State<ViewerState>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Path(code): Path<String>,
    request: Request,
) -> Response {
    match check(&state, client, &code).await {
        Ok(share) => match &share.recording.poster_key {
            Some(key) => {
                let cache = HeaderValue::from_static("private, max-age=300");
                state.media.serve_image(key, request, cache).await
            }
            None => plain(StatusCode::NOT_FOUND, "This recording has no poster yet."),
        },
        Err(problem) => plain(problem.status(), problem.heading()),
    }
}

/// `body`, cut off at the first check (every [`RECHECK`]) that finds the
/// link no longer opening the recording. A failed lookup does not cut it:
/// the database being away for a moment is no reason to stop a video.
fn while_valid(body: Body, state: ViewerState, code: LinkCode) -> Body {
    let stream = body.into_data_stream();
    let checked = Instant::now();
    Body::from_stream(futures::stream::unfold(
        Some((stream, state, code, checked)),
        |streaming| async move {
            let (mut stream, state, code, mut checked) = streaming?;
            let chunk = stream.next().await?;
            if checked.elapsed() >= RECHECK {
                let valid = match state.store.linked_share(&code).await {
                    Ok(Some(share)) => state.clock.now() < share.expires_at,
                    Ok(None) => false,
                    Err(_) => true,
                };
                if !valid {
                    let gone = io::Error::other("the link no longer opens this recording");
                    return Some((Err(axum::Error::new(gone)), None));
                }
                checked = Instant::now();
            }
            Some((chunk, Some((stream, state, code, checked))))
        },
    ))
}
