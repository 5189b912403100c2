//! Server functions of the recordings library.

use leptos::prelude::*;

use super::ApiError;
use crate::{domain::RecordingId, views::RecordingSummary};

/// Every recording the rep owns, newest first.
#[server(endpoint = "recordings/list")]
pub async fn list_recordings() -> Result<Vec<RecordingSummary>, ApiError> {
    use super::ssr::{Ctx, answer};

    answer(async move {
        let ctx = Ctx::load().await?;
        let recordings = ctx.store.recordings_of(ctx.rep.id).await?;
        Ok(recordings.iter().map(|r| ctx.summary(r)).collect())
    })
    .await
}

/// One of the rep's recordings; `None` when there is no such recording or
/// another rep owns it (the two look the same from outside).
#[server(endpoint = "recordings/get")]
pub async fn get_recording(id: RecordingId) -> Result<Option<RecordingSummary>, ApiError> {
    use super::ssr::{Ctx, answer};

    answer(async move {
        let ctx = Ctx::load().await?;
        let recording = ctx.store.recording_of(ctx.rep.id, id).await?;
        Ok(recording.map(|r| ctx.summary(&r)))
    })
    .await
}

/// Deletes one of the rep's recordings: every link to it stops working at
/// once and its media is deleted; its shares stay on the Shares page.
#[server(endpoint = "recordings/delete")]
pub async fn delete_recording(id: RecordingId) -> Result<(), ApiError> {
    use super::ssr::{Ctx, answer, found};
    use crate::store::Queue;

    answer(async move {
        let ctx = Ctx::load().await?;
        found(ctx.store.delete_recording(ctx.rep.id, id).await)?;
        // Its media goes by a job, retried until it is gone.
        ctx.wake(Queue::MediaDeletion);
        Ok(())
    })
    .await
}
