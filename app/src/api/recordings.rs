//! Server functions of the recordings library.

use leptos::prelude::*;

use super::ApiError;
use crate::{
    domain::RecordingId,
    views::{Page, RecordingSummary},
};

/// A page of the rep's recordings, newest first, after the cursor `after`;
/// with `search`, only those whose title has it.
#[server(endpoint = "recordings/list")]
pub async fn list_recordings(
    search: Option<String>,
    after: Option<String>,
) -> Result<Page<RecordingSummary>, ApiError> {
    use super::ssr::{Ctx, answer, listing, page};
    use crate::domain::PageCursor;

    answer(async move {
        let listing = listing(search, after)?;
        let ctx = Ctx::load().await?;
        let recordings = ctx.store.recordings_of(ctx.rep.id, &listing).await?;
        Ok(page(
            recordings,
            |r| PageCursor {
                at_ms: r.created_at.as_millisecond(),
                id: r.id.get(),
            },
            |r| ctx.summary(r),
        ))
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
