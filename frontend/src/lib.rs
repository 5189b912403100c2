//! The browser half of the app: takes over the server-rendered page.

// The app's nested view types go deeper than the default limit when the
// whole bundle is optimised together (release).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        // Waits for the code of a page loaded on demand (Shares, Settings)
        // before taking over the server-rendered page.
        let body = leptos::prelude::document()
            .body()
            .expect("the page has a body");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        app::hydrated();
    });
}
