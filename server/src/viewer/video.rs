//! `GET`/`HEAD /l/{code}/video`: the recording, with byte ranges, while the
//! link is valid. The link is checked again every few seconds while the
//! bytes flow, so revoking it, removing its recipient, ending the share or
//! deleting the recording stops a stream already under way.

use std::{io, time::Duration};

use app::{auth::ClientAddr, link::LinkCode};
use axum::{
    Extension,
    body::Body,
    extract::{Path, Request, State},
    response::Response,
};
use futures::StreamExt;
use http::HeaderValue;
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
            // The browser may keep the bytes but must ask again before
            // reusing them, so an expired or revoked link stops playing.
            let cache = HeaderValue::from_static("private, no-cache");
            let response = state.media.serve(&share.recording, request, cache).await;
            let code = share.code.clone();
            response.map(|body| while_valid(body, state, code))
        }
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
