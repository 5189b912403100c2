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

/// `$route`: a route showing the component `$page`, whose code is a chunk of
/// its own, loaded when the route is first visited (on the server it is
/// rendered as any page).
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[doc = concat!("The route of [`", stringify!($page), "`], loaded on demand.")]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    };
}
pub(crate) use lazy_page;

pub mod listing;
pub mod profile;
pub mod recording;
pub mod recordings;
pub mod sent_shares;
pub mod signin;

/// How often an open page asks again for what changes by itself (opens,
/// processing).
const REFRESH_MS: u64 = 3_000;

/// Refetches `resource` every [`REFRESH_MS`] while the page is open and
/// `wanted()` (in the browser only; the server renders once).
pub fn keep_fresh<T>(resource: Resource<T>, wanted: impl Fn() -> bool + Send + Sync + 'static)
where
    T: Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    let wanted = std::sync::Arc::new(wanted);
    Effect::new(move |_| {
        let wanted = wanted.clone();
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if wanted() {
                    resource.refetch();
                }
            },
            std::time::Duration::from_millis(REFRESH_MS),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
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
