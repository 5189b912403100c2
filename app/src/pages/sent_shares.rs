//! `/shares`: every share the rep has sent; `/shares/{id}`: who opened it,
//! how much each recipient watched, and control over every link. Both
//! refresh every few seconds while open, so an open shows up as it happens.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    keep_fresh,
    listing::{LiveList, Pager, SearchBox, list_query},
    query, share_id, show_if_changed,
};
use crate::{
    api::{
        ApiError, ChangeExpiration, Field, list_shares, resend_email, revoke_links, share_activity,
    },
    domain::ShareId,
    form::{FieldError, field_error, read_refusal_from_url},
    hydration::Packed,
    views::{Delivery, Page, RecipientActivityView, SentShareView, ShareActivityView},
};

#[component]
pub fn SharesPage() -> impl IntoView {
    let (search, after) = list_query();
    let first = Resource::new(
        move || (search.get(), after.get()),
        |(search, after)| list_shares(search, after),
    );
    view! {
        <Title text="Shares" />
        <h1>"Shares"</h1>
        <Suspense fallback=|| view! { <p>"Loading shares…"</p> }>
            {move || Suspend::new(async move {
                let first = first.await;
                view! { <SharesList first=Packed::new(&first) search=search.get_untracked() after=after.get_untracked() /> }
            })}
        </Suspense>
    }
}

/// The sent shares, searchable, refreshed while the page is open.
#[island(lazy)]
fn SharesList(
    first: Packed<Result<Page<SentShareView>, ApiError>>,
    search: Option<String>,
    after: Option<String>,
) -> impl IntoView {
    let list = LiveList::new("/shares", first.unpack(), search, after, list_shares);
    keep_fresh(move || list.reload(), || true);
    view! {
        <SearchBox list label="Search shares" />
        {move || match list.page.get() {
            Ok(page) if page.items.is_empty() && list.searching() => {
                view! {
                    <p class="empty">"No share has that in its title or recipients."</p>
                }
                    .into_any()
            }
            Ok(page) if page.items.is_empty() => {
                view! {
                    <p class="empty">
                        "Nothing shared yet. Share a recording from "
                        <a href="/recordings">"Recordings"</a> "."
                    </p>
                }
                    .into_any()
            }
            Ok(page) => view! { <ShareTable list=page.items /> <Pager list /> }.into_any(),
            Err(ApiError::Invalid { .. }) => ().into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        }}
    }
}

#[component]
fn ShareTable(list: Vec<SentShareView>) -> impl IntoView {
    view! {
        <table class="recordings shares">
            <thead>
                <tr>
                    <th scope="col">"Share"</th>
                    <th scope="col">"Recording"</th>
                    <th scope="col">"Sent"</th>
                    <th scope="col">"Link expiry"</th>
                    <th scope="col">"Recipients"</th>
                    <th scope="col">"Opens"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|share| {
                        view! {
                            <tr class:expired=share.expired>
                                <td><a href=format!("/shares/{}", share.id)>{share.title}</a></td>
                                <td>{share.recording_title}</td>
                                <td>{share.sent_on}</td>
                                <td>{share.expiry}</td>
                                <td>{share.recipients}</td>
                                <td>{share.opens}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn SharePage() -> impl IntoView {
    let id = share_id();
    let activity = Resource::new(id, |id| async move {
        match id {
            Some(id) => share_activity(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match activity.await {
                    Ok(Some(view)) => {
                        view! {
                            <Title text=view.share.title.clone() />
                            <ShareActivity first=Packed::new(&view) />
                        }
                            .into_any()
                    }
                    Ok(None) | Err(ApiError::NotFound) => {
                        super::set_not_found_status();
                        view! {
                            <Title text="Share not found" />
                            <h1>"Share not found"</h1>
                            <p><a href="/shares">"Back to your shares"</a></p>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One share as the page shows it, and what was said of the last action.
#[derive(Clone, Copy)]
struct Shown {
    activity: RwSignal<ShareActivityView>,
    notice: RwSignal<Option<String>>,
}

impl Shown {
    fn show(self, latest: ShareActivityView) {
        show_if_changed(self.activity, latest);
    }

    fn refresh(self) {
        let id = self.activity.with_untracked(|a| a.share.id);
        leptos::task::spawn_local(async move {
            match share_activity(id).await {
                Ok(latest) => self.show(latest),
                Err(error) => self.notice.set(Some(error.to_string())),
            }
        });
    }

    /// Runs one action on the share, then shows its outcome and the new state.
    fn act<F>(self, done: &'static str, work: F)
    where
        F: Future<Output = Result<ShareActivityView, ApiError>> + 'static,
    {
        leptos::task::spawn_local(async move {
            match work.await {
                Ok(latest) => {
                    self.notice.set(Some(done.to_string()));
                    self.show(latest);
                }
                Err(error) => self.notice.set(Some(error.to_string())),
            }
        });
    }
}

/// Who opened the share and how much each watched, refreshed while the page
/// is open, with control over every link and the share's last day.
#[island(lazy)]
fn ShareActivity(first: Packed<ShareActivityView>) -> impl IntoView {
    read_refusal_from_url();
    let first = first.unpack();
    let share_id = first.share.id;
    let shown = Shown {
        activity: RwSignal::new(first),
        notice: RwSignal::new(None),
    };
    keep_fresh(move || shown.refresh(), || true);
    // The date being typed lives here, outside the part that refreshes, so a
    // refresh never overwrites it; `None` shows the share's current last day.
    let last_day = RwSignal::new(None::<String>);
    let current_last_day = move || shown.activity.with(|a| a.share.last_day.clone());
    let change = ServerAction::<ChangeExpiration>::new();
    Effect::new(move |_| {
        change.value().with(|answer| match answer {
            Some(Ok(view)) => {
                last_day.set(None);
                shown
                    .notice
                    .set(Some(format!("Expiration changed. {}.", view.share.expiry)));
                shown.show(view.clone());
            }
            // Refusals of the date are shown by the field.
            Some(Err(ApiError::Invalid { .. })) | None => {}
            Some(Err(other)) => shown.notice.set(Some(other.to_string())),
        })
    });
    // After a plain form post (no scripts), the page comes back with `?done=`
    // (kept in the URL when a later post is refused: the refusal wins).
    if query("done").as_deref() == Some("expiration") && change.value().read_untracked().is_none() {
        shown.notice.set(Some("Expiration changed.".into()));
    }
    let revoke_all = move |_| {
        shown.act(
            "Every link of this share is revoked.",
            revoke_links(share_id, None),
        )
    };
    view! {
        <article class="share-activity">
            <p class="breadcrumb"><a href="/shares">"Shares"</a></p>
            {move || {
                shown
                    .activity
                    .with(|view| {
                        view! {
                            <h1>{view.share.title.clone()}</h1>
                            <p class="meta">
                                {view.share.recording_title.clone()} " · sent "
                                {view.share.sent_on.clone()} " · " {view.share.expiry.clone()}
                            </p>
                        }
                    })
            }}
            <p role="status" class="notice">{move || shown.notice.get()}</p>
            <table class="recordings recipients-activity">
                <thead>
                    <tr>
                        <th scope="col">"Recipient"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Opens"</th>
                        <th scope="col">"Watched"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        shown
                            .activity
                            .with(|a| a.recipients.clone())
                            .into_iter()
                            .map(|recipient| view! { <RecipientRow share_id recipient shown /> })
                            .collect_view()
                    }}
                </tbody>
            </table>
            <div class="share-controls">
                <ActionForm action=change attr:class="expiration-form">
                    <input type="hidden" name="share_id" value=share_id.to_string() />
                    <label for="share-last-day">"Links work through"</label>
                    <input
                        id="share-last-day"
                        name="end_date"
                        type="date"
                        required
                        aria-describedby="share-last-day-error"
                        // The attribute for the page as served, the property once it runs.
                        value=current_last_day
                        prop:value=move || last_day.get().unwrap_or_else(current_last_day)
                        on:input=move |ev| last_day.set(Some(event_target_value(&ev)))
                    />
                    <button type="submit" disabled=move || change.pending().get()>"Change expiration"</button>
                    <FieldError id="share-last-day-error" message=field_error(change, Field::EndDate, false) />
                </ActionForm>
                <button type="button" class="danger" on:click=revoke_all>"Revoke all links"</button>
            </div>
        </article>
    }
}

#[component]
fn RecipientRow(
    share_id: ShareId,
    recipient: RecipientActivityView,
    shown: Shown,
) -> impl IntoView {
    let id = recipient.id;
    let link = recipient.link.clone();
    let copy = move |_| {
        if let Some(link) = link.clone() {
            leptos::task::spawn_local(async move {
                let done = crate::share_window::copy_to_clipboard(&link).await;
                shown.notice.set(Some(
                    if done {
                        "Link copied."
                    } else {
                        "Copying was refused by the browser."
                    }
                    .into(),
                ));
            });
        }
    };
    let resend = move |_| shown.act("The email is on its way.", resend_email(share_id, id));
    let revoke = move |_| shown.act("The link is revoked.", revoke_links(share_id, Some(id)));
    let email = match &recipient.delivery {
        // Generate Links gave them a link for the rep to pass on.
        None if recipient.link.is_some() || recipient.revoked => "Link only (no email)".to_string(),
        None => "Not sent".to_string(),
        Some(Delivery::Queued { retrying: None }) => "Queued".into(),
        Some(Delivery::Queued {
            retrying: Some(why),
        }) => format!("Queued, retrying ({why})"),
        Some(Delivery::Sent) => "Sent".into(),
        Some(Delivery::Failed { reason }) => format!("Failed: {reason}"),
    };
    let opens = match (&recipient.first_open, &recipient.last_open) {
        (Some(first), Some(last)) if recipient.opens > 1 => {
            format!("{} (first {first}, last {last})", recipient.opens)
        }
        (Some(first), _) => format!("1 ({first})"),
        _ => "Not opened".into(),
    };
    let live = recipient.link.is_some();
    // A recipient who only got a link from the rep has had no email yet.
    let resend_label = if recipient.delivery.is_some() {
        "Resend"
    } else {
        "Send email"
    };
    view! {
        <tr data-recipient=recipient.email.clone()>
            <td>
                <strong>{recipient.name.clone()}</strong>
                <br />
                <span class="muted">{recipient.email.clone()}</span>
                {recipient.revoked.then(|| view! { <br /><span class="tag">"Link revoked"</span> })}
            </td>
            <td>{email}</td>
            <td class="opens">{opens}</td>
            <td>
                <span class="percent">{format!("{}%", recipient.percent_watched)}</span>
                <span
                    class="watch-bar"
                    role="img"
                    aria-label=format!("Watched {}% of the recording", recipient.percent_watched)
                >
                    {recipient
                        .watched
                        .iter()
                        .map(|(start, end)| {
                            let style = format!(
                                "left: {:.2}%; width: {:.2}%",
                                start * 100.0,
                                (end - start) * 100.0,
                            );
                            view! { <span class="watch-bar__seen" style=style></span> }
                        })
                        .collect_view()}
                </span>
            </td>
            <td class="actions">
                <button type="button" disabled=!live on:click=copy>"Copy link"</button>
                <button type="button" disabled=!live on:click=resend>{resend_label}</button>
                <button type="button" class="danger" disabled=!live on:click=revoke>"Revoke link"</button>
            </td>
        </tr>
    }
}
