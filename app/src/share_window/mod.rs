//! The Share Recording window: a modal dialog with the share's title and
//! expiration on top, comments on the left, the player in the middle and the
//! recipients on the right. Everything is saved as it is entered; the window
//! only shows what the server answered.

mod comments;
mod menu;
mod more_options;
mod player;
mod recipients;
mod title_and_expiry;

use std::collections::HashMap;

use leptos::{html, prelude::*, task::spawn_local};

use crate::{
    api::{ApiError, Field},
    api::{generate_links, get_share, open_share, send_emails},
    domain::ShareId,
    views::{Delivery, RecordingSummary, ShareView},
};

/// The window's state, shared by its panels (all parts are `Copy` handles).
#[derive(Clone, Copy)]
pub(crate) struct ShareState {
    /// The share as last saved; `None` while loading.
    pub share: RwSignal<Option<ShareView>>,
    /// Messages to show next to fields.
    pub errors: RwSignal<HashMap<Field, String>>,
    /// A problem that belongs to no field (e.g. the server is unreachable).
    pub problem: RwSignal<Option<String>>,
    /// A confirmation that disappears by itself.
    pub notice: RwSignal<Option<String>>,
    /// The time picked on the timeline for the next comment.
    pub selected_ms: RwSignal<Option<i64>>,
    pub video: NodeRef<html::Video>,
}

impl ShareState {
    fn new() -> Self {
        Self {
            share: RwSignal::new(None),
            errors: RwSignal::new(HashMap::new()),
            problem: RwSignal::new(None),
            notice: RwSignal::new(None),
            selected_ms: RwSignal::new(None),
            video: NodeRef::new(),
        }
    }

    pub fn error(self, field: Field) -> Signal<Option<String>> {
        Signal::derive(move || self.errors.with(|e| e.get(&field).cloned()))
    }

    pub fn set_error(self, field: Field, message: impl Into<String>) {
        let message = message.into();
        self.errors.update(|e| {
            e.insert(field, message);
        });
    }

    pub fn clear_errors(self, fields: &[Field]) {
        if self
            .errors
            .with_untracked(|e| fields.iter().any(|f| e.contains_key(f)))
        {
            self.errors
                .update(|e| fields.iter().for_each(|f| drop(e.remove(f))));
        }
    }

    /// Runs a server call; on success shows the new share and clears the
    /// errors of `fields`, then calls `done(true)`; on failure shows the error
    /// where it belongs and calls `done(false)`.
    pub fn save<F>(self, fields: &'static [Field], call: F, done: impl FnOnce(bool) + 'static)
    where
        F: Future<Output = Result<ShareView, ApiError>> + 'static,
    {
        spawn_local(async move {
            let ok = self.apply(fields, call.await);
            done(ok);
        });
    }

    /// Shows a server call's answer: the new share (clearing the errors of
    /// `fields`), or the error where it belongs. Whether it succeeded.
    pub fn apply(self, fields: &[Field], answer: Result<ShareView, ApiError>) -> bool {
        match answer {
            Ok(view) => {
                self.share.set(Some(view));
                self.clear_errors(fields);
                self.problem.set(None);
                true
            }
            Err(ApiError::Invalid { field, message }) => {
                self.set_error(field, message);
                false
            }
            Err(other) => {
                self.problem.set(Some(other.to_string()));
                false
            }
        }
    }

    /// Shows `message` for a few seconds.
    pub fn flash(self, message: impl Into<String>) {
        let message = message.into();
        self.notice.set(Some(message.clone()));
        gloo_timers::callback::Timeout::new(5_000, move || {
            // Only clear this message, not a newer one.
            if self.notice.get_untracked().as_deref() == Some(message.as_str()) {
                self.notice.set(None);
            }
        })
        .forget();
    }

    /// Moves the player to `ms` and plays from there.
    pub fn seek(self, ms: i64) {
        if let Some(video) = self.video.get_untracked() {
            video.set_current_time(ms as f64 / 1000.0);
            let _ = video.play();
        }
    }
}

/// The Share Recording window for `sharing`'s recording; open while it is `Some`.
///
/// The window's code is a chunk of its own, loaded when a Share button is
/// first pointed at, focused or pressed ([`prefetch`]): the pages that have
/// a Share button do not carry it in their first load. Once opened, the
/// window stays mounted (closed) for the next time.
#[component]
pub fn ShareDialog(sharing: RwSignal<Option<RecordingSummary>>) -> impl IntoView {
    let opened = Memo::new(move |before: Option<&bool>| {
        before.copied().unwrap_or(false) || sharing.with(Option::is_some)
    });
    move || {
        opened
            .get()
            .then(|| Suspend::new(async move { share_window(sharing).await }))
    }
}

/// Starts loading the Share window's code, so that a click on Share opens it
/// at once. For a Share button's `pointerenter` and `focus`.
pub fn prefetch() {
    #[cfg(feature = "hydrate")]
    spawn_local(__preload_share_window());
}

#[lazy]
fn share_window(sharing: RwSignal<Option<RecordingSummary>>) -> AnyView {
    view! { <ShareWindow sharing /> }.into_any()
}

/// The window itself. The native `<dialog>` shown with `showModal()` makes
/// the rest of the page inert (focus stays inside), closes on Esc, and gives
/// focus back to the button that opened it.
#[component]
fn ShareWindow(sharing: RwSignal<Option<RecordingSummary>>) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let state = ShareState::new();

    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        match sharing.get() {
            Some(recording) if !el.open() => {
                state.share.set(None);
                state.errors.set(HashMap::new());
                state.problem.set(None);
                state.selected_ms.set(None);
                if let Err(error) = el.show_modal() {
                    leptos::logging::error!("could not open the share window: {error:?}");
                }
                // Start in the first field once the saved draft is in.
                state.save(
                    &[],
                    open_share(recording.id, browser_time_zone()),
                    |loaded| {
                        if loaded {
                            request_animation_frame(|| {
                                focus_by_id("share-title");
                                crate::performance_mark("share-window-ready");
                            });
                        }
                    },
                );
            }
            None if el.open() => el.close(),
            _ => {}
        }
    });

    view! {
        <dialog
            node_ref=dialog
            class="share-dialog"
            aria-labelledby="share-dialog-title"
            on:close=move |_| sharing.set(None)
        >
            <header class="share-dialog__head">
                <h2 id="share-dialog-title">"Share Recording"</h2>
                <Show when=move || state.share.with(Option::is_some)>
                    <title_and_expiry::TitleAndExpiry state />
                    <more_options::MoreOptions state />
                </Show>
            </header>
            {move || state.problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <Show
                when=move || state.share.with(Option::is_some)
                fallback=move || {
                    view! {
                        <p class="share-dialog__loading">
                            {move || sharing.get().map(|r| format!("Opening “{}”…", r.title))}
                        </p>
                    }
                }
            >
                <div class="share-dialog__panels">
                    <comments::CommentsPanel state />
                    <player::PlayerPanel state />
                    <recipients::RecipientsPanel state />
                </div>
            </Show>
            <Footer state sharing />
        </dialog>
    }
}

/// Send Email(s), Generate Links, Cancel, and the confirmation line.
#[component]
fn Footer(state: ShareState, sharing: RwSignal<Option<RecordingSummary>>) -> impl IntoView {
    let no_recipients = move || {
        state
            .share
            .with(|s| s.as_ref().is_none_or(|s| s.recipients.is_empty()))
    };
    let working = RwSignal::new(false);
    // The share and how many emails its last Send Email(s) queued, for the
    // progress line.
    let sending = RwSignal::new(None::<(ShareId, usize)>);

    let generate = move |_| {
        let Some(share) = state.share.get_untracked() else {
            return;
        };
        working.set(true);
        state.save(&[Field::Recipients], generate_links(share.id), move |ok| {
            working.set(false);
            if !ok {
                return;
            }
            let Some(share) = state.share.get_untracked() else {
                return;
            };
            let text = share.links_for_clipboard();
            spawn_local(async move {
                if copy_to_clipboard(&text).await {
                    state.flash("Links copied to the clipboard.");
                } else {
                    state.flash("Links generated. Copy them from the list.");
                }
            });
        });
    };

    let send = move |_| {
        let Some(share) = state.share.get_untracked() else {
            return;
        };
        working.set(true);
        spawn_local(async move {
            match send_emails(share.id).await {
                Ok(receipt) => {
                    state.share.set(Some(receipt.share));
                    state.clear_errors(&[Field::Recipients, Field::StartDate]);
                    state.problem.set(None);
                    if receipt.queued == 0 {
                        sending.set(None);
                        state.flash("Everyone on the list has been emailed already.");
                    } else {
                        sending.set(Some((share.id, receipt.queued)));
                    }
                }
                Err(ApiError::Invalid { field, message }) => state.set_error(field, message),
                Err(other) => state.problem.set(Some(other.to_string())),
            }
            working.set(false);
        });
    };

    // While emails are on their way, ask for the share again every second,
    // so each recipient's status follows the worker.
    let poll_scheduled = StoredValue::new(false);
    Effect::new(move |_| {
        let Some((id, pending)) = state
            .share
            .with(|s| s.as_ref().map(|s| (s.id, s.emails_pending())))
        else {
            return;
        };
        if pending == 0 || poll_scheduled.get_value() {
            return;
        }
        poll_scheduled.set_value(true);
        gloo_timers::callback::Timeout::new(1_000, move || {
            spawn_local(async move {
                let latest = get_share(id).await;
                poll_scheduled.set_value(false);
                let still_shown = sharing.with_untracked(Option::is_some)
                    && state
                        .share
                        .with_untracked(|s| s.as_ref().is_some_and(|s| s.id == id));
                match latest {
                    Ok(view) if still_shown => state.share.set(Some(view)),
                    Ok(_) => {}
                    Err(error) => state
                        .problem
                        .set(Some(format!("Could not check on the emails: {error}"))),
                }
            });
        })
        .forget();
    });

    let progress = move || {
        let (share_id, queued) = sending.get()?;
        // Only for the share it was sent from, not one opened since.
        let (pending, failed) = state.share.with(|s| {
            let s = s.as_ref().filter(|s| s.id == share_id)?;
            let failed = s
                .recipients
                .iter()
                .filter(|r| matches!(r.delivery, Some(Delivery::Failed { .. })))
                .count();
            Some((s.emails_pending(), failed))
        })?;
        Some(if pending > 0 {
            format!("Sending to {queued} {}…", plural(queued, "recipient"))
        } else if failed > 0 {
            format!(
                "{failed} {} could not be sent; see the list.",
                plural(failed, "email")
            )
        } else {
            format!("Sent to {queued} {}.", plural(queued, "recipient"))
        })
    };

    view! {
        <footer class="share-dialog__foot">
            <button
                type="button"
                class="primary"
                disabled=move || no_recipients() || working.get()
                on:click=send
            >
                "Send Email(s)"
            </button>
            <button type="button" disabled=move || no_recipients() || working.get() on:click=generate>
                "Generate Links"
            </button>
            <button type="button" on:click=move |_| sharing.set(None)>
                "Cancel"
            </button>
            <p class="notice" role="status" aria-live="polite">
                {move || progress().or_else(|| state.notice.get())}
            </p>
            {move || state.error(Field::Recipients).get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </footer>
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

fn focus_by_id(id: &str) {
    use wasm_bindgen::JsCast;
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id));
    if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// The IANA zone the browser reports (e.g. "Europe/Paris").
fn browser_time_zone() -> String {
    #[cfg(feature = "hydrate")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        if let Some(zone) = js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|z| z.as_string())
        {
            return zone;
        }
    }
    String::new()
}

/// Writes `text` to the clipboard; `false` if the browser refused.
pub(crate) async fn copy_to_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let promise = window.navigator().clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}
