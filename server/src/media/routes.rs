//! The rep's own media: `/media/recordings/{id}` (the video, with byte
//! ranges), and its `poster.jpg`, `previews.jpg` (the timeline sprite) and
//! `previews.vtt` (the sprite's WebVTT index). Another rep's recording, or
//! one not ready, is not found.

use app::{
    auth::current_rep,
    store::{Recording, RecordingId},
};
use axum::{
    extract::{Path, Request, State},
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};

use crate::state::MediaState;

const PRIVATE: HeaderValue = HeaderValue::from_static("private, max-age=3600");

/// The signed-in rep's recording `id`, and the request back.
async fn own_recording(
    state: &MediaState,
    id: RecordingId,
    request: Request,
) -> Result<(Recording, Request), Response> {
    let (parts, body) = request.into_parts();
    let Ok(rep) = current_rep(state.store.as_ref(), &parts).await else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    match state.store.recording_of(rep.id, id).await {
        Ok(Some(recording)) => Ok((recording, Request::from_parts(parts, body))),
        Ok(None) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(error) => {
            tracing::error!(%error, "could not look up a recording");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// `GET /media/recordings/{id}`: the file players get, once ready.
pub async fn video(
    State(state): State<MediaState>,
    Path(id): Path<RecordingId>,
    request: Request,
) -> Response {
    let (recording, request) = match own_recording(&state, id, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match recording.ready() {
        Some((file, _)) => state.media.serve(file, request, PRIVATE).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /media/recordings/{id}/poster.jpg`.
pub async fn poster(
    State(state): State<MediaState>,
    Path(id): Path<RecordingId>,
    request: Request,
) -> Response {
    image(&state, id, request, |r| r.poster_key.as_deref()).await
}

/// `GET /media/recordings/{id}/previews.jpg`.
pub async fn previews(
    State(state): State<MediaState>,
    Path(id): Path<RecordingId>,
    request: Request,
) -> Response {
    image(&state, id, request, |r| {
        r.previews.as_ref().map(|p| p.key.as_str())
    })
    .await
}

/// The image `pick` names of the rep's recording `id`, once it has one.
async fn image(
    state: &MediaState,
    id: RecordingId,
    request: Request,
    pick: impl Fn(&Recording) -> Option<&str>,
) -> Response {
    let (recording, request) = match own_recording(state, id, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match pick(&recording) {
        Some(key) => state.media.serve_image(key, request, PRIVATE).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /media/recordings/{id}/previews.vtt`.
pub async fn previews_index(
    State(state): State<MediaState>,
    Path(id): Path<RecordingId>,
    request: Request,
) -> Response {
    let (recording, _) = match own_recording(&state, id, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match (&recording.previews, recording.duration_ms) {
        (Some(previews), Some(duration_ms)) => {
            let sprite = format!("/media/recordings/{id}/previews.jpg");
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/vtt")),
                    (header::CACHE_CONTROL, PRIVATE),
                ],
                previews.layout.webvtt(&sprite, duration_ms),
            )
                .into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
