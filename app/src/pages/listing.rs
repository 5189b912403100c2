//! What the long lists (the Recordings tab, the Shares page) share: the
//! page asked for lives in the URL (`?search=…&after=…`), so a page is a
//! link, the back button works, and the search box is a plain GET form that
//! works before the app has loaded; once it has, typing searches at once.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};

use crate::{api::ApiError, form::FieldError, views::Page};

/// The list's search and cursor, as the URL has them.
pub fn list_query() -> (Memo<Option<String>>, Memo<Option<String>>) {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("search").filter(|s| !s.is_empty()));
    let after = Memo::new(move |_| query.read().get("after").filter(|s| !s.is_empty()));
    (search, after)
}

/// `path` showing the page after `after` of what matches `search`.
pub fn listing_url(path: &str, search: Option<&str>, after: Option<&str>) -> String {
    let mut query = Vec::new();
    if let Some(search) = search.filter(|s| !s.is_empty()) {
        query.push(format!("search={}", urlencoding(search)));
    }
    if let Some(after) = after {
        query.push(format!("after={}", urlencoding(after)));
    }
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencoding(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The search box above a list. Its refusal (a search too long) is shown
/// by the box, once the list's answer is in.
#[component]
pub fn SearchBox<T>(
    /// The list's path (`/recordings`, `/shares`).
    path: &'static str,
    /// The box's label, e.g. "Search recordings".
    label: &'static str,
    list: Resource<Result<T, ApiError>>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static + serde::Serialize + serde::de::DeserializeOwned,
{
    let (search, _) = list_query();
    let navigate = use_navigate();
    let on_input = move |event: leptos::ev::Event| {
        let typed = event_target_value(&event);
        navigate(
            &listing_url(path, Some(typed.trim()), None),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..NavigateOptions::default()
            },
        );
    };
    let input_id = format!("{}-search", path.trim_start_matches('/'));
    let error_id = format!("{input_id}-error");
    let error = Signal::derive(move || match list.get() {
        Some(Err(ApiError::Invalid { message, .. })) => Some(message),
        _ => None,
    });
    view! {
        <form class="list-search" method="get" action=path role="search">
            <label for=input_id.clone()>{label}</label>
            <input
                id=input_id
                type="search"
                name="search"
                maxlength="200"
                autocomplete="off"
                aria-describedby=error_id.clone()
                prop:value=move || search.get().unwrap_or_default()
                on:input=on_input
            />
            <button type="submit">"Search"</button>
            // Inside a Transition: the message waits for the list's answer.
            <Transition>
                <FieldError id=error_id.clone() message=error />
            </Transition>
        </form>
    }
}

/// Links under a page of a list: Older (the next page), and Newest (back
/// to the first) when this is not the first page.
#[component]
pub fn Pager<T: Clone + Send + Sync + 'static>(path: &'static str, page: Page<T>) -> impl IntoView {
    let (search, after) = list_query();
    let newest = move || {
        after
            .get()
            .map(|_| listing_url(path, search.get().as_deref(), None))
    };
    let older = page
        .next
        .map(|next| listing_url(path, search.get_untracked().as_deref(), Some(&next)));
    view! {
        <nav class="pager" aria-label="Pages">
            {move || newest().map(|href| view! { <a href=href>"Newest"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older"</a> })}
        </nav>
    }
}
