//! Messages of forms: next to the field they are about, or what was done.
//! The same for the Share window's fields and for the pages' forms, which
//! also work without scripts (a plain post comes back with its answer in the
//! URL, where the page's `ServerAction` reads it).

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    api::{ApiError, Field},
    pages::query,
};

/// Lets the `ServerAction`s of an island find the refusal of a plain form
/// post in the URL, in the browser as on the server (where the router reads
/// it): call it before creating them.
pub fn read_refusal_from_url() {
    #[cfg(feature = "hydrate")]
    if let (Some(path), Some(error)) = (query("__path"), query("__err")) {
        provide_context(leptos::server::ServerActionError::new(&path, &error));
    }
}

/// A message under a field, announced when it appears.
#[component]
pub fn FieldError(#[prop(into)] id: String, message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="field-error" role="alert" hidden=move || message.get().is_none()>
            {move || message.get()}
        </p>
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
    S: ServerFn<Error = ApiError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || {
        action.value().with(|answer| match answer {
            Some(Err(ApiError::Invalid { field: f, message })) if *f == field => {
                Some(message.clone())
            }
            Some(Err(ApiError::Invalid { .. })) | Some(Ok(_)) | None => None,
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
    let done_before = query("done").as_deref() == Some(what);
    move || {
        let done = action.value().with(|answer| match answer {
            Some(answer) => answer.is_ok(),
            None => done_before,
        });
        done.then_some(message)
    }
}
