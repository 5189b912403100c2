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
