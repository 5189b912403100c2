//! Server functions of the Shares page: the rep's sent shares, what each
//! recipient did, and control over every link.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::ApiError;
use crate::{
    domain::{RecipientId, ShareId},
    views::{Page, SentShareView, ShareActivityView},
};

/// A page of the rep's sent shares, newest first, after the cursor
/// `after`; with `search`, only those whose title, recording or a current
/// recipient's name or email has it.
#[server(endpoint = "shares/list", input = Json)]
pub async fn list_shares(
    search: Option<String>,
    after: Option<String>,
) -> Result<Page<SentShareView>, ApiError> {
    use super::ssr::{Ctx, answer, listing, page};
    use crate::domain::PageCursor;

    answer(async move {
        let listing = listing(search, after)?;
        let ctx = Ctx::load().await?;
        let shares = ctx.store.sent_shares(ctx.rep.id, &listing).await?;
        Ok(page(
            shares,
            |s| PageCursor {
                at_ms: s.sent_at.map_or(0, |t| t.as_millisecond()),
                id: s.id.get(),
            },
            |s| ssr::sent_share(&ctx, s),
        ))
    })
    .await
}

/// One of the rep's shares with each recipient's email, opens and watching.
#[server(endpoint = "shares/activity", input = Json)]
pub async fn share_activity(share_id: ShareId) -> Result<ShareActivityView, ApiError> {
    use super::ssr::{Ctx, answer};

    answer(async move { ssr::activity(&Ctx::load().await?, share_id).await }).await
}

/// Revokes one recipient's link (or, without `recipient_id`, every link of
/// the share): from now on it answers "not available".
#[server(endpoint = "shares/revoke", input = Json)]
pub async fn revoke_links(
    share_id: ShareId,
    recipient_id: Option<RecipientId>,
) -> Result<ShareActivityView, ApiError> {
    use super::ssr::{Ctx, answer, found};

    answer(async move {
        let ctx = Ctx::load().await?;
        found(
            ctx.store
                .revoke_links(ctx.rep.id, share_id, recipient_id)
                .await,
        )?;
        ssr::activity(&ctx, share_id).await
    })
    .await
}

/// Sends a recipient their share email (once more), with their live link.
#[server(endpoint = "shares/resend", input = Json)]
pub async fn resend_email(
    share_id: ShareId,
    recipient_id: RecipientId,
) -> Result<ShareActivityView, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, email_set_up, found},
    };
    use crate::store::Queue;

    answer(async move {
        let ctx = Ctx::load().await?;
        email_set_up(Field::EndDate)?;
        let share = found(ctx.store.share_of(ctx.rep.id, share_id).await)?;
        if share.expires_at <= ctx.now() {
            return Err(ApiError::invalid(
                Field::EndDate,
                "The links of this share have expired. Change the expiration first.",
            ));
        }
        found(
            ctx.store
                .resend_share_email(ctx.rep.id, share_id, recipient_id)
                .await,
        )?;
        ctx.wake(Queue::Email);
        ssr::activity(&ctx, share_id).await
    })
    .await
}

/// Sets the last day the share's links work. Unlike the Share window, a day
/// that has passed is accepted: it ends every link of the share at once.
/// Posted by the Shares page's form (form encoding: works without scripts).
#[server(endpoint = "shares/expiration")]
pub async fn change_expiration(
    share_id: ShareId,
    end_date: String,
) -> Result<ShareActivityView, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, back_to_page, found, zone},
    };
    use crate::domain::ended_on;

    answer(async move {
        let ctx = Ctx::load().await?;
        let share = found(ctx.store.share_of(ctx.rep.id, share_id).await)?;
        let expiration = ended_on(&share.expiration, &end_date)
            .map_err(|e| ApiError::invalid(Field::EndDate, e))?;
        let expires_at = expiration.expires_at(&zone(&share.time_zone));
        found(
            ctx.store
                .set_share_expiration(ctx.rep.id, share_id, &expiration, expires_at)
                .await,
        )?;
        back_to_page(&format!("/shares/{share_id}"), "expiration");
        ssr::activity(&ctx, share_id).await
    })
    .await
}

#[cfg(feature = "ssr")]
mod ssr {
    use jiff::{Timestamp, tz::TimeZone};

    use super::super::{
        ApiError,
        share_window::delivery,
        ssr::{Ctx, found},
    };
    use crate::{
        domain::{ShareId, last_day_of, long_date, percent_watched},
        store::ShareSummary,
        views::{RecipientActivityView, SentShareView, ShareActivityView},
    };

    fn moment(at: Timestamp, tz: &TimeZone) -> String {
        at.to_zoned_datetime(tz.clone())
            .strftime("%b %-d, %Y, %-I:%M %p %Z")
            .to_string()
    }

    pub fn sent_share(ctx: &Ctx, share: &ShareSummary) -> SentShareView {
        let expired = share.expires_at <= ctx.now();
        let last_day = last_day_of(share.expires_at, &share.time_zone);
        let shown = long_date(last_day);
        SentShareView {
            id: share.id,
            recording_title: share.recording_title.clone(),
            title: share.title.clone(),
            expiry: if expired {
                format!("Expired after {shown}")
            } else {
                format!("Available until {shown}")
            },
            expired,
            last_day: last_day.to_string(),
            sent_on: share
                .sent_at
                .map(|at| moment(at, &ctx.rep_zone(&share.time_zone)))
                .unwrap_or_default(),
            recipients: share.recipients,
            opens: share.opens,
        }
    }

    pub async fn activity(ctx: &Ctx, share_id: ShareId) -> Result<ShareActivityView, ApiError> {
        let summary = ctx
            .store
            .sent_share(ctx.rep.id, share_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let recipients = found(ctx.store.share_activity(ctx.rep.id, share_id).await)?;
        let duration_ms = summary.recording_duration_ms;
        let tz = ctx.rep_zone(&summary.time_zone);
        Ok(ShareActivityView {
            share: sent_share(ctx, &summary),
            recording_duration_ms: duration_ms,
            recipients: recipients
                .iter()
                .map(|a| RecipientActivityView {
                    id: a.recipient.id,
                    name: a.recipient.name.clone(),
                    email: a.recipient.email.clone(),
                    link: a.recipient.link_code.as_ref().map(|code| ctx.link(code)),
                    revoked: a.link_revoked,
                    delivery: a.recipient.delivery.as_ref().map(delivery),
                    opens: a.opens,
                    first_open: a.first_open.map(|at| moment(at, &tz)),
                    last_open: a.last_open.map(|at| moment(at, &tz)),
                    percent_watched: percent_watched(&a.watched, duration_ms),
                    watched: a
                        .watched
                        .iter()
                        .map(|w| {
                            let d = duration_ms.max(1) as f64;
                            (w.start_ms as f64 / d, w.end_ms as f64 / d)
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}
