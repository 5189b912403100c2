//! Server functions: thin doors that parse their input into domain types,
//! find the rep the request acts for, ask the store, and answer with a view
//! or an [`ApiError`]. One module per feature: signing in, the recordings
//! library, the Share window, the Shares page (sent shares), the profile
//! (Settings). They all go through [`ssr::Ctx`] and [`ssr::answer`].

mod auth;
mod error;
mod profile;
mod recordings;
mod sent_shares;
mod share_window;

pub use auth::*;
pub use error::*;
pub use profile::*;
pub use recordings::*;
pub use sent_shares::*;
pub use share_window::*;

#[cfg(feature = "ssr")]
pub mod ssr {
    use jiff::{Timestamp, civil::Date, tz::TimeZone};
    use leptos::prelude::*;

    use super::ApiError;
    use crate::{
        auth::{AuthError, current_rep},
        clock::SharedClock,
        link::{LinkBase, LinkCode},
        store::{JobWaker, Queue, Recording, Rep, SharedStore, StoreError},
        views::RecordingSummary,
    };

    /// What a server function acting for a signed-in rep works with.
    pub struct Ctx {
        pub store: SharedStore,
        pub rep: Rep,
        clock: SharedClock,
        links: LinkBase,
    }

    impl Ctx {
        /// The store and the rep this request acts for; `SignedOut` without one.
        pub async fn load() -> Result<Self, ApiError> {
            let store = context::<SharedStore>()?;
            let parts: http::request::Parts = leptos_axum::extract().await.map_err(internal)?;
            let rep = current_rep(store.as_ref(), &parts).await?;
            Ok(Self {
                store,
                rep,
                clock: context()?,
                links: context()?,
            })
        }

        pub fn now(&self) -> Timestamp {
            self.clock.now()
        }

        /// Today in `tz`, by the server's clock.
        pub fn today(&self, tz: &TimeZone) -> Date {
            self.now().to_zoned_datetime(tz.clone()).date()
        }

        /// A recipient's link as they receive it.
        pub fn link(&self, code: &LinkCode) -> String {
            self.links.url(code)
        }

        /// Wakes this process's runner for `queue` (work was just queued).
        pub fn wake(&self, queue: Queue) {
            if let Some(jobs) = use_context::<JobWaker>() {
                jobs.wake(queue);
            }
        }

        /// The rep's zone for showing times: chosen in Settings, else `fallback`.
        pub fn rep_zone(&self, fallback: &str) -> TimeZone {
            zone(self.rep.time_zone.as_deref().unwrap_or(fallback))
        }

        /// A recording as the rep's pages show it.
        pub fn summary(&self, recording: &Recording) -> RecordingSummary {
            summary(recording, &self.rep)
        }
    }

    /// What the server's configuration allows, provided as context.
    #[derive(Clone, Copy, Debug)]
    pub struct Setup {
        /// `MAX_RECIPIENTS`: current recipients a share may have.
        pub max_recipients: usize,
        /// Whether email is set up (an SMTP server, or the dev mailbox).
        pub can_email: bool,
    }

    /// The page of a list asked for: `search` as typed, `after` from the
    /// previous page's cursor (a cursor that cannot be ours is the first page).
    pub fn listing(
        search: Option<String>,
        after: Option<String>,
    ) -> Result<crate::domain::Listing, ApiError> {
        use crate::domain::{Listing, PageCursor, Search};
        let search = Search::parse(search.as_deref().unwrap_or_default())
            .map_err(|e| ApiError::invalid(super::Field::Search, e))?;
        let after = after.as_deref().and_then(PageCursor::parse);
        Ok(Listing { search, after })
    }

    /// A page of `rows` (the store gives one row more than a page when
    /// there is a next page), each shown by `show`; `cursor` names a row.
    pub fn page<R, T>(
        mut rows: Vec<R>,
        cursor: impl Fn(&R) -> crate::domain::PageCursor,
        show: impl Fn(&R) -> T,
    ) -> crate::views::Page<T> {
        let more = rows.len() > crate::domain::PAGE_SIZE;
        rows.truncate(crate::domain::PAGE_SIZE);
        crate::views::Page {
            items: rows.iter().map(show).collect(),
            next: more
                .then(|| rows.last().map(|row| cursor(row).to_string()))
                .flatten(),
        }
    }

    /// Refuses what needs email when the server has none set up.
    pub fn email_set_up(field: super::Field) -> Result<(), ApiError> {
        if context::<Setup>()?.can_email {
            Ok(())
        } else {
            Err(ApiError::invalid(
                field,
                "Email is not set up on this server. Generate Links, and send the links \
                 yourself.",
            ))
        }
    }

    /// Something the server provides to every server function.
    pub fn context<T: Clone + Send + Sync + 'static>() -> Result<T, ApiError> {
        use_context::<T>().ok_or_else(|| {
            internal(format!(
                "{} is not provided to server functions",
                std::any::type_name::<T>()
            ))
        })
    }

    /// Runs a server function's work and gives a refusal the HTTP status it
    /// means (server functions answer every error with 500 otherwise).
    pub async fn answer<T>(work: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
        let result = work.await;
        if let Err(error) = &result {
            set_status(match error {
                ApiError::Invalid { .. } => http::StatusCode::UNPROCESSABLE_ENTITY,
                ApiError::NotFound => http::StatusCode::NOT_FOUND,
                ApiError::NotReady => http::StatusCode::CONFLICT,
                ApiError::SignedOut | ApiError::WrongCredentials => http::StatusCode::UNAUTHORIZED,
                ApiError::TooManyTries => http::StatusCode::TOO_MANY_REQUESTS,
                ApiError::Unavailable => http::StatusCode::SERVICE_UNAVAILABLE,
                ApiError::Server(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
            });
        }
        result
    }

    /// `Ok(Some(x))` → `x`; `Ok(None)`/`Ok(false)` → not found.
    pub fn found<T: Found>(result: Result<T, StoreError>) -> Result<T::Value, ApiError> {
        result?.found().ok_or(ApiError::NotFound)
    }

    /// A session that cannot be read (its store is the database) or a store
    /// that cannot be reached is a 503 the rep may retry.
    impl From<AuthError> for ApiError {
        fn from(error: AuthError) -> Self {
            match error {
                AuthError::SignedOut => ApiError::SignedOut,
                AuthError::Session(cause) => {
                    tracing::warn!(%cause, "the session store is unreachable");
                    ApiError::Unavailable
                }
                AuthError::Store(error) => error.into(),
                other => internal(other),
            }
        }
    }

    /// A store that cannot be reached is a 503 the rep may retry; any other
    /// failure is logged and answered without internals.
    impl From<StoreError> for ApiError {
        fn from(error: StoreError) -> Self {
            match error {
                StoreError::Unavailable(cause) => {
                    tracing::warn!(%cause, "the database is unreachable");
                    ApiError::Unavailable
                }
                other => internal(other),
            }
        }
    }

    pub trait Found {
        type Value;
        fn found(self) -> Option<Self::Value>;
    }

    impl<T> Found for Option<T> {
        type Value = T;
        fn found(self) -> Option<T> {
            self
        }
    }

    impl Found for bool {
        type Value = ();
        fn found(self) -> Option<()> {
            self.then_some(())
        }
    }

    /// Logs the cause; the rep sees a message without internals.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "server function failed");
        ApiError::Server("Something went wrong on our side. Please try again.".into())
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

    /// Sets the answer's HTTP status, except for a plain form post: a status
    /// would replace the redirect that takes the browser back to its page.
    fn set_status(code: http::StatusCode) {
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

    /// The rep's chosen zone, else the browser's (if it names a real zone), else UTC.
    pub fn zone_name(chosen: Option<&str>, browser: &str) -> String {
        chosen
            .into_iter()
            .chain([browser])
            .find(|name| !name.is_empty() && TimeZone::get(name).is_ok())
            .unwrap_or("UTC")
            .to_string()
    }

    pub fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap_or(TimeZone::UTC)
    }

    /// A recording as the rep's pages show it (also for uploads, outside
    /// server functions).
    pub fn summary(recording: &Recording, rep: &Rep) -> RecordingSummary {
        let tz = zone(rep.time_zone.as_deref().unwrap_or("UTC"));
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
            state: recording.state.clone(),
            has_poster: recording.poster_key.is_some(),
            previews: recording.previews.as_ref().map(|p| p.layout),
        }
    }
}
