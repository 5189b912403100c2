//! `/recordings/{id}`: the meeting details page, with the player once the
//! recording is ready (its percent done until then, refreshed).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{delete_recording, get_recording},
    domain::format_clock,
    hydration::Packed,
    pages::{
        keep_fresh, recording_id,
        recordings::{Poster, Status},
        set_not_found_status, show_if_changed,
    },
    share_window::ShareDialog,
    views::RecordingSummary,
};

#[component]
pub fn RecordingPage() -> impl IntoView {
    let id = recording_id();
    let recording = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_recording(id).await,
            None => Ok(None),
        }
    });

    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match recording.await {
                    Ok(Some(recording)) => {
                        view! {
                            <Title text=recording.title.clone() />
                            <RecordingDetails recording=Packed::new(&recording) />
                        }
                            .into_any()
                    }
                    Ok(None) => {
                        set_not_found_status();
                        view! {
                            <Title text="Recording not found" />
                            <h1>"Recording not found"</h1>
                            <p><a href="/recordings">"Back to your recordings"</a></p>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The recording, kept fresh while it is processed, with Share and Delete.
#[island(lazy)]
fn RecordingDetails(recording: Packed<RecordingSummary>) -> impl IntoView {
    let recording = recording.unpack();
    let id = recording.id;
    let shown = RwSignal::new(recording);
    let sharing = RwSignal::new(None::<RecordingSummary>);
    let deleting = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    keep_fresh(
        move || {
            leptos::task::spawn_local(async move {
                if let Ok(Some(latest)) = get_recording(id).await {
                    show_if_changed(shown, latest);
                }
            })
        },
        move || shown.with_untracked(|r| r.state.is_processing()),
    );
    let delete = move |_| {
        let confirmed = window()
            .confirm_with_message(
                "Delete this recording? Every link to it stops working and the video is deleted. \
                 This cannot be undone.",
            )
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        deleting.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match delete_recording(id).await {
                Ok(()) => {
                    let _ = window().location().set_href("/recordings");
                }
                Err(error) => {
                    failure.set(Some(format!("The recording was not deleted: {error}")));
                    deleting.set(false);
                }
            }
        });
    };
    let title_id = format!("recording-{id}-title");
    view! {
        <article class="recording">
            <p class="breadcrumb"><a href="/recordings">"Recordings"</a></p>
            {move || {
                let recording = shown.get();
                view! {
                    <div class="recording__head">
                        <h1 id=title_id.clone()>{recording.title.clone()}</h1>
                        <Status recording=recording.clone() title_id=title_id.clone() sharing />
                    </div>
                    <p class="meta">
                        <time datetime=recording.created_at.clone()>{recording.created_on.clone()}</time>
                        {recording.duration_ms.map(|ms| format!(" · {}", format_clock(ms)))}
                    </p>
                    {if recording.state.is_ready() {
                        view! {
                            <video
                                class="player"
                                controls
                                preload="metadata"
                                poster=recording.poster_url()
                                src=recording.media_url()
                            >
                                "Your browser cannot play this video."
                            </video>
                        }
                            .into_any()
                    } else {
                        view! { <div class="player player--waiting"><Poster recording /></div> }.into_any()
                    }}
                }
            }}
            <p class="recording__danger">
                <button type="button" class="danger" disabled=move || deleting.get() on:click=delete>
                    {move || if deleting.get() { "Deleting…" } else { "Delete recording" }}
                </button>
            </p>
            {move || failure.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        </article>
        <ShareDialog sharing />
    }
}
