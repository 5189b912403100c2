//! The Content-Security-Policy of the app's pages. Scripts run only from this
//! site and only with the nonce Leptos puts on its inline hydration script;
//! WebAssembly may compile; nothing may frame the app.

/// The policy for a page rendered with `nonce`. `reload` allows the
/// websocket of `cargo leptos watch` (development only).
pub fn app_policy(nonce: &str, reload: bool) -> String {
    let reload = if reload { " ws: wss:" } else { "" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         media-src 'self' blob:; connect-src 'self'{reload}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Whether pages reload live (`cargo leptos watch`), provided as context.
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveReload(pub bool);

/// Sets the policy on the response being rendered (server side only).
pub fn set_app_policy() {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        let (Some(nonce), Some(response)) = (
            leptos::nonce::use_nonce(),
            use_context::<leptos_axum::ResponseOptions>(),
        ) else {
            return;
        };
        let reload = use_context::<LiveReload>().unwrap_or_default().0;
        if let Ok(value) = http::HeaderValue::from_str(&app_policy(&nonce.to_string(), reload)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
