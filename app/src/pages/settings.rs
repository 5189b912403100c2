//! `/settings`: the rep's name, time zone (for expiry dates and the times in
//! notification emails) and password.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use crate::{
    api::{Profile, change_password, get_profile, save_profile},
    domain::{Field, ShareError},
    share::FieldError,
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
                    Ok(profile) => view! { <ProfileForm profile /> <PasswordForm /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The message for `field`, if the last answer was about it.
fn error_for(errors: RwSignal<Option<(Field, String)>>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || {
        errors
            .get()
            .filter(|(f, _)| *f == field)
            .map(|(_, message)| message)
    })
}

#[component]
fn ProfileForm(profile: Profile) -> impl IntoView {
    let name = RwSignal::new(profile.name.clone());
    let zone = RwSignal::new(profile.time_zone.clone());
    let errors = RwSignal::new(None::<(Field, String)>);
    let saved = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        spawn_local(async move {
            match save_profile(name.get_untracked(), zone.get_untracked()).await {
                Ok(profile) => {
                    name.set(profile.name);
                    errors.set(None);
                    saved.set(Some("Saved.".into()));
                }
                Err(ShareError::Invalid { field, message }) => errors.set(Some((field, message))),
                Err(other) => errors.set(Some((Field::RepName, other.to_string()))),
            }
        });
    };
    let zones = profile.zones.clone();
    view! {
        <form class="settings" on:submit=on_submit novalidate>
            <p>"Signed in as " {profile.email.clone()}</p>
            <div class="field">
                <label for="settings-name">"Name"</label>
                <input id="settings-name" aria-describedby="settings-name-error" type="text" maxlength=100 prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                <FieldError id="settings-name-error" message=error_for(errors, Field::RepName) />
            </div>
            <div class="field">
                <label for="settings-zone">"Time zone"</label>
                <select id="settings-zone" aria-describedby="settings-zone-error" prop:value=zone on:change=move |ev| zone.set(event_target_value(&ev))>
                    <option value="" disabled=true selected=profile.time_zone.is_empty()>"Choose your time zone"</option>
                    {zones
                        .into_iter()
                        .map(|z| {
                            let selected = z == profile.time_zone;
                            let label = z.clone();
                            view! { <option value=z selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
                <FieldError id="settings-zone-error" message=error_for(errors, Field::TimeZone) />
            </div>
            <button type="submit" class="primary">"Save"</button>
            <p class="notice" role="status">{move || saved.get()}</p>
        </form>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<(Field, String)>);
    let done = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        spawn_local(async move {
            match change_password(current.get_untracked(), new.get_untracked()).await {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    errors.set(None);
                    done.set(Some("Password changed.".into()));
                }
                Err(ShareError::Invalid { field, message }) => errors.set(Some((field, message))),
                Err(other) => errors.set(Some((Field::CurrentPassword, other.to_string()))),
            }
        });
    };
    view! {
        <form class="settings" on:submit=on_submit novalidate>
            <h2>"Password"</h2>
            <div class="field">
                <label for="settings-current">"Current password"</label>
                <input id="settings-current" aria-describedby="settings-current-error" type="password" autocomplete="current-password" prop:value=current on:input=move |ev| current.set(event_target_value(&ev)) />
                <FieldError id="settings-current-error" message=error_for(errors, Field::CurrentPassword) />
            </div>
            <div class="field">
                <label for="settings-new">"New password"</label>
                <input id="settings-new" aria-describedby="settings-new-error" type="password" autocomplete="new-password" prop:value=new on:input=move |ev| new.set(event_target_value(&ev)) />
                <FieldError id="settings-new-error" message=error_for(errors, Field::NewPassword) />
            </div>
            <button type="submit">"Change password"</button>
            <p class="notice" role="status">{move || done.get()}</p>
        </form>
    }
}
