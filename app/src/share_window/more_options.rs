//! Under the expiration: the disclosure button More options, and behind it
//! the share's other settings: "Show a preview when the link is pasted"
//! (the viewer page names the recording and shows its poster to chat apps
//! that unfurl links; on by default).

use leptos::prelude::*;

use super::ShareState;
use crate::api::set_link_preview;

#[component]
pub fn MoreOptions(state: ShareState) -> impl IntoView {
    let open = RwSignal::new(false);
    let link_preview = move || {
        state
            .share
            .with(|s| s.as_ref().is_some_and(|s| s.link_preview))
    };
    let toggle_preview = move |ev: leptos::ev::Event| {
        let Some(id) = state.share.with_untracked(|s| s.as_ref().map(|s| s.id)) else {
            return;
        };
        let on = event_target_checked(&ev);
        state.save(&[], set_link_preview(id, on), move |saved| {
            if saved {
                state.flash(if on {
                    "Pasted links will show a preview."
                } else {
                    "Pasted links will show no preview."
                });
            }
        });
    };
    view! {
        <div class="more-options">
            <button
                type="button"
                class="more-options__toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls="share-more-options"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "More options"
            </button>
            <div id="share-more-options" class="more-options__body" hidden=move || !open.get()>
                <label class="switch">
                    <input
                        type="checkbox"
                        role="switch"
                        prop:checked=link_preview
                        on:change=toggle_preview
                    />
                    " Show a preview when the link is pasted"
                </label>
            </div>
        </div>
    }
}
