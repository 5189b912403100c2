//! One module per page of the rep's side.

pub mod profile;
pub mod recording;
pub mod recordings;
pub mod sent_shares;
pub mod signin;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::domain::{RecordingId, ShareId};

/// The current route's numeric `:id` as an id of type `Id`; `None` when it
/// is not a number.
pub fn route_id<Id>() -> impl Fn() -> Option<Id> + Copy + Send + Sync + 'static
where
    Id: std::str::FromStr,
{
    let params = use_params_map();
    move || params.read().get("id").and_then(|id| id.parse::<Id>().ok())
}

/// `/recordings/{id}`'s recording.
pub fn recording_id() -> impl Fn() -> Option<RecordingId> + Copy + Send + Sync + 'static {
    route_id()
}

/// `/shares/{id}`'s share.
pub fn share_id() -> impl Fn() -> Option<ShareId> + Copy + Send + Sync + 'static {
    route_id()
}

/// Marks the response 404 when rendered on the server.
pub fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    view! {
        <Title text="Page not found" />
        <h1>"Page not found"</h1>
        <p><a href="/recordings">"Back to your recordings"</a></p>
    }
}
