//! The right panel: who the share goes to, with each one's link once generated.

use leptos::{html, prelude::*, task::spawn_local};

use super::{
    ShareState, copy_to_clipboard,
    menu::{MenuItem, MoreActions},
};
use crate::{
    api::Field,
    api::{add_recipient, remove_recipient},
    domain::{RecipientEmail, RecipientName},
    form::FieldError,
    views::RecipientView,
};

#[component]
pub fn RecipientsPanel(state: ShareState) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let name_input = NodeRef::<html::Input>::new();
    let recipients = move || {
        state
            .share
            .with(|s| s.as_ref().map(|s| s.recipients.clone()).unwrap_or_default())
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (raw_name, raw_email) = (name.get_untracked(), email.get_untracked());
        // The server checks again; these are for an instant answer.
        let name_ok = RecipientName::parse(&raw_name)
            .map_err(|e| state.set_error(Field::RecipientName, e.to_string()));
        let email_ok = RecipientEmail::parse(&raw_email)
            .map_err(|e| state.set_error(Field::RecipientEmail, e.to_string()));
        if name_ok.is_ok() {
            state.clear_errors(&[Field::RecipientName]);
        }
        if email_ok.is_ok() {
            state.clear_errors(&[Field::RecipientEmail]);
        }
        if name_ok.is_err() || email_ok.is_err() {
            return;
        }
        let Some(share_id) = state.share.with_untracked(|s| s.as_ref().map(|s| s.id)) else {
            return;
        };
        state.save(
            &[
                Field::RecipientName,
                Field::RecipientEmail,
                Field::Recipients,
            ],
            add_recipient(share_id, raw_name, raw_email),
            move |ok| {
                if ok {
                    name.set(String::new());
                    email.set(String::new());
                    if let Some(input) = name_input.get_untracked() {
                        let _ = input.focus();
                    }
                }
            },
        );
    };

    view! {
        <section class="panel recipients-panel" aria-labelledby="recipients-heading">
            <h3 id="recipients-heading">"Recipients"</h3>
            <form class="recipient-form" on:submit=on_submit novalidate>
                <RecipientInput
                    id="recipient-name"
                    label="Recipient's Name"
                    kind="text"
                    maxlength=100
                    value=name
                    error=state.error(Field::RecipientName)
                    node_ref=name_input
                />
                <RecipientInput
                    id="recipient-email"
                    label="Recipient's email"
                    kind="email"
                    maxlength=254
                    value=email
                    error=state.error(Field::RecipientEmail)
                    node_ref=NodeRef::new()
                />
                <button type="submit">"Add Recipient"</button>
            </form>
            <ul class="recipient-list" aria-label="Recipients">
                <For each=recipients key=|r| (r.id, r.link.clone()) let:recipient>
                    <RecipientItem recipient state focus_after_remove=name_input />
                </For>
            </ul>
            <Show when=move || recipients().is_empty()>
                <p class="empty">"No recipients yet."</p>
            </Show>
        </section>
    }
}

/// One labelled input of the recipient form, with its error under it.
#[component]
fn RecipientInput(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    maxlength: u32,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    node_ref: NodeRef<html::Input>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                node_ref=node_ref
                type=kind
                autocomplete="off"
                maxlength=maxlength
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <FieldError id=error_id message=error />
        </div>
    }
}

#[component]
fn RecipientItem(
    recipient: RecipientView,
    state: ShareState,
    focus_after_remove: NodeRef<html::Input>,
) -> impl IntoView {
    let id = recipient.id;
    let items = vec![MenuItem::new("Remove Recipient", move || {
        state.save(&[], remove_recipient(id), move |_| {
            if let Some(input) = focus_after_remove.get_untracked() {
                let _ = input.focus();
            }
        });
    })];
    let link = recipient.link.clone();
    let who = recipient.name.clone();
    // The email status changes while the window is open; the rest does not.
    let delivery = move || {
        state.share.with(|s| {
            s.as_ref()
                .and_then(|s| s.recipients.iter().find(|r| r.id == id))
                .and_then(|r| r.delivery.clone())
        })
    };
    view! {
        <li class="recipient">
            <div class="recipient__who">
                <span class="recipient__name">{recipient.name.clone()}</span>
                <span class="recipient__email">{recipient.email.clone()}</span>
                {link.map(|link| {
                    let copy = link.clone();
                    let href = link.clone();
                    let label = format!("Copy link for {who}");
                    view! {
                        <span class="recipient__link">
                            <a href=href target="_blank" rel="noopener noreferrer">{link}</a>
                            <button
                                type="button"
                                class="link-button"
                                aria-label=label
                                on:click=move |_| {
                                    let copy = copy.clone();
                                    spawn_local(async move {
                                        if copy_to_clipboard(&copy).await {
                                            state.flash("Link copied to the clipboard.");
                                        } else {
                                            state.flash("The browser did not allow copying; select the link instead.");
                                        }
                                    });
                                }
                            >
                                "Copy"
                            </button>
                        </span>
                    }
                })}
                {move || delivery().map(|d| {
                    view! {
                        <span class=format!("recipient__status recipient__status--{}", d.key())>
                            {d.label()}
                        </span>
                    }
                })}
            </div>
            <MoreActions items=items.clone() />
        </li>
    }
}
