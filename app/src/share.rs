//! The Share Recording window.

use leptos::prelude::*;

use crate::domain::RecordingSummary;

/// A modal dialog for sharing `sharing`'s recording; open while it is `Some`.
///
/// The native `<dialog>` shown with `showModal()` makes the rest of the page
/// inert (focus stays inside), closes on Esc, and gives focus back to the
/// button that opened it.
#[component]
pub fn ShareDialog(sharing: RwSignal<Option<RecordingSummary>>) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        match sharing.get() {
            Some(_) if !el.open() => {
                if let Err(error) = el.show_modal() {
                    leptos::logging::error!("could not open the share window: {error:?}");
                }
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
            <h2 id="share-dialog-title">"Share Recording"</h2>
            <p class="share-dialog__recording">{move || sharing.get().map(|r| r.title)}</p>
            <div class="actions">
                <button type="button" on:click=move |_| sharing.set(None)>
                    "Cancel"
                </button>
            </div>
        </dialog>
    }
}
