//! `/recordings`: the rep's library.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::list_recordings, domain::format_clock, share_window::ShareDialog, upload::UploadForm,
    views::RecordingSummary,
};

#[component]
pub fn RecordingsPage() -> impl IntoView {
    let recordings = Resource::new(|| (), |_| list_recordings());
    let sharing = RwSignal::new(None::<RecordingSummary>);

    view! {
        <Title text="Recordings" />
        <h1>"Recordings"</h1>
        <Suspense fallback=|| view! { <p>"Loading recordings…"</p> }>
            {move || Suspend::new(async move {
                match recordings.await {
                    Ok(list) if list.is_empty() => {
                        view! { <p class="empty">"No recordings yet. Upload one below."</p> }.into_any()
                    }
                    Ok(list) => view! { <RecordingTable list sharing /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
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
                    <th scope="col">"Title"</th>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Duration"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|recording| {
                        let title_id = format!("recording-{}-title", recording.id);
                        let to_share = recording.clone();
                        view! {
                            <tr>
                                <td>
                                    <a id=title_id.clone() href=recording.page_url()>{recording.title.clone()}</a>
                                </td>
                                <td>
                                    <time datetime=recording.created_at.clone()>{recording.created_on.clone()}</time>
                                </td>
                                <td>{format_clock(recording.duration_ms)}</td>
                                <td>
                                    <button
                                        type="button"
                                        aria-describedby=title_id
                                        on:click=move |_| sharing.set(Some(to_share.clone()))
                                    >
                                        "Share"
                                    </button>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
