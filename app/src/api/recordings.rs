//! Server functions: thin doors that parse their input, find the rep the
//! request acts for, and ask the store.

use leptos::prelude::*;

use crate::domain::RecordingSummary;

/// Every recording the rep owns, newest first.
#[server(endpoint = "recordings/list")]
pub async fn list_recordings() -> Result<Vec<RecordingSummary>, ServerFnError> {
    let (store, rep) = ssr::store_and_rep().await?;
    let recordings = store.recordings_of(rep.id).await.map_err(ssr::internal)?;
    Ok(recordings.iter().map(|r| ssr::summary(r, &rep)).collect())
}

/// One of the rep's recordings; `None` when there is no such recording or
/// another rep owns it (the two look the same from outside).
#[server(endpoint = "recordings/get")]
pub async fn get_recording(id: i64) -> Result<Option<RecordingSummary>, ServerFnError> {
    let (store, rep) = ssr::store_and_rep().await?;
    let recording = store
        .recording_of(rep.id, id)
        .await
        .map_err(ssr::internal)?;
    Ok(recording.map(|r| ssr::summary(&r, &rep)))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use jiff::tz::TimeZone;
    use leptos::prelude::*;

    use crate::auth::current_rep;
    use crate::domain::RecordingSummary;
    use crate::store::{Recording, Rep, SharedStore};

    /// The store and the rep this request acts for.
    pub async fn store_and_rep() -> Result<(SharedStore, Rep), ServerFnError> {
        let store = use_context::<SharedStore>()
            .ok_or_else(|| ServerFnError::new("the store is not configured"))?;
        let parts: http::request::Parts = leptos_axum::extract().await?;
        let rep = current_rep(store.as_ref(), &parts)
            .await
            .map_err(|e| ServerFnError::new(e.to_string()))?;
        Ok((store, rep))
    }

    /// Logs the cause and gives the browser a message without internals.
    pub fn internal(error: impl std::fmt::Display) -> ServerFnError {
        tracing::error!(%error, "server function failed");
        ServerFnError::new("Something went wrong on our side. Please try again.")
    }

    pub fn summary(recording: &Recording, rep: &Rep) -> RecordingSummary {
        let tz = TimeZone::get(&rep.time_zone).unwrap_or(TimeZone::UTC);
        RecordingSummary {
            id: recording.id,
            title: recording.title.clone(),
            created_at: recording.created_at.to_string(),
            created_on: recording
                .created_at
                .to_zoned_datetime(tz)
                .strftime("%b %-d, %Y")
                .to_string(),
            duration_ms: recording.duration_ms,
        }
    }
}
