//! The upload form: sends the chosen file as the raw request body, so the
//! server can stream it to disk, and shows the progress as it goes.

use leptos::{either::EitherOf3, prelude::*};

/// Where the browser posts a new recording (the server streams it to storage).
pub const UPLOAD_URL: &str = "/api/recordings/upload";

// The outcomes are produced by the browser-side upload only.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    /// Percent sent.
    Uploading(u8),
    Done(String),
    Failed(String),
}

#[component]
pub fn UploadForm(#[prop(into)] on_uploaded: Callback<()>) -> impl IntoView {
    let file_input = NodeRef::<leptos::html::Input>::new();
    let title = RwSignal::new(String::new());
    let status = RwSignal::new(Status::Idle);
    let uploading = move || matches!(status.get(), Status::Uploading(_));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if uploading() {
            return;
        }
        let file = file_input
            .get()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        let Some(file) = file else {
            status.set(Status::Failed("Choose a video file first.".into()));
            return;
        };
        let chosen_title = title.get_untracked().trim().to_string();
        let chosen_title = if chosen_title.is_empty() {
            title_from_file_name(&file.name())
        } else {
            chosen_title
        };
        status.set(Status::Uploading(0));
        send(file, chosen_title, status, on_uploaded, title, file_input);
    };

    view! {
        <form class="upload" on:submit=on_submit aria-labelledby="upload-heading">
            <h2 id="upload-heading">"Upload a recording"</h2>
            <div class="upload__fields">
                <label>
                    "Video file (MP4, MOV, WebM, …)"
                    <input type="file" name="file" accept="video/*,.mkv,.mov" node_ref=file_input required />
                </label>
                <label>
                    "Title (optional)"
                    <input
                        type="text"
                        name="title"
                        maxlength="200"
                        prop:value=title
                        on:input=move |ev| title.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" disabled=uploading>"Upload"</button>
            </div>
            {move || match status.get() {
                Status::Idle => None,
                Status::Uploading(percent) => Some(EitherOf3::A(view! {
                    <div class="upload__progress">
                        <progress max="100" value=percent.to_string() aria-label="Upload progress"></progress>
                        <span aria-live="polite">{format!("{percent}%")}</span>
                    </div>
                })),
                Status::Done(message) => Some(EitherOf3::B(view! { <p class="notice" role="status">{message}</p> })),
                Status::Failed(message) => Some(EitherOf3::C(view! { <p class="error" role="alert">{message}</p> })),
            }}
        </form>
    }
}

/// "Quarterly review.webm" → "Quarterly review".
fn title_from_file_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem).trim();
    if stem.is_empty() {
        "Untitled recording".into()
    } else {
        stem.into()
    }
}

/// Posts `file` with `XMLHttpRequest`, whose upload events give progress
/// (`fetch` has none for request bodies).
#[cfg(feature = "hydrate")]
fn send(
    file: web_sys::File,
    chosen_title: String,
    status: RwSignal<Status>,
    on_uploaded: Callback<()>,
    title: RwSignal<String>,
    file_input: NodeRef<leptos::html::Input>,
) {
    use wasm_bindgen::{JsCast, closure::Closure};

    let fail = move |message: String| status.set(Status::Failed(message));
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        return fail("This browser cannot upload files.".into());
    };
    let url = format!(
        "{UPLOAD_URL}?title={}",
        js_sys::encode_uri_component(&chosen_title)
    );
    if xhr.open("POST", &url).is_err() {
        return fail("The upload could not start.".into());
    }
    let content_type = if file.type_().is_empty() {
        "application/octet-stream".into()
    } else {
        file.type_()
    };
    let _ = xhr.set_request_header("Content-Type", &content_type);

    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
            if ev.length_computable() && ev.total() > 0.0 {
                // A whole percent: formatting a float would cost the first load code.
                let percent = (ev.loaded() * 100.0 / ev.total()).round().clamp(0.0, 100.0) as u8;
                status.set(Status::Uploading(percent));
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();

    let done_xhr = xhr.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        let code = done_xhr.status().unwrap_or(0);
        let body = done_xhr.response_text().ok().flatten().unwrap_or_default();
        if code == 201 {
            status.set(Status::Done(format!(
                "Uploaded “{chosen_title}”. It can be shared once it is processed."
            )));
            title.set(String::new());
            if let Some(input) = file_input.get_untracked() {
                input.set_value("");
            }
            on_uploaded.run(());
        } else {
            status.set(Status::Failed(error_message(&body, code)));
        }
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();

    let on_error = Closure::<dyn FnMut()>::new(move || {
        status.set(Status::Failed(
            "The upload failed: the connection was lost.".into(),
        ));
    });
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();

    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        fail("The upload could not start.".into());
    }
}

#[cfg(not(feature = "hydrate"))]
fn send(
    _file: web_sys::File,
    _chosen_title: String,
    _status: RwSignal<Status>,
    _on_uploaded: Callback<()>,
    _title: RwSignal<String>,
    _file_input: NodeRef<leptos::html::Input>,
) {
    // Uploads start from a click, which only happens in the browser.
}

/// The server answers refusals with `{"error": "…"}`; show that sentence.
#[cfg(feature = "hydrate")]
fn error_message(body: &str, code: u16) -> String {
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: String,
    }
    serde_json::from_str::<Refusal>(body)
        .map(|r| r.error)
        .unwrap_or_else(|_| format!("The upload failed (HTTP {code})."))
}

#[cfg(test)]
mod tests {
    use super::title_from_file_name;

    #[test]
    fn title_comes_from_the_file_name_without_extension() {
        assert_eq!(
            title_from_file_name("Quarterly review.webm"),
            "Quarterly review"
        );
        assert_eq!(title_from_file_name("call.final.mp4"), "call.final");
        assert_eq!(title_from_file_name("noext"), "noext");
        assert_eq!(title_from_file_name(".webm"), "Untitled recording");
    }
}
