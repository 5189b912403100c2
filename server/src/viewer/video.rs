//! `GET`/`HEAD /l/{code}/video`: the recording, with byte ranges, while the
//! link is valid.

use app::auth::ClientAddr;
use axum::{
    Extension,
    extract::{Path, Request, State},
    response::Response,
};
use http::HeaderValue;

use super::{check, headers::plain};
use crate::state::ViewerState;

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
            state.media.serve(&share.recording, request, cache).await
        }
        Err(problem) => plain(problem.status(), problem.heading()),
    }
}
