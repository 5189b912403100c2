//! Server functions: thin doors that parse their input into domain types,
//! find the rep the request acts for, and ask the store.

mod auth;
mod recordings;
mod settings;
mod share;
mod shares;

pub use auth::*;
pub use recordings::*;
pub use settings::*;
pub use share::*;
pub use shares::*;

/// The refusal helpers the share window's functions use, for the others too.
#[cfg(feature = "ssr")]
pub(crate) use share::ssr as share_ssr;

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
        match current_rep(store.as_ref(), &parts).await {
            Ok(rep) => Ok((store, rep)),
            Err(crate::auth::AuthError::SignedOut) => {
                set_status(http::StatusCode::UNAUTHORIZED);
                Err(ServerFnError::new(
                    "You are signed out. Sign in again to go on.",
                ))
            }
            Err(other) => Err(internal(other)),
        }
    }

    /// Whether the request is a plain form post: a browser without scripts
    /// (or before the wasm has loaded) submitting a form. Such a post is
    /// answered with a redirect back to its page, with any error in the URL
    /// for the page to show next to its field.
    pub fn is_form_post() -> bool {
        use_context::<http::request::Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
        })
    }

    /// Gives a refusal the HTTP status it means (server functions answer
    /// every error with 500 otherwise). Not for a plain form post: a status
    /// would replace the redirect that takes the browser back to its page.
    pub fn set_status(code: http::StatusCode) {
        if is_form_post() {
            return;
        }
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(code);
        }
    }

    /// After a plain form post succeeded, goes back to `page` with
    /// `?done={what}`, so the page can say what was done. Calls from the
    /// app's scripts get their answer instead.
    pub fn back_to_page(page: &str, what: &str) {
        if is_form_post() {
            leptos_axum::redirect(&format!("{page}?done={what}"));
        }
    }

    /// Logs the cause and gives the browser a message without internals.
    pub fn internal(error: impl std::fmt::Display) -> ServerFnError {
        tracing::error!(%error, "server function failed");
        ServerFnError::new("Something went wrong on our side. Please try again.")
    }

    pub fn summary(recording: &Recording, rep: &Rep) -> RecordingSummary {
        let tz = rep
            .time_zone
            .as_deref()
            .and_then(|z| TimeZone::get(z).ok())
            .unwrap_or(TimeZone::UTC);
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
