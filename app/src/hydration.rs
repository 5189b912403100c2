//! How the browser takes over a page. Pages are rendered on the server; only
//! their islands (`#[island]`: the parts that react to the rep) are hydrated,
//! so the browser bundle carries the code of those parts alone. Islands
//! marked `lazy` (every page's but the Recordings tab's) are chunks of their
//! own, loaded when a page that has one is opened.

use leptos::prelude::*;

/// The loader of the browser bundle, in place of Leptos' own islands
/// script: it also marks the page once every island has been taken over
/// (`data-hydrated`, for tests; the `app-hydrated` performance mark, for the
/// benchmarks), and loads no code on a page without islands.
#[component]
pub fn IslandScripts(options: LeptosOptions) -> impl IntoView {
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    // cargo-leptos names the wasm `{name}_bg.wasm` unless it builds the site
    // itself, which it says by LEPTOS_OUTPUT_NAME at compile time.
    let wasm_suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        ""
    } else {
        "_bg"
    };
    let js = format!("{pkg}.js");
    let wasm = format!("{pkg}{wasm_suffix}.wasm");
    // Outside islands the server renders plain HTML: no hydration markers,
    // no resource values for a browser that will not take them over.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let nonce = leptos::nonce::use_nonce();
    let script = format!(
        "{}({js:?}, {wasm:?});",
        include_str!("hydration.js")
            .trim_end()
            .trim_end_matches(';')
    );
    view! {
        <link rel="modulepreload" href=js.clone() crossorigin="anonymous" />
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous" />
        <script type="module" nonce=nonce>{script}</script>
    }
}

/// The browser bundle's entry point (see `frontend`): readies the reactive
/// system for the islands the loader then hydrates one by one.
#[cfg(feature = "hydrate")]
pub fn start() {
    // A server function that answers with a redirect (signing in) leads the
    // browser there: there is no client-side router to do it.
    // (Set once per page: a second call would only be refused.)
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        if let Err(error) = window().location().set_href(location) {
            leptos::logging::error!("could not go to {location}: {error:?}");
        }
    });
    leptos::mount::hydrate_islands();
}

/// A value handed to an island, as JSON text inside its props. The island
/// reads it with the same code that reads server functions' answers, so the
/// bundle carries one copy of each type's reading code (plain props are read
/// by a second copy, and written out again in the browser for nothing).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Packed<T> {
    json: String,
    #[serde(skip)]
    of: std::marker::PhantomData<fn() -> T>,
}

impl<T: serde::Serialize> Packed<T> {
    /// On the server: `value`, for an island.
    pub fn new(value: &T) -> Self {
        Self {
            json: serde_json::to_string(value).expect("views serialise to JSON"),
            of: std::marker::PhantomData,
        }
    }
}

impl<T: serde::de::DeserializeOwned> Packed<T> {
    /// In the island: the value the server packed.
    pub fn unpack(&self) -> T {
        serde_json::from_slice(self.json.as_bytes()).expect("the server packed this type")
    }
}
