//! The centre of the window: the player, and a timeline on which a click
//! (or the arrow keys) picks the time for the next comment. Comments with a
//! time show as markers on it. Hovering the timeline, or moving along it with
//! the keys, shows the frame at that time (from the recording's sprite of
//! previews), so the rep sees where a comment will land.

use leptos::prelude::*;

use super::ShareState;
use crate::domain::format_clock;

/// Arrow keys move the picked time by a second.
const STEP_MS: i64 = 1000;

#[component]
pub fn PlayerPanel(state: ShareState) -> impl IntoView {
    let recording = move || {
        state
            .share
            .with(|s| s.as_ref().map(|s| s.recording.clone()))
    };
    let duration = move || recording().and_then(|r| r.duration_ms).unwrap_or(0);
    // The time under the pointer; else, while the slider has the focus, the
    // time picked with the keys.
    let hovered = RwSignal::new(None::<i64>);
    let focused = RwSignal::new(false);
    let previewed = move || {
        hovered
            .get()
            .or_else(|| focused.get().then(|| state.selected_ms.get()).flatten())
    };
    let preview = move || {
        let at = previewed()?;
        let recording = recording()?;
        let layout = recording.previews?;
        let (x, y) = layout.frame_at(at);
        let left = at as f64 * 100.0 / duration().max(1) as f64;
        Some(view! {
            <div class="timeline__preview" style:left=format!("{left:.2}%") aria-hidden="true">
                <div
                    class="timeline__frame"
                    style:width=format!("{}px", layout.width)
                    style:height=format!("{}px", layout.height)
                    style:background-image=recording.previews_url().map(|url| format!("url({url})"))
                    style:background-position=format!("-{x}px -{y}px")
                ></div>
                <span class="timeline__time">{format_clock(at)}</span>
            </div>
        })
    };
    let hover = move |ev: leptos::ev::MouseEvent| {
        let slider = event_target::<web_sys::HtmlInputElement>(&ev);
        let rect = slider.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return;
        }
        let fraction = ((f64::from(ev.client_x()) - rect.left()) / rect.width()).clamp(0.0, 1.0);
        hovered.set(Some((fraction * duration() as f64) as i64));
    };
    let markers = move || {
        let duration = duration().max(1);
        state.share.with(|s| {
            s.as_ref()
                .map(|s| {
                    s.comments
                        .iter()
                        .filter_map(|c| c.at_ms)
                        .map(|at| (at, at as f64 * 100.0 / duration as f64))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };

    let pick = move |ev: leptos::ev::Event| {
        // The slider's number as the browser reads it: parsing the text
        // here would put Rust's float tables in every page's data.
        let ms = event_target::<web_sys::HtmlInputElement>(&ev).value_as_number();
        if !ms.is_finite() {
            return;
        }
        let ms = (ms as i64).clamp(0, duration());
        state.selected_ms.set(Some(ms));
        if let Some(video) = state.video.get_untracked() {
            video.set_current_time(ms as f64 / 1000.0);
        }
    };

    view! {
        <section class="panel player-panel" aria-label="Player">
            <video
                node_ref=state.video
                class="player"
                controls
                preload="metadata"
                poster=move || recording().and_then(|r| r.poster_url())
                src=move || recording().map(|r| r.media_url())
            >
                "Your browser cannot play this video."
            </video>
            <div class="timeline">
                <input
                    type="range"
                    class="timeline__slider"
                    aria-label="Timeline"
                    min="0"
                    max=move || duration().to_string()
                    step=STEP_MS.to_string()
                    prop:value=move || state.selected_ms.get().unwrap_or(0).to_string()
                    aria-valuetext=move || match state.selected_ms.get() {
                        Some(ms) => format!("{} selected", format_clock(ms)),
                        None => "No time selected".to_string(),
                    }
                    on:input=pick
                    on:mousemove=hover
                    on:mouseleave=move |_| hovered.set(None)
                    on:focus=move |_| focused.set(true)
                    on:blur=move |_| focused.set(false)
                />
                {preview}
                <div class="timeline__markers" aria-hidden="true">
                    {move || {
                        markers()
                            .into_iter()
                            .map(|(at, percent)| {
                                view! {
                                    <span class="timeline__marker" style:left=format!("{percent:.2}%") title=format_clock(at)></span>
                                }
                            })
                            .collect_view()
                    }}
                </div>
                <div class="timeline__scale" aria-hidden="true">
                    <span>"0:00"</span>
                    <span>{move || format_clock(duration())}</span>
                </div>
            </div>
        </section>
    }
}
