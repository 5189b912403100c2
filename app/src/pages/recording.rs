//! `/recordings/{id}`: the meeting details page, with the player.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::{
    api::{delete_recording, get_recording},
    domain::format_clock,
    pages::{recording_id, set_not_found_status},
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
    let sharing = RwSignal::new(None::<RecordingSummary>);

    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match recording.await {
                    Ok(Some(recording)) => view! { <RecordingDetails recording sharing /> }.into_any(),
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
        <ShareDialog sharing />
    }
}

#[component]
fn RecordingDetails(
    recording: RecordingSummary,
    sharing: RwSignal<Option<RecordingSummary>>,
) -> impl IntoView {
    let to_share = recording.clone();
    let id = recording.id;
    let navigate = use_navigate();
    let deleting = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
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
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match delete_recording(id).await {
                Ok(()) => navigate("/recordings", Default::default()),
                Err(error) => {
                    failure.set(Some(format!("The recording was not deleted: {error}")));
                    deleting.set(false);
                }
            }
        });
    };
    view! {
        <Title text=recording.title.clone() />
        <article class="recording">
            <p class="breadcrumb"><a href="/recordings">"Recordings"</a></p>
            <div class="recording__head">
                <h1>{recording.title.clone()}</h1>
                <button type="button" class="primary" on:click=move |_| sharing.set(Some(to_share.clone()))>
                    "Share"
                </button>
            </div>
            <p class="meta">
                <time datetime=recording.created_at.clone()>{recording.created_on.clone()}</time>
                " · "
                {format_clock(recording.duration_ms)}
            </p>
            <video class="player" controls preload="metadata" src=recording.media_url()>
                "Your browser cannot play this video."
            </video>
            <p class="recording__danger">
                <button type="button" class="danger" disabled=move || deleting.get() on:click=delete>
                    {move || if deleting.get() { "Deleting…" } else { "Delete recording" }}
                </button>
            </p>
            {move || failure.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        </article>
    }
}
