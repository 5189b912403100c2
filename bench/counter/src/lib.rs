//! A counter: the baseline our browser bundle is compared with.

use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let count = RwSignal::new(0);
    view! {
        <button on:click=move |_| *count.write() += 1>"Clicked " {count} " times"</button>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
