//! Server functions of the Share Recording window. Each parses its input into
//! domain types, checks that the rep owns what the ids name, saves, and
//! answers with the whole share as it now is.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::{ExpiryPreset, ShareError, ShareView};

/// The rep's draft share of a recording (created on first open). The
/// browser's time zone is used for dates until the rep picks one in settings.
#[server(endpoint = "share/open", input = Json)]
pub async fn open_share(
    recording_id: i64,
    browser_time_zone: String,
) -> Result<ShareView, ShareError> {
    use crate::domain::Expiration;
    use crate::store::NewShare;

    ssr::answer(async move {
        let ctx = ssr::Ctx::load().await?;
        let recording = ctx
            .store
            .recording_of(ctx.rep.id, recording_id)
            .await
            .map_err(ssr::internal)?;
        let recording = recording.ok_or(ShareError::NotFound)?;
        let time_zone = ssr::zone_name(ctx.rep.time_zone.as_deref(), &browser_time_zone);
        let tz = ssr::zone(&time_zone);
        let expiration = Expiration::default_from(ssr::today(&tz));
        let new = NewShare {
            recording_id: recording.id,
            sender_id: ctx.rep.id,
            title: recording.title.clone(),
            expires_at: expiration.expires_at(&tz),
            expiration,
            time_zone,
        };
        let id = ctx.store.open_draft(new).await.map_err(ssr::internal)?;
        ctx.view(id).await
    })
    .await
}

#[server(endpoint = "share/title", input = Json)]
pub async fn set_share_title(share_id: i64, title: String) -> Result<ShareView, ShareError> {
    use crate::domain::{Field, RecordingTitle};

    ssr::answer(async move {
        let title =
            RecordingTitle::parse(&title).map_err(|e| ShareError::invalid(Field::Title, e))?;
        let ctx = ssr::Ctx::load().await?;
        ssr::found(
            ctx.store
                .set_share_title(ctx.rep.id, share_id, title.as_str())
                .await,
        )?;
        ctx.view(share_id).await
    })
    .await
}

#[server(endpoint = "share/expiration", input = Json)]
pub async fn set_share_expiration(
    share_id: i64,
    preset: ExpiryPreset,
    start_date: String,
    end_date: Option<String>,
) -> Result<ShareView, ShareError> {
    use crate::domain::{Expiration, ExpirationError, Field};

    ssr::answer(async move {
        let ctx = ssr::Ctx::load().await?;
        let share = ctx.share(share_id).await?;
        let tz = ssr::zone(&share.time_zone);
        let expiration =
            Expiration::parse(preset, &start_date, end_date.as_deref(), ssr::today(&tz)).map_err(
                |e| {
                    let field = match e {
                        ExpirationError::BadStartDate | ExpirationError::AlreadyExpired => {
                            Field::StartDate
                        }
                        ExpirationError::BadEndDate
                        | ExpirationError::EndBeforeStart
                        | ExpirationError::EndPassed => Field::EndDate,
                    };
                    ShareError::invalid(field, e)
                },
            )?;
        let expires_at = expiration.expires_at(&tz);
        ssr::found(
            ctx.store
                .set_share_expiration(ctx.rep.id, share_id, &expiration, expires_at)
                .await,
        )?;
        ctx.view(share_id).await
    })
    .await
}

/// Adds a comment, stamped with `at_ms` (a spot on the timeline) if given.
#[server(endpoint = "share/comment/add", input = Json)]
pub async fn add_comment(
    share_id: i64,
    body: String,
    at_ms: Option<i64>,
) -> Result<ShareView, ShareError> {
    use crate::domain::{CommentBody, CommentTime, Field};

    ssr::answer(async move {
        let body = CommentBody::parse(&body).map_err(|e| ShareError::invalid(Field::Comment, e))?;
        let ctx = ssr::Ctx::load().await?;
        let share = ctx.share(share_id).await?;
        let at = match at_ms {
            Some(at) => {
                let duration = ctx.recording_duration(share.recording_id).await?;
                Some(
                    CommentTime::parse(at, duration)
                        .map_err(|e| ShareError::invalid(Field::CommentTime, e))?
                        .ms(),
                )
            }
            None => None,
        };
        ssr::found(
            ctx.store
                .add_comment(ctx.rep.id, share_id, body.as_str(), at)
                .await,
        )?;
        ctx.view(share_id).await
    })
    .await
}

#[server(endpoint = "share/comment/edit", input = Json)]
pub async fn edit_comment(comment_id: i64, body: String) -> Result<ShareView, ShareError> {
    use crate::domain::{CommentBody, Field};

    ssr::answer(async move {
        let body =
            CommentBody::parse(&body).map_err(|e| ShareError::invalid(Field::EditComment, e))?;
        let ctx = ssr::Ctx::load().await?;
        let share_id = ssr::found(
            ctx.store
                .edit_comment(ctx.rep.id, comment_id, body.as_str())
                .await,
        )?;
        ctx.view(share_id).await
    })
    .await
}

#[server(endpoint = "share/comment/delete", input = Json)]
pub async fn delete_comment(comment_id: i64) -> Result<ShareView, ShareError> {
    ssr::answer(async move {
        let ctx = ssr::Ctx::load().await?;
        let share_id = ssr::found(ctx.store.delete_comment(ctx.rep.id, comment_id).await)?;
        ctx.view(share_id).await
    })
    .await
}

#[server(endpoint = "share/recipient/add", input = Json)]
pub async fn add_recipient(
    share_id: i64,
    name: String,
    email: String,
) -> Result<ShareView, ShareError> {
    use crate::domain::{Field, RecipientEmail, RecipientError, RecipientName};
    use crate::store::StoreError;

    ssr::answer(async move {
        let name = RecipientName::parse(&name)
            .map_err(|e| ShareError::invalid(Field::RecipientName, e))?;
        let email = RecipientEmail::parse(&email)
            .map_err(|e| ShareError::invalid(Field::RecipientEmail, e))?;
        let ctx = ssr::Ctx::load().await?;
        match ctx
            .store
            .add_recipient(ctx.rep.id, share_id, name.as_str(), email.as_str())
            .await
        {
            Ok(true) => ctx.view(share_id).await,
            Ok(false) => Err(ShareError::NotFound),
            Err(StoreError::Conflict(_)) => Err(ShareError::invalid(
                Field::RecipientEmail,
                RecipientError::Duplicate,
            )),
            Err(e) => Err(ssr::internal(e)),
        }
    })
    .await
}

/// Removes a recipient; a link they were given stops working at once.
#[server(endpoint = "share/recipient/remove", input = Json)]
pub async fn remove_recipient(recipient_id: i64) -> Result<ShareView, ShareError> {
    ssr::answer(async move {
        let ctx = ssr::Ctx::load().await?;
        let share_id = ssr::found(ctx.store.remove_recipient(ctx.rep.id, recipient_id).await)?;
        ctx.view(share_id).await
    })
    .await
}

/// Gives each recipient without a link their own; existing links are kept.
#[server(endpoint = "share/links", input = Json)]
pub async fn generate_links(share_id: i64) -> Result<ShareView, ShareError> {
    ssr::answer(async move {
        let ctx = ssr::Ctx::load().await?;
        ssr::ready_to_send(&ctx.share(share_id).await?)?;
        ssr::found(
            ctx.store
                .create_missing_links(ctx.rep.id, share_id, &crate::link::new_code)
                .await,
        )?;
        ctx.view(share_id).await
    })
    .await
}

/// The share as it is now (the window polls it while emails go out).
#[server(endpoint = "share/get", input = Json)]
pub async fn get_share(share_id: i64) -> Result<ShareView, ShareError> {
    ssr::answer(async move { ssr::Ctx::load().await?.view(share_id).await }).await
}

/// Send Email(s): queues one email per recipient not emailed yet for this
/// share (giving recipients without a link their own) and answers at once;
/// the delivery worker sends them. `queued` says how many were queued now.
#[server(endpoint = "share/send", input = Json)]
pub async fn send_emails(share_id: i64) -> Result<SendReceipt, ShareError> {
    ssr::answer(async move {
        let ctx = ssr::Ctx::load().await?;
        ssr::ready_to_send(&ctx.share(share_id).await?)?;
        let queued = ssr::found(
            ctx.store
                .send_share(ctx.rep.id, share_id, &crate::link::new_code)
                .await,
        )?;
        if queued > 0
            && let Some(waker) = use_context::<crate::store::OutboxWaker>()
        {
            waker.wake();
        }
        Ok(SendReceipt {
            queued,
            share: ctx.view(share_id).await?,
        })
    })
    .await
}

/// What Send Email(s) answers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SendReceipt {
    /// Emails queued by this click (recipients emailed before are skipped).
    pub queued: usize,
    pub share: ShareView,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use jiff::{civil::Date, tz::TimeZone};
    use leptos::prelude::*;

    use crate::{
        auth::{AuthError, current_rep},
        domain::{
            CommentView, Delivery, ExpirationView, Field, RecipientView, ShareError, ShareView,
        },
        link::LinkBase,
        store::{EmailState, EmailStatus, Rep, Share, ShareId, SharedStore},
    };

    /// What every server function of the window needs.
    pub struct Ctx {
        pub store: SharedStore,
        pub rep: Rep,
        links: LinkBase,
    }

    impl Ctx {
        pub async fn load() -> Result<Self, ShareError> {
            let store =
                use_context::<SharedStore>().ok_or_else(|| internal("no store in context"))?;
            let links =
                use_context::<LinkBase>().ok_or_else(|| internal("no link base in context"))?;
            let parts: http::request::Parts = leptos_axum::extract().await.map_err(internal)?;
            let rep = current_rep(store.as_ref(), &parts)
                .await
                .map_err(|e| match e {
                    AuthError::SignedOut => ShareError::SignedOut,
                    other => internal(other),
                })?;
            Ok(Self { store, rep, links })
        }

        /// A recipient's link as they receive it.
        pub fn link(&self, code: &str) -> String {
            self.links.url(code)
        }

        pub async fn share(&self, id: ShareId) -> Result<Share, ShareError> {
            found(self.store.share_of(self.rep.id, id).await)
        }

        pub async fn recording_duration(&self, recording_id: i64) -> Result<i64, ShareError> {
            found(self.store.recording_of(self.rep.id, recording_id).await).map(|r| r.duration_ms)
        }

        /// The share as the window shows it.
        pub async fn view(&self, id: ShareId) -> Result<ShareView, ShareError> {
            let share = self.share(id).await?;
            let recording = found(
                self.store
                    .recording_of(self.rep.id, share.recording_id)
                    .await,
            )?;
            let tz = zone(&share.time_zone);
            let expiration = &share.expiration;
            Ok(ShareView {
                id: share.id,
                recording: crate::api::ssr::summary(&recording, &self.rep),
                title: share.title.clone(),
                expiration: ExpirationView {
                    preset: expiration.preset(),
                    start_date: expiration.start().to_string(),
                    end_date: expiration.end().map(|d| d.to_string()),
                    last_day: expiration.last_day().to_string(),
                    works_until: expiration.works_until(),
                    time_zone: share.time_zone.clone(),
                    today: today(&tz).to_string(),
                },
                comments: share
                    .comments
                    .iter()
                    .map(|c| CommentView {
                        id: c.id,
                        body: c.body.clone(),
                        at_ms: c.at_ms,
                    })
                    .collect(),
                recipients: share
                    .recipients
                    .iter()
                    .map(|r| RecipientView {
                        id: r.id,
                        name: r.name.clone(),
                        email: r.email.clone(),
                        link: r.link_code.as_deref().map(|code| self.links.url(code)),
                        delivery: r.delivery.as_ref().map(delivery),
                    })
                    .collect(),
            })
        }
    }

    /// Links and emails need someone to go to and a link that still works.
    pub fn ready_to_send(share: &Share) -> Result<(), ShareError> {
        if share.recipients.is_empty() {
            return Err(ShareError::invalid(
                Field::Recipients,
                "Add a recipient first.",
            ));
        }
        if share.expires_at <= jiff::Timestamp::now() {
            return Err(ShareError::invalid(
                Field::StartDate,
                "This expiration has passed. Pick a later one.",
            ));
        }
        Ok(())
    }

    /// `Ok(Some(x))` → `x`; `Ok(None)`/`Ok(false)` → not found.
    pub fn found<T: Found>(
        result: Result<T, crate::store::StoreError>,
    ) -> Result<T::Value, ShareError> {
        result
            .map_err(internal)?
            .found()
            .ok_or(ShareError::NotFound)
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

    pub fn delivery(status: &EmailStatus) -> Delivery {
        match status.state {
            EmailState::Queued | EmailState::Sending => Delivery::Queued {
                retrying: status.last_error.clone(),
            },
            EmailState::Sent => Delivery::Sent,
            EmailState::Failed => Delivery::Failed {
                reason: status
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "unknown".into()),
            },
        }
    }

    /// Gives refusals the HTTP status they mean (server functions answer
    /// every error with 500 otherwise).
    pub async fn answer<T>(
        work: impl Future<Output = Result<T, ShareError>>,
    ) -> Result<T, ShareError> {
        let result = work.await;
        if let Err(error) = &result {
            let status = match error {
                ShareError::Invalid { .. } => http::StatusCode::UNPROCESSABLE_ENTITY,
                ShareError::NotFound => http::StatusCode::NOT_FOUND,
                ShareError::SignedOut => http::StatusCode::UNAUTHORIZED,
                ShareError::Server(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
            };
            crate::api::ssr::set_status(status);
        }
        result
    }

    /// Logs the cause; the rep sees a message without internals.
    pub fn internal(error: impl std::fmt::Display) -> ShareError {
        tracing::error!(%error, "share server function failed");
        ShareError::Server("Something went wrong on our side. Please try again.".into())
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

    pub fn today(tz: &TimeZone) -> Date {
        jiff::Timestamp::now().to_zoned_datetime(tz.clone()).date()
    }
}
