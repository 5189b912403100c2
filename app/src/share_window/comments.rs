//! The left panel: comments in timeline order, and the box that adds one.

use leptos::{html, prelude::*};

use super::{
    ShareState,
    menu::{MenuItem, MoreActions},
};
use crate::{
    api::Field,
    api::{add_comment, delete_comment, edit_comment},
    domain::{CommentBody, CommentId, format_clock},
    form::FieldError,
    views::CommentView,
};

#[component]
pub fn CommentsPanel(state: ShareState) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let input = NodeRef::<html::Textarea>::new();
    let editing = RwSignal::new(None::<CommentId>);
    let comments = move || {
        state
            .share
            .with(|s| s.as_ref().map(|s| s.comments.clone()).unwrap_or_default())
    };

    let submit = move || {
        let body = draft.get_untracked();
        if let Err(error) = CommentBody::parse(&body) {
            return state.set_error(Field::Comment, error.to_string());
        }
        let Some(share_id) = state.share.with_untracked(|s| s.as_ref().map(|s| s.id)) else {
            return;
        };
        let at = state.selected_ms.get_untracked();
        state.save(
            &[Field::Comment, Field::CommentTime],
            add_comment(share_id, body, at),
            move |ok| {
                if ok {
                    draft.set(String::new());
                    state.selected_ms.set(None);
                }
            },
        );
    };

    // Enter adds the comment; Shift+Enter starts a new line.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };

    view! {
        <section class="panel comments-panel" aria-labelledby="comments-heading">
            <h3 id="comments-heading">"Comments"</h3>
            <ol class="comment-list">
                <For each=comments key=|c| (c.id, c.body.clone(), c.at_ms) let:comment>
                    <CommentItem comment state editing focus_after_delete=input />
                </For>
            </ol>
            <Show when=move || comments().is_empty()>
                <p class="empty">"No comments yet."</p>
            </Show>
            <div class="field">
                <label for="comment-input">"Comment"</label>
                <textarea
                    id="comment-input"
                    node_ref=input
                    rows="3"
                    placeholder="Write a comment and press Enter"
                    prop:value=draft
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_keydown
                    aria-describedby="comment-stamp comment-error"
                ></textarea>
                <p id="comment-stamp" class="hint">
                    {move || match state.selected_ms.get() {
                        Some(ms) => format!("Stamped at {}", format_clock(ms)),
                        None => "Pick a spot on the timeline to stamp the comment with its time.".to_string(),
                    }}
                </p>
                <Show when=move || state.selected_ms.get().is_some()>
                    <button type="button" class="link-button" on:click=move |_| state.selected_ms.set(None)>
                        "Clear time"
                    </button>
                </Show>
                <FieldError
                    id="comment-error"
                    message=Signal::derive(move || state.error(Field::Comment).get().or(state.error(Field::CommentTime).get()))
                />
            </div>
        </section>
    }
}

#[component]
fn CommentItem(
    comment: CommentView,
    state: ShareState,
    editing: RwSignal<Option<CommentId>>,
    focus_after_delete: NodeRef<html::Textarea>,
) -> impl IntoView {
    let id = comment.id;
    let edit_text = RwSignal::new(comment.body.clone());
    let edit_box = NodeRef::<html::Textarea>::new();

    let save_edit = move || {
        let body = edit_text.get_untracked();
        if let Err(error) = CommentBody::parse(&body) {
            return state.set_error(Field::EditComment, error.to_string());
        }
        state.save(&[Field::EditComment], edit_comment(id, body), move |ok| {
            if ok {
                editing.set(None);
            }
        });
    };
    let on_edit_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" if !ev.shift_key() && !ev.is_composing() => {
            ev.prevent_default();
            save_edit();
        }
        "Escape" => {
            // Leave editing without closing the window.
            ev.prevent_default();
            ev.stop_propagation();
            editing.set(None);
            state.clear_errors(&[Field::EditComment]);
        }
        _ => {}
    };

    let items = vec![
        MenuItem::new("Edit Comment", move || {
            editing.set(Some(id));
            request_animation_frame(move || {
                if let Some(el) = edit_box.get_untracked() {
                    let _ = el.focus();
                }
            });
        }),
        MenuItem::new("Delete Comment", move || {
            state.save(&[], delete_comment(id), move |_| {
                if let Some(el) = focus_after_delete.get_untracked() {
                    let _ = el.focus();
                }
            });
        }),
    ];

    let body = comment.body.clone();
    let at = comment.at_ms;
    view! {
        <li class="comment">
            <Show
                when=move || editing.get() == Some(id)
                fallback=move || {
                    let body = body.clone();
                    match at {
                        Some(at) => view! {
                            <button type="button" class="comment__main" on:click=move |_| state.seek(at)>
                                <span class="comment__time">{format_clock(at)}</span>
                                <span class="comment__body">{body}</span>
                            </button>
                        }
                            .into_any(),
                        None => view! {
                            <div class="comment__main">
                                <span class="comment__body">{body}</span>
                            </div>
                        }
                            .into_any(),
                    }
                }
            >
                <div class="comment__edit">
                    <textarea
                        node_ref=edit_box
                        aria-label="Edit comment"
                        rows="3"
                        prop:value=edit_text
                        on:input=move |ev| edit_text.set(event_target_value(&ev))
                        on:keydown=on_edit_keydown
                    ></textarea>
                    <button type="button" on:click=move |_| save_edit()>"Save"</button>
                    <FieldError id="edit-comment-error" message=state.error(Field::EditComment) />
                </div>
            </Show>
            <MoreActions items=items.clone() />
        </li>
    }
}
