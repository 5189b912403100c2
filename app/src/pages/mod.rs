//! One module per page of the rep's side.

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

pub mod listing;
pub mod profile;
pub mod recording;
pub mod recordings;
pub mod sent_shares;
pub mod signin;

/// How often an open page asks again for what changes by itself (opens,
/// processing).
const REFRESH_MS: u64 = 3_000;

/// Calls `refresh` every [`REFRESH_MS`] while the page is open and
/// `wanted()` (in the browser only; the server renders once).
pub fn keep_fresh(refresh: impl Fn() + 'static, wanted: impl Fn() -> bool + 'static) {
    let tick = std::rc::Rc::new(move || {
        if wanted() {
            refresh();
        }
    });
    Effect::new(move |_| {
        let tick = tick.clone();
        if let Ok(handle) =
            set_interval_with_handle(move || tick(), std::time::Duration::from_millis(REFRESH_MS))
        {
            on_cleanup(move || handle.clear());
        }
    });
}

/// Shows `latest` in `shown` only if it differs, so a refresh that changes
/// nothing leaves the page (and its focus) alone.
pub fn show_if_changed<T: PartialEq + Send + Sync + 'static>(shown: RwSignal<T>, latest: T) {
    if shown.with_untracked(|now| *now != latest) {
        shown.set(latest);
    }
}

/// The value of `name` in the page's query string (`?name=…`), read the
/// same on the server (from the router) and in the browser (from the
/// address bar, as there is no router there): an island must render in the
/// browser what the server rendered.
pub fn query(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let search = window().location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search)
            .ok()?
            .get(name)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        leptos_router::hooks::use_query_map()
            .read_untracked()
            .get(name)
    }
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
