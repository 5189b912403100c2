//! Server functions of the recordings library.

use leptos::prelude::*;

use crate::domain::RecordingSummary;

/// Every recording the rep owns, newest first.
#[server(endpoint = "recordings/list")]
pub async fn list_recordings() -> Result<Vec<RecordingSummary>, ServerFnError> {
    let (store, rep) = super::ssr::store_and_rep().await?;
    let recordings = store
        .recordings_of(rep.id)
        .await
        .map_err(super::ssr::internal)?;
    Ok(recordings
        .iter()
        .map(|r| super::ssr::summary(r, &rep))
        .collect())
}

/// One of the rep's recordings; `None` when there is no such recording or
/// another rep owns it (the two look the same from outside).
#[server(endpoint = "recordings/get")]
pub async fn get_recording(id: i64) -> Result<Option<RecordingSummary>, ServerFnError> {
    let (store, rep) = super::ssr::store_and_rep().await?;
    let recording = store
        .recording_of(rep.id, id)
        .await
        .map_err(super::ssr::internal)?;
    Ok(recording.map(|r| super::ssr::summary(&r, &rep)))
}

/// Deletes one of the rep's recordings: every link to it stops working at
/// once and its media is deleted; its shares stay on the Shares page.
#[server(endpoint = "recordings/delete")]
pub async fn delete_recording(id: i64) -> Result<(), ServerFnError> {
    let (store, rep) = super::ssr::store_and_rep().await?;
    let deleted = store
        .delete_recording(rep.id, id)
        .await
        .map_err(super::ssr::internal)?;
    match deleted {
        Some(media_key) => {
            if let Some(media) = use_context::<crate::store::MediaRemover>() {
                media.remove(media_key);
            }
            Ok(())
        }
        None => {
            super::ssr::set_status(http::StatusCode::NOT_FOUND);
            Err(ServerFnError::new("There is no such recording."))
        }
    }
}
