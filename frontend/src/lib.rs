//! The browser half of the app: takes over the server-rendered page.

// The app's nested view types go deeper than the default limit when the
// whole bundle is optimised together (release).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
