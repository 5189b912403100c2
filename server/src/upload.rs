//! `POST /api/recordings/upload?title=…`: the file is the raw request body,
//! streamed to the media directory as it arrives.

use app::{
    api::ssr::summary,
    auth::current_rep,
    domain::RecordingTitle,
    store::{Queue, StoreError},
};
use axum::{
    Json,
    extract::{Query, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{media::IngestError, state::UploadState};

#[derive(Deserialize)]
pub struct UploadQuery {
    title: Option<String>,
}

/// A refusal the upload form shows as it is: `{"error": "…"}`. The body may
/// be partly unread, so the connection is not reused (a client sending its
/// next request on it would find it closed).
pub fn refusal(status: StatusCode, message: impl Into<String>) -> Response {
    let headers = [(header::CONNECTION, "close")];
    (
        status,
        headers,
        Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}

/// How much of a refused upload is still read (and dropped) before answering.
const DRAIN_AFTER_REFUSAL: u64 = 64 * 1024 * 1024;

async fn drain(body: &mut axum::body::BodyDataStream, at_most: u64) {
    use futures::StreamExt;
    let mut read = 0u64;
    while read < at_most {
        match body.next().await {
            Some(Ok(chunk)) => read += chunk.len() as u64,
            _ => break,
        }
    }
}

pub async fn upload_recording(
    State(state): State<UploadState>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let mut body = body.into_data_stream();
    let rep = match current_rep(state.store.as_ref(), &parts).await {
        Ok(rep) => rep,
        Err(app::auth::AuthError::SignedOut) => {
            drain(&mut body, DRAIN_AFTER_REFUSAL).await;
            return refusal(StatusCode::UNAUTHORIZED, "Sign in to upload.");
        }
        Err(error) => return crate::signin::unavailable_or_failed(error),
    };
    let title = match RecordingTitle::parse(query.title.as_deref().unwrap_or("Untitled recording"))
    {
        Ok(title) => title,
        Err(error) => {
            drain(&mut body, DRAIN_AFTER_REFUSAL).await;
            return refusal(StatusCode::BAD_REQUEST, error.to_string());
        }
    };
    let limit = state.max_upload_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::TooLarge {
                limit_mb: limit.div_ceil(1 << 20),
            }
            .to_string(),
        );
    }

    let now = state.clock.now();
    let added = state
        .media
        .add_recording(&state.store, rep.id, title, &mut body, limit, now)
        .await;
    match added {
        Ok(recording) => {
            state.jobs.wake(Queue::Processing);
            tracing::info!(recording = %recording.id, "recording uploaded");
            (StatusCode::CREATED, Json(summary(&recording, &rep))).into_response()
        }
        Err(error) => {
            // Clients read the answer only once they have sent their body:
            // take in (and drop) a bounded rest of it so they see the refusal.
            drain(&mut body, DRAIN_AFTER_REFUSAL).await;
            let status = match &error {
                IngestError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                IngestError::Empty | IngestError::NotVideo => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                IngestError::Interrupted(_) => StatusCode::BAD_REQUEST,
                IngestError::Stalled => StatusCode::REQUEST_TIMEOUT,
                IngestError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                    tracing::error!(error = %io, "no room for an upload");
                    return refusal(
                        StatusCode::INSUFFICIENT_STORAGE,
                        "The server has no room for this file just now. Please try again later.",
                    );
                }
                IngestError::Store(StoreError::Unavailable(reason)) => {
                    tracing::error!(%reason, "no database for an upload");
                    return refusal(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The recording could not be saved just now. Please try again.",
                    );
                }
                IngestError::Io(_) | IngestError::Store(_) => {
                    tracing::error!(%error, "could not store an upload");
                    return refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "The file could not be stored. Please try again.",
                    );
                }
            };
            refusal(status, error.to_string())
        }
    }
}
