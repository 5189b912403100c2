//! `/recordings`: the rep's library: each recording's poster, and while it
//! is processed its percent done (refreshed without reload), or why it
//! failed; Share once it is ready.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    keep_fresh,
    listing::{Pager, SearchBox, list_query},
};
use crate::{
    api::{ApiError, list_recordings},
    domain::{MediaState, format_clock},
    share_window::{self, ShareDialog},
    upload::UploadForm,
    views::RecordingSummary,
};

#[component]
pub fn RecordingsPage() -> impl IntoView {
    let (search, after) = list_query();
    let recordings = Resource::new(
        move || (search.get(), after.get()),
        |(search, after)| list_recordings(search, after),
    );
    let sharing = RwSignal::new(None::<RecordingSummary>);
    keep_fresh(recordings, move || {
        recordings.with_untracked(|list| {
            list.as_ref()
                .and_then(|list| list.as_ref().ok())
                .is_some_and(|page| page.items.iter().any(|r| r.state.is_processing()))
        })
    });

    view! {
        <Title text="Recordings" />
        <h1>"Recordings"</h1>
        <SearchBox path="/recordings" label="Search recordings" list=recordings />
        // Transition keeps the table on screen while it refreshes.
        <Transition fallback=|| view! { <p>"Loading recordings…"</p> }>
            {move || Suspend::new(async move {
                match recordings.await {
                    Ok(page) if page.items.is_empty() && search.get_untracked().is_some() => {
                        view! { <p class="empty">"No recording has that in its title."</p> }.into_any()
                    }
                    Ok(page) if page.items.is_empty() => {
                        view! { <p class="empty">"No recordings yet. Upload one below."</p> }.into_any()
                    }
                    Ok(page) => {
                        view! {
                            <RecordingTable list=page.items.clone() sharing />
                            <Pager path="/recordings" page />
                        }
                            .into_any()
                    }
                    Err(ApiError::Invalid { .. }) => ().into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <UploadForm on_uploaded=move |()| recordings.refetch() />
        <ShareDialog sharing />
    }
}

#[component]
fn RecordingTable(
    list: Vec<RecordingSummary>,
    sharing: RwSignal<Option<RecordingSummary>>,
) -> impl IntoView {
    view! {
        <table class="recordings">
            <thead>
                <tr>
                    <th scope="col"><span class="visually-hidden">"Poster"</span></th>
                    <th scope="col">"Title"</th>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Duration"</th>
                    <th scope="col"><span class="visually-hidden">"Status and actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|recording| {
                        let title_id = format!("recording-{}-title", recording.id);
                        view! {
                            <tr>
                                <td class="recordings__poster"><Poster recording=recording.clone() /></td>
                                <td>
                                    <a id=title_id.clone() href=recording.page_url()>{recording.title.clone()}</a>
                                </td>
                                <td>
                                    <time datetime=recording.created_at.clone()>{recording.created_on.clone()}</time>
                                </td>
                                <td>{recording.duration_ms.map(format_clock)}</td>
                                <td><Status recording title_id sharing /></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// The recording's poster, or an empty frame until it has one.
#[component]
pub fn Poster(recording: RecordingSummary) -> impl IntoView {
    match recording.poster_url() {
        Some(url) => {
            view! { <img class="poster" src=url alt="" width="128" height="72" loading="lazy" /> }
                .into_any()
        }
        None => view! { <span class="poster poster--none" aria-hidden="true"></span> }.into_any(),
    }
}

/// Share once ready; while processing, the percent done; why it failed.
#[component]
pub fn Status(
    recording: RecordingSummary,
    title_id: String,
    sharing: RwSignal<Option<RecordingSummary>>,
) -> impl IntoView {
    match recording.state.clone() {
        MediaState::Ready => {
            let to_share = recording.clone();
            view! {
                <button
                    type="button"
                    aria-describedby=title_id
                    on:pointerenter=|_| share_window::prefetch()
                    on:focus=|_| share_window::prefetch()
                    on:click=move |_| sharing.set(Some(to_share.clone()))
                >
                    "Share"
                </button>
            }
            .into_any()
        }
        MediaState::Processing { percent } => view! {
            <span class="processing">
                <span class="processing__label">{format!("Processing {percent}%")}</span>
                <progress max="100" value=percent.to_string() aria-label="Processing" aria-describedby=title_id></progress>
            </span>
        }
        .into_any(),
        MediaState::Failed { reason } => view! {
            <span class="failed">{format!("Failed: {reason}")}</span>
        }
        .into_any(),
    }
}
