//! `/recordings`: the rep's library: each recording's poster, and while it
//! is processed its percent done (refreshed without reload), or why it
//! failed; Share once it is ready.

use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;

use super::{
    keep_fresh,
    listing::{LiveList, Pager, SearchBox, list_query},
};
use crate::{
    api::{ApiError, list_recordings},
    domain::{MediaState, format_clock},
    hydration::Packed,
    share_window::{self, ShareDialog},
    upload::UploadForm,
    views::{Page, RecordingSummary},
};

#[component]
pub fn RecordingsPage() -> impl IntoView {
    let (search, after) = list_query();
    let first = Resource::new(
        move || (search.get(), after.get()),
        |(search, after)| list_recordings(search, after),
    );
    view! {
        <Title text="Recordings" />
        <h1>"Recordings"</h1>
        <Suspense fallback=|| view! { <p>"Loading recordings…"</p> }>
            {move || Suspend::new(async move {
                let first = first.await;
                view! {
                    <RecordingsLibrary first=Packed::new(&first) search=search.get_untracked() after=after.get_untracked() />
                }
            })}
        </Suspense>
    }
}

/// The library: search, the list (its percents kept fresh while a
/// recording is processed), its pages, the upload form, and the Share
/// window. The only island of the rep's first page, so its code is all the
/// first load carries.
#[island]
fn RecordingsLibrary(
    first: Packed<Result<Page<RecordingSummary>, ApiError>>,
    search: Option<String>,
    after: Option<String>,
) -> impl IntoView {
    let list = LiveList::new(
        "/recordings",
        first.unpack(),
        search,
        after,
        list_recordings,
    );
    let sharing = RwSignal::new(None::<RecordingSummary>);
    keep_fresh(
        move || list.reload(),
        move || {
            list.page.with_untracked(|page| {
                page.as_ref()
                    .is_ok_and(|page| page.items.iter().any(|r| r.state.is_processing()))
            })
        },
    );

    view! {
        <SearchBox list label="Search recordings" />
        // Either, not AnyView: each erased view carries code for every way a
        // view can be rendered, which the first load would pay for.
        {move || match list.page.get() {
            Ok(page) if page.items.is_empty() => {
                EitherOf3::A(view! {
                    <p class="empty">
                        {if list.searching() {
                            "No recording has that in its title."
                        } else {
                            "No recordings yet. Upload one below."
                        }}
                    </p>
                })
            }
            Ok(page) => EitherOf3::B(view! { <RecordingTable list=page.items sharing /> <Pager list /> }),
            // A refused search is shown by the search box.
            Err(ApiError::Invalid { .. }) => EitherOf3::C(None),
            Err(error) => EitherOf3::C(Some(view! { <p class="error" role="alert">{error.to_string()}</p> })),
        }}
        <UploadForm on_uploaded=move |()| list.reload() />
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
        Some(url) => Either::Left(
            view! { <img class="poster" src=url alt="" width="128" height="72" loading="lazy" /> },
        ),
        None => {
            Either::Right(view! { <span class="poster poster--none" aria-hidden="true"></span> })
        }
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
            EitherOf3::A(view! {
                <button
                    type="button"
                    aria-describedby=title_id
                    on:pointerenter=|_| share_window::prefetch()
                    on:focus=|_| share_window::prefetch()
                    on:click=move |_| sharing.set(Some(to_share.clone()))
                >
                    "Share"
                </button>
            })
        }
        MediaState::Processing { percent } => EitherOf3::B(view! {
            <span class="processing">
                <span class="processing__label">{format!("Processing {percent}%")}</span>
                <progress max="100" value=percent.to_string() aria-label="Processing" aria-describedby=title_id></progress>
            </span>
        }),
        MediaState::Failed { reason } => EitherOf3::C(view! {
            <span class="failed">{format!("Failed: {reason}")}</span>
        }),
    }
}
