//! `/signin`: email and password. Works without scripts too (a plain form
//! post); `next` brings the rep back to the page they asked for.

use leptos::prelude::*;
use leptos_meta::Title;

use super::query;
use crate::{api::SignIn, form::read_refusal_from_url};

#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <section class="signin" aria-labelledby="signin-heading">
            <h1 id="signin-heading">"Sign in"</h1>
            <SignInForm next=query("next").unwrap_or_default() />
        </section>
    }
}

/// The form, which once the page has loaded keeps what was typed when the
/// password is refused.
#[island(lazy)]
fn SignInForm(next: String) -> impl IntoView {
    read_refusal_from_url();
    let action = ServerAction::<SignIn>::new();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
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
    }
}
