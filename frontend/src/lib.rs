//! The browser half of the app: the code of the pages' islands, which the
//! loader the server puts in every page (`app::hydration`) takes over one by
//! one.

// The app's nested view types go deeper than the default limit when the
// whole bundle is optimised together (release).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydration::start();
}
