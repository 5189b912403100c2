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
    // The rep's latest choice, until the server has it. Each change builds
    // on it (not on the last answer, which may lag behind), and saves go one
    // at a time, the latest last: a quick second change is never lost to the
    // first, nor undone by its answer arriving late.
    let chosen = StoredValue::new(None::<Choice>);
    let saving = StoredValue::new(false);
    let current = move || {
        chosen.get_value().or_else(|| {
            expiration().map(|e| Choice {
                preset: e.preset,
                start: e.start_date,
                end: e.end_date,
                last_day: e.last_day,
            })
        })
    };
    let save_expiration = move |choice: Choice| {
        chosen.set_value(Some(choice));
        if saving.get_value() {
            return;
        }
        saving.set_value(true);
        leptos::task::spawn_local(async move {
            while let Some(choice) = chosen.get_value() {
                let answer = set_share_expiration(
                    share_id(),
                    choice.preset,
                    choice.start.clone(),
                    choice.end.clone(),
                )
                .await;
                state.apply(
                    &[Field::Expiration, Field::StartDate, Field::EndDate],
                    answer,
                );
                if chosen.get_value().as_ref() == Some(&choice) {
                    chosen.set_value(None);
                }
            }
            saving.set_value(false);
        });
    };
    let on_preset = move |ev: leptos::ev::Event| {
        let Some(preset) = ExpiryPreset::from_key(&event_target_value(&ev)) else {
            return;
        };
        let Some(current) = current() else { return };
        // Switching to Custom starts from the current last day, so nothing moves until the rep picks.
        let end = (preset == ExpiryPreset::Custom)
            .then(|| current.end.clone().unwrap_or(current.last_day.clone()));
        save_expiration(Choice {
            preset,
            end,
            ..current
        });
    };
    let on_start = move |ev: leptos::ev::Event| {
        let Some(current) = current() else { return };
        save_expiration(Choice {
            start: event_target_value(&ev),
            ..current
        });
    };
    let on_end = move |ev: leptos::ev::Event| {
        let Some(current) = current() else { return };
        save_expiration(Choice {
            preset: ExpiryPreset::Custom,
            end: Some(event_target_value(&ev)),
            ..current
        });
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

/// An expiration as the rep chose it in the window.
#[derive(Clone, Debug, PartialEq)]
struct Choice {
    preset: ExpiryPreset,
    start: String,
    end: Option<String>,
    /// The last day as the server last said (where Custom starts from).
    last_day: String,
}
