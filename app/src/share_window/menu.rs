//! The "…" menu of a comment or a recipient: a menu button that opens a short
//! list of actions, usable by mouse and keyboard (arrows move, Esc closes
//! without closing the window, Tab leaves).

use leptos::{html, prelude::*};

/// One action of a menu.
#[derive(Clone)]
pub struct MenuItem {
    pub label: &'static str,
    pub run: Callback<()>,
}

impl MenuItem {
    pub fn new(label: &'static str, run: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            label,
            run: Callback::new(move |()| run()),
        }
    }
}

#[component]
pub fn MoreActions(items: Vec<MenuItem>) -> impl IntoView {
    let open = RwSignal::new(false);
    let wrapper = NodeRef::<html::Div>::new();
    let button = NodeRef::<html::Button>::new();

    // Opening moves focus to the first action, as menus do.
    Effect::new(move |_| {
        if open.get() {
            // After the list is in the page.
            request_animation_frame(move || focus_item(wrapper, |_, _| 0));
        }
    });

    let close_and_refocus = move || {
        open.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            // Keep Esc from also closing the dialog around the menu.
            ev.prevent_default();
            ev.stop_propagation();
            close_and_refocus();
        }
        "ArrowDown" => {
            ev.prevent_default();
            focus_item(wrapper, |current, count| {
                current.map_or(0, |i| (i + 1) % count)
            });
        }
        "ArrowUp" => {
            ev.prevent_default();
            focus_item(wrapper, |current, count| {
                current.map_or(count - 1, |i| (i + count - 1) % count)
            });
        }
        "Tab" => open.set(false),
        _ => {}
    };

    // Clicking or tabbing elsewhere closes the menu.
    let on_focusout = move |ev: leptos::ev::FocusEvent| {
        let inside = ev
            .related_target()
            .zip(wrapper.get_untracked())
            .is_some_and(|(target, wrapper)| {
                use wasm_bindgen::JsCast;
                target
                    .dyn_ref::<web_sys::Node>()
                    .is_some_and(|node| wrapper.contains(Some(node)))
            });
        if !inside {
            open.set(false);
        }
    };

    view! {
        <div class="menu" node_ref=wrapper on:focusout=on_focusout on:keydown=on_keydown>
            <button
                node_ref=button
                type="button"
                class="menu__button"
                aria-label="More actions"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "…"
            </button>
            <Show when=move || open.get()>
                <div class="menu__list" role="menu">
                    {items
                        .clone()
                        .into_iter()
                        .map(|item| {
                            view! {
                                <button
                                    type="button"
                                    role="menuitem"
                                    tabindex="-1"
                                    on:click=move |_| {
                                        open.set(false);
                                        item.run.run(());
                                    }
                                >
                                    {item.label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            </Show>
        </div>
    }
}

/// Focuses the menu item that `pick(current index, count)` names.
fn focus_item(wrapper: NodeRef<html::Div>, pick: impl Fn(Option<usize>, usize) -> usize) {
    use wasm_bindgen::JsCast;
    let Some(wrapper) = wrapper.get_untracked() else {
        return;
    };
    let Ok(items) = wrapper.query_selector_all("[role=menuitem]") else {
        return;
    };
    let count = items.length() as usize;
    if count == 0 {
        return;
    }
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let current = (0..count).find(|i| {
        items
            .item(*i as u32)
            .zip(active.as_ref())
            .is_some_and(|(item, active)| item.is_same_node(Some(active)))
    });
    if let Some(item) = items
        .item(pick(current, count) as u32)
        .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = item.focus();
    }
}
