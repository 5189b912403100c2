//! Share a Recording: the rep's pages, rendered on the server; the parts
//! that react to the rep are islands, hydrated in the browser (see
//! [`hydration`]).

// The Share window's view type, awaited as a lazy chunk, is nested deeper
// than the default limit lets a release build compute its layout.
#![recursion_limit = "256"]

pub mod api;
pub mod csp;
pub mod domain;
mod form;
pub mod hydration;
mod pages;
mod share_window;
pub mod upload;
pub mod views;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod clock;
pub mod link;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{A, Redirect, Route, Router, Routes},
    path,
};

/// Leaves a `performance.mark` in the browser, so how long the app takes to
/// become usable can be read where it matters: in the browser (see bench/).
pub(crate) fn performance_mark(name: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    csp::set_app_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <hydration::IslandScripts options />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href="/pkg/share-a-recording.css" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Share a Recording".to_string() } else { format!("{title} · Share a Recording") }
        } />
        <Router>
            <div class="app" data-hydrated="false">
                <header class="topbar">
                    <a class="brand" href="/recordings">"Share a Recording"</a>
                    <nav aria-label="Main">
                        <A href="/recordings">"Recordings"</A>
                        <A href="/shares">"Shares"</A>
                        <A href="/settings">"Settings"</A>
                    </nav>
                    <SignOut />
                </header>
                <main id="main">
                    <Routes fallback=pages::NotFound>
                        <Route path=path!("/") view=|| view! { <Redirect path="/recordings" /> } />
                        <Route path=path!("/recordings") view=pages::recordings::RecordingsPage ssr=SsrMode::Async />
                        <Route path=path!("/recordings/:id") view=pages::recording::RecordingPage ssr=SsrMode::Async />
                        <Route path=path!("/shares") view=pages::sent_shares::SharesPage ssr=SsrMode::Async />
                        <Route path=path!("/shares/:id") view=pages::sent_shares::SharePage ssr=SsrMode::Async />
                        <Route path=path!("/settings") view=pages::profile::SettingsPage ssr=SsrMode::Async />
                        <Route path=path!("/signin") view=pages::signin::SignInPage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// The Sign out button, on every page but the sign-in page: a plain form
/// post, answered with the sign-in page.
#[component]
fn SignOut() -> impl IntoView {
    let action = ServerAction::<api::SignOut>::new();
    let location = leptos_router::hooks::use_location();
    let signing_in = move || location.pathname.get().starts_with("/signin");
    view! {
        <Show when=move || !signing_in()>
            <ActionForm action attr:class="signout">
                <button type="submit">"Sign out"</button>
            </ActionForm>
        </Show>
    }
}
