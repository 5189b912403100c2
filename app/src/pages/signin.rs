//! `/signin`: email and password. Works without scripts too (a plain form
//! post); `next` brings the rep back to the page they asked for.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::SignIn;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };

    view! {
        <Title text="Sign in" />
        <section class="signin" aria-labelledby="signin-heading">
            <h1 id="signin-heading">"Sign in"</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="signin-email">"Email"</label>
                    <input id="signin-email" type="email" name="email" autocomplete="username" required />
                </div>
                <div class="field">
                    <label for="signin-password">"Password"</label>
                    <input
                        id="signin-password"
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                    />
                </div>
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
}
