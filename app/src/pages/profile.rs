//! `/settings`: the rep's name, time zone (for expiry dates and the times in
//! notification emails) and password. Both forms work without scripts too
//! (a plain form post comes back here with the message by its field).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{ChangePassword, Field, SaveProfile, SignOutEverywhere, get_profile},
    form::{FieldError, done_notice, field_error, read_refusal_from_url},
    hydration::Packed,
    views::Profile,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_profile());
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(profile) => view! { <SettingsForms profile=Packed::new(&profile) /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The page's three forms, which answer in place once the page has loaded.
#[island(lazy)]
fn SettingsForms(profile: Packed<Profile>) -> impl IntoView {
    read_refusal_from_url();
    let profile = profile.unpack();
    view! {
        <ProfileForm profile />
        <PasswordForm />
        <SessionsForm />
    }
}

#[component]
fn ProfileForm(profile: Profile) -> impl IntoView {
    let action = ServerAction::<SaveProfile>::new();
    let saved = done_notice(action, "profile", "Saved.");
    let zones = profile.zones.clone();
    view! {
        <ActionForm action attr:class="settings" attr:novalidate=true>
            <p>"Signed in as " {profile.email.clone()}</p>
            <div class="field">
                <label for="settings-name">"Name"</label>
                <input
                    id="settings-name"
                    name="name"
                    aria-describedby="settings-name-error"
                    type="text"
                    maxlength=100
                    value=profile.name.clone()
                />
                <FieldError id="settings-name-error" message=field_error(action, Field::RepName, true) />
            </div>
            <div class="field">
                <label for="settings-zone">"Time zone"</label>
                <select id="settings-zone" name="time_zone" aria-describedby="settings-zone-error">
                    // Not disabled: a form without a chosen zone still sends the field, and is told to pick one.
                    <option value="" selected=profile.time_zone.is_empty()>"Choose your time zone"</option>
                    {zones
                        .into_iter()
                        .map(|z| {
                            let selected = z == profile.time_zone;
                            let label = z.clone();
                            view! { <option value=z selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
                <FieldError id="settings-zone-error" message=field_error(action, Field::TimeZone, false) />
            </div>
            <button type="submit" class="primary" disabled=move || action.pending().get()>"Save"</button>
            <p class="notice" role="status">{saved}</p>
        </ActionForm>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let changed = done_notice(action, "password", "Password changed.");
    let form = NodeRef::<leptos::html::Form>::new();
    // A changed password is not left in the fields.
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(()))))
            && let Some(form) = form.get_untracked()
        {
            form.reset();
        }
    });
    view! {
        <ActionForm action node_ref=form attr:class="settings" attr:novalidate=true>
            <h2>"Password"</h2>
            <div class="field">
                <label for="settings-current">"Current password"</label>
                <input id="settings-current" name="current" aria-describedby="settings-current-error" type="password" autocomplete="current-password" />
                <FieldError id="settings-current-error" message=field_error(action, Field::CurrentPassword, true) />
            </div>
            <div class="field">
                <label for="settings-new">"New password"</label>
                <input id="settings-new" name="new" aria-describedby="settings-new-error" type="password" autocomplete="new-password" />
                <FieldError id="settings-new-error" message=field_error(action, Field::NewPassword, false) />
            </div>
            <button type="submit" disabled=move || action.pending().get()>"Change password"</button>
            <p class="notice" role="status">{changed}</p>
        </ActionForm>
    }
}

/// Ends every session of the rep (a lost laptop, a shared computer), this
/// one too.
#[component]
fn SessionsForm() -> impl IntoView {
    let action = ServerAction::<SignOutEverywhere>::new();
    view! {
        <ActionForm action attr:class="settings">
            <h2>"Sessions"</h2>
            <p>"Signed in on a computer or phone you no longer use? This signs you out on every one of them, this one too."</p>
            <FieldError id="settings-sessions-error" message=field_error(action, Field::RepName, true) />
            <button type="submit" class="danger" disabled=move || action.pending().get()>"Sign out everywhere"</button>
        </ActionForm>
    }
}
