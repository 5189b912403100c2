//! Server functions of the Share Recording window. Each parses its input into
//! domain types, checks that the rep owns what the ids name, saves, and
//! answers with the whole share as it now is.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::ApiError;
use crate::{
    domain::{CommentId, ExpiryPreset, RecipientId, RecordingId, ShareId},
    views::ShareView,
};

/// The rep's draft share of a recording (created on first open). The
/// browser's time zone is used for dates until the rep picks one in settings.
#[server(endpoint = "share/open", input = Json)]
pub async fn open_share(
    recording_id: RecordingId,
    browser_time_zone: String,
) -> Result<ShareView, ApiError> {
    use super::ssr::{Ctx, answer, found, zone, zone_name};
    use crate::{domain::Expiration, store::NewShare};

    answer(async move {
        let ctx = Ctx::load().await?;
        let recording = found(ctx.store.recording_of(ctx.rep.id, recording_id).await)?;
        if recording.ready().is_none() {
            return Err(ApiError::NotReady);
        }
        let time_zone = zone_name(ctx.rep.time_zone.as_deref(), &browser_time_zone);
        let tz = zone(&time_zone);
        let expiration = Expiration::default_from(ctx.today(&tz));
        let new = NewShare {
            recording_id: recording.id,
            sender_id: ctx.rep.id,
            title: recording.title.clone(),
            expires_at: expiration.expires_at(&tz),
            expiration,
            time_zone,
        };
        let id = ctx.store.open_draft(new).await?;
        ssr::view(&ctx, id).await
    })
    .await
}

#[server(endpoint = "share/title", input = Json)]
pub async fn set_share_title(share_id: ShareId, title: String) -> Result<ShareView, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, found},
    };
    use crate::domain::RecordingTitle;

    answer(async move {
        let title =
            RecordingTitle::parse(&title).map_err(|e| ApiError::invalid(Field::Title, e))?;
        let ctx = Ctx::load().await?;
        found(
            ctx.store
                .set_share_title(ctx.rep.id, share_id, &title)
                .await,
        )?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

#[server(endpoint = "share/expiration", input = Json)]
pub async fn set_share_expiration(
    share_id: ShareId,
    preset: ExpiryPreset,
    start_date: String,
    end_date: Option<String>,
) -> Result<ShareView, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, found, zone},
    };
    use crate::domain::{Expiration, ExpirationError};

    answer(async move {
        let ctx = Ctx::load().await?;
        let share = ssr::share(&ctx, share_id).await?;
        let tz = zone(&share.time_zone);
        let expiration =
            Expiration::parse(preset, &start_date, end_date.as_deref(), ctx.today(&tz)).map_err(
                |e| {
                    let field = match e {
                        ExpirationError::BadStartDate | ExpirationError::AlreadyExpired => {
                            Field::StartDate
                        }
                        ExpirationError::BadEndDate
                        | ExpirationError::EndBeforeStart
                        | ExpirationError::EndPassed => Field::EndDate,
                    };
                    ApiError::invalid(field, e)
                },
            )?;
        let expires_at = expiration.expires_at(&tz);
        found(
            ctx.store
                .set_share_expiration(ctx.rep.id, share_id, &expiration, expires_at)
                .await,
        )?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

/// "Show a preview when the link is pasted": whether the viewer page names
/// the recording and shows its poster to apps that unfurl links.
#[server(endpoint = "share/link-preview", input = Json)]
pub async fn set_link_preview(share_id: ShareId, on: bool) -> Result<ShareView, ApiError> {
    use super::ssr::{Ctx, answer, found};

    answer(async move {
        let ctx = Ctx::load().await?;
        found(ctx.store.set_link_preview(ctx.rep.id, share_id, on).await)?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

/// Adds a comment, stamped with `at_ms` (a spot on the timeline) if given.
#[server(endpoint = "share/comment/add", input = Json)]
pub async fn add_comment(
    share_id: ShareId,
    body: String,
    at_ms: Option<i64>,
) -> Result<ShareView, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, found},
    };
    use crate::domain::{CommentBody, CommentTime};

    answer(async move {
        let body = CommentBody::parse(&body).map_err(|e| ApiError::invalid(Field::Comment, e))?;
        let ctx = Ctx::load().await?;
        let share = ssr::share(&ctx, share_id).await?;
        let at = match at_ms {
            Some(at) => {
                let recording =
                    found(ctx.store.recording_of(ctx.rep.id, share.recording_id).await)?;
                Some(
                    CommentTime::parse(at, recording.duration_ms.unwrap_or(0))
                        .map_err(|e| ApiError::invalid(Field::CommentTime, e))?,
                )
            }
            None => None,
        };
        found(ctx.store.add_comment(ctx.rep.id, share_id, &body, at).await)?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

#[server(endpoint = "share/comment/edit", input = Json)]
pub async fn edit_comment(comment_id: CommentId, body: String) -> Result<ShareView, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, found},
    };
    use crate::domain::CommentBody;

    answer(async move {
        let body =
            CommentBody::parse(&body).map_err(|e| ApiError::invalid(Field::EditComment, e))?;
        let ctx = Ctx::load().await?;
        let share_id = found(ctx.store.edit_comment(ctx.rep.id, comment_id, &body).await)?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

#[server(endpoint = "share/comment/delete", input = Json)]
pub async fn delete_comment(comment_id: CommentId) -> Result<ShareView, ApiError> {
    use super::ssr::{Ctx, answer, found};

    answer(async move {
        let ctx = Ctx::load().await?;
        let share_id = found(ctx.store.delete_comment(ctx.rep.id, comment_id).await)?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

#[server(endpoint = "share/recipient/add", input = Json)]
pub async fn add_recipient(
    share_id: ShareId,
    name: String,
    email: String,
) -> Result<ShareView, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, Setup, answer, context, internal},
    };
    use crate::{
        domain::{RecipientEmail, RecipientError, RecipientName},
        store::{Addition, StoreError},
    };

    answer(async move {
        let name =
            RecipientName::parse(&name).map_err(|e| ApiError::invalid(Field::RecipientName, e))?;
        let email = RecipientEmail::parse(&email)
            .map_err(|e| ApiError::invalid(Field::RecipientEmail, e))?;
        let ctx = Ctx::load().await?;
        let limit = context::<Setup>()?.max_recipients;
        match ctx
            .store
            .add_recipient(ctx.rep.id, share_id, &name, &email, limit)
            .await
        {
            Ok(Addition::Added) => ssr::view(&ctx, share_id).await,
            Ok(Addition::NotFound) => Err(ApiError::NotFound),
            Ok(Addition::Full) => Err(ApiError::invalid(
                Field::RecipientEmail,
                format!(
                    "A share can go to {limit} recipients at most. Share the recording \
                     again for more."
                ),
            )),
            Err(StoreError::Conflict(_)) => Err(ApiError::invalid(
                Field::RecipientEmail,
                RecipientError::Duplicate,
            )),
            Err(e) => Err(internal(e)),
        }
    })
    .await
}

/// Removes a recipient; a link they were given stops working at once.
#[server(endpoint = "share/recipient/remove", input = Json)]
pub async fn remove_recipient(recipient_id: RecipientId) -> Result<ShareView, ApiError> {
    use super::ssr::{Ctx, answer, found};

    answer(async move {
        let ctx = Ctx::load().await?;
        let share_id = found(ctx.store.remove_recipient(ctx.rep.id, recipient_id).await)?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

/// Gives each recipient without a link their own; existing links are kept.
#[server(endpoint = "share/links", input = Json)]
pub async fn generate_links(share_id: ShareId) -> Result<ShareView, ApiError> {
    use super::ssr::{Ctx, answer, found};

    answer(async move {
        let ctx = Ctx::load().await?;
        ssr::ready_to_send(&ctx, &ssr::share(&ctx, share_id).await?)?;
        found(ctx.store.create_missing_links(ctx.rep.id, share_id).await)?;
        ssr::view(&ctx, share_id).await
    })
    .await
}

/// The share as it is now (the window polls it while emails go out).
#[server(endpoint = "share/get", input = Json)]
pub async fn get_share(share_id: ShareId) -> Result<ShareView, ApiError> {
    use super::ssr::{Ctx, answer};

    answer(async move { ssr::view(&Ctx::load().await?, share_id).await }).await
}

/// Send Email(s): queues one email per recipient not emailed yet for this
/// share (giving recipients without a link their own) and answers at once;
/// the email queue's worker sends them. `queued` says how many were queued now.
#[server(endpoint = "share/send", input = Json)]
pub async fn send_emails(share_id: ShareId) -> Result<SendReceipt, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, email_set_up, found},
    };
    use crate::store::Queue;

    answer(async move {
        let ctx = Ctx::load().await?;
        email_set_up(Field::Recipients)?;
        ssr::ready_to_send(&ctx, &ssr::share(&ctx, share_id).await?)?;
        let queued = found(ctx.store.send_share(ctx.rep.id, share_id).await)?;
        if queued > 0 {
            ctx.wake(Queue::Email);
        }
        Ok(SendReceipt {
            queued,
            share: ssr::view(&ctx, share_id).await?,
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
mod ssr {
    use super::super::{
        ApiError, Field,
        ssr::{Ctx, found, zone},
    };
    use crate::{
        domain::ShareId,
        store::{EmailState, EmailStatus, Share},
        views::{CommentView, Delivery, ExpirationView, RecipientView, ShareView},
    };

    pub async fn share(ctx: &Ctx, id: ShareId) -> Result<Share, ApiError> {
        found(ctx.store.share_of(ctx.rep.id, id).await)
    }

    /// The share as the window shows it.
    pub async fn view(ctx: &Ctx, id: ShareId) -> Result<ShareView, ApiError> {
        let share = share(ctx, id).await?;
        let recording = found(ctx.store.recording_of(ctx.rep.id, share.recording_id).await)?;
        let tz = zone(&share.time_zone);
        let expiration = &share.expiration;
        Ok(ShareView {
            id: share.id,
            recording: ctx.summary(&recording),
            title: share.title.clone(),
            link_preview: share.link_preview,
            expiration: ExpirationView {
                preset: expiration.preset(),
                start_date: expiration.start().to_string(),
                end_date: expiration.end().map(|d| d.to_string()),
                last_day: expiration.last_day().to_string(),
                works_until: expiration.works_until(),
                time_zone: share.time_zone.clone(),
                today: ctx.today(&tz).to_string(),
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
                    link: r.link_code.as_ref().map(|code| ctx.link(code)),
                    delivery: r.delivery.as_ref().map(delivery),
                })
                .collect(),
        })
    }

    /// Links and emails need someone to go to and a link that still works.
    pub fn ready_to_send(ctx: &Ctx, share: &Share) -> Result<(), ApiError> {
        if share.recipients.is_empty() {
            return Err(ApiError::invalid(
                Field::Recipients,
                "Add a recipient first.",
            ));
        }
        if share.expires_at <= ctx.now() {
            return Err(ApiError::invalid(
                Field::StartDate,
                "This expiration has passed. Pick a later one.",
            ));
        }
        Ok(())
    }

    /// Where a recipient's email is, as the rep's pages say it.
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
}

#[cfg(feature = "ssr")]
pub(super) use ssr::delivery;
