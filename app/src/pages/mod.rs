//! One module per page of the rep's side.

pub mod recording;
pub mod recordings;
pub mod settings;
pub mod shares;
pub mod signin;

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::domain::{Field, ShareError};

/// The current route's numeric `:id`; `None` when it is not a number.
pub fn route_id() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    }
}

/// The message to show by `field` after the form's last answer: a refusal
/// of that field, or (where `other_errors` says this field is the form's
/// first) any refusal that names no field. After a plain form post (no
/// scripts) the answer comes back in the page's URL and is read from there.
pub fn field_error<S>(
    action: ServerAction<S>,
    field: Field,
    other_errors: bool,
) -> Signal<Option<String>>
where
    S: ServerFn<Error = ShareError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || {
        action.value().with(|answer| match answer {
            Some(Err(ShareError::Invalid { field: f, message })) if *f == field => {
                Some(message.clone())
            }
            Some(Err(ShareError::Invalid { .. })) | Some(Ok(_)) | None => None,
            Some(Err(other)) => other_errors.then(|| other.to_string()),
        })
    })
}

/// `message` once the form's action succeeded, with scripts or (the page
/// is then loaded with `?done={what}`) without.
pub fn done_notice<S>(
    action: ServerAction<S>,
    what: &'static str,
    message: &'static str,
) -> impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let query = use_query_map();
    move || {
        let done = action.value().with(|answer| match answer {
            Some(answer) => answer.is_ok(),
            None => query.read().get("done").as_deref() == Some(what),
        });
        done.then_some(message)
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
