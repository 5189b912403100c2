//! The top of the window: the share's title and when its links expire (the
//! share's own settings, not the rep's: those are the Settings page).

use leptos::prelude::*;

use super::ShareState;
use crate::{
    api::Field,
    api::{set_share_expiration, set_share_title},
    domain::{ExpiryPreset, RecordingTitle},
    form::FieldError,
};

#[component]
pub fn TitleAndExpiry(state: ShareState) -> impl IntoView {
    let share = state.share;
    let get = move |f: fn(&crate::views::ShareView) -> String| {
        share.with(|s| s.as_ref().map(f).unwrap_or_default())
    };
    let share_id = move || share.with_untracked(|s| s.as_ref().map(|s| s.id).unwrap_or_default());

    let save_title = move |ev: leptos::ev::Event| {
        let raw = event_target_value(&ev);
        if let Err(error) = RecordingTitle::parse(&raw) {
            return state.set_error(Field::Title, error.to_string());
        }
        state.save(&[Field::Title], set_share_title(share_id(), raw), |_| ());
    };

    let expiration = move || share.with(|s| s.as_ref().map(|s| s.expiration.clone()));
    let preset = move || {
        expiration()
            .map(|e| e.preset)
            .unwrap_or(ExpiryPreset::Days30)
    };
    let save_expiration = move |preset: ExpiryPreset, start: String, end: Option<String>| {
        state.save(
            &[Field::Expiration, Field::StartDate, Field::EndDate],
            set_share_expiration(share_id(), preset, start, end),
            |_| (),
        );
    };
    let on_preset = move |ev: leptos::ev::Event| {
        let Some(preset) = ExpiryPreset::from_key(&event_target_value(&ev)) else {
            return;
        };
        let Some(current) = expiration() else { return };
        // Switching to Custom starts from the current last day, so nothing moves until the rep picks.
        let end = (preset == ExpiryPreset::Custom)
            .then(|| current.end_date.clone().unwrap_or(current.last_day.clone()));
        save_expiration(preset, current.start_date, end);
    };
    let on_start = move |ev: leptos::ev::Event| {
        let Some(current) = expiration() else { return };
        save_expiration(current.preset, event_target_value(&ev), current.end_date);
    };
    let on_end = move |ev: leptos::ev::Event| {
        let Some(current) = expiration() else { return };
        save_expiration(
            ExpiryPreset::Custom,
            current.start_date,
            Some(event_target_value(&ev)),
        );
    };

    view! {
        <div class="share-settings">
            <div class="field field--title">
                <label for="share-title">"Title"</label>
                <input
                    id="share-title"
                    type="text"
                    maxlength="200"
                    prop:value=move || get(|s| s.title.clone())
                    on:change=save_title
                    aria-invalid=move || state.error(Field::Title).get().is_some().to_string()
                    aria-describedby="share-title-error"
                />
                <FieldError id="share-title-error" message=state.error(Field::Title) />
            </div>
            <div class="field">
                <label for="share-expiration">"Expiration"</label>
                <select id="share-expiration" on:change=on_preset>
                    {ExpiryPreset::ALL
                        .into_iter()
                        .map(|p| view! { <option value=p.key() selected=move || preset() == p>{p.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="share-start">"Start date"</label>
                <input
                    id="share-start"
                    type="date"
                    required
                    prop:value=move || expiration().map(|e| e.start_date).unwrap_or_default()
                    on:change=on_start
                    aria-describedby="share-start-error"
                />
                <FieldError id="share-start-error" message=state.error(Field::StartDate) />
            </div>
            <Show when=move || preset() == ExpiryPreset::Custom>
                <div class="field">
                    <label for="share-end">"End date"</label>
                    <input
                        id="share-end"
                        type="date"
                        required
                        min=move || expiration().map(|e| e.today).unwrap_or_default()
                        prop:value=move || expiration().and_then(|e| e.end_date).unwrap_or_default()
                        on:change=on_end
                        aria-describedby="share-end-error"
                    />
                    <FieldError id="share-end-error" message=state.error(Field::EndDate) />
                </div>
            </Show>
            <p class="works-until" aria-live="polite">
                {move || expiration().map(|e| e.works_until)}
                <span class="works-until__zone">{move || expiration().map(|e| format!(" (end of day, {})", e.time_zone))}</span>
            </p>
        </div>
    }
}
