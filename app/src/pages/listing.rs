//! What the long lists (the Recordings tab, the Shares page) share: the
//! page asked for lives in the URL (`?search=…&after=…`), so a page is a
//! link, the back button works, and the search box is a plain GET form that
//! works before the app has loaded; once it has, typing searches at once
//! (and the address bar follows).

use std::future::Future;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_query_map;

use crate::{api::ApiError, form::FieldError, views::Page};

/// The list's search and cursor, as the URL has them (on the server, where
/// the page is rendered).
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

/// A list as its island shows it: the page on screen, what the search box
/// holds, and the server function that answers for a search and a cursor.
/// Answers that come back out of order never replace a newer one.
pub struct LiveList<T: 'static, F: 'static> {
    /// The list's path (`/recordings`, `/shares`).
    pub path: &'static str,
    pub page: RwSignal<Result<Page<T>, ApiError>>,
    /// The search box, as typed.
    pub search: RwSignal<String>,
    after: StoredValue<Option<String>>,
    /// The number of the last question asked.
    asked: StoredValue<u64>,
    fetch: F,
}

impl<T, F: Copy> Clone for LiveList<T, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, F: Copy> Copy for LiveList<T, F> {}

impl<T, F, Fut> LiveList<T, F>
where
    T: PartialEq + Send + Sync + 'static,
    F: Fn(Option<String>, Option<String>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
{
    /// The list as the server rendered it: `first`, the answer for
    /// `search` after `after`.
    pub fn new(
        path: &'static str,
        first: Result<Page<T>, ApiError>,
        search: Option<String>,
        after: Option<String>,
        fetch: F,
    ) -> Self {
        Self {
            path,
            page: RwSignal::new(first),
            search: RwSignal::new(search.unwrap_or_default()),
            after: StoredValue::new(after),
            asked: StoredValue::new(0),
            fetch,
        }
    }

    fn trimmed_search(self) -> Option<String> {
        self.search.with_untracked(|s| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        })
    }

    /// Whether the list shows a search's results.
    pub fn searching(self) -> bool {
        self.trimmed_search().is_some()
    }

    /// The search and cursor the page shows.
    pub fn search_and_after(self) -> (Option<String>, Option<String>) {
        (self.trimmed_search(), self.after.get_value())
    }

    /// Asks again for the page on screen; shows the answer if it differs.
    pub fn reload(self) {
        let asked = self.asked.get_value() + 1;
        self.asked.set_value(asked);
        let (search, after) = self.search_and_after();
        let answer = (self.fetch)(search, after);
        spawn_local(async move {
            let answer = answer.await;
            if self.asked.get_value() == asked {
                super::show_if_changed(self.page, answer);
            }
        });
    }

    /// Searches for `typed` from the first page, and puts it in the address
    /// bar (replacing the entry: typing is not a trail to go back along).
    pub fn search_for(self, typed: String) {
        self.search.set(typed);
        self.after.set_value(None);
        let url = listing_url(self.path, self.trimmed_search().as_deref(), None);
        replace_address(&url);
        self.reload();
    }

    /// The refusal of the search (too long, say), once answered.
    pub fn search_error(self) -> Signal<Option<String>> {
        Signal::derive(move || match &*self.page.read() {
            Err(ApiError::Invalid { message, .. }) => Some(message.clone()),
            _ => None,
        })
    }
}

/// Shows `url` in the address bar without loading it.
fn replace_address(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// The search box above a list. Its refusal (a search too long) is shown
/// by the box.
#[component]
pub fn SearchBox<T, F, Fut>(
    list: LiveList<T, F>,
    /// The box's label, e.g. "Search recordings".
    label: &'static str,
) -> impl IntoView
where
    T: PartialEq + Send + Sync + 'static,
    F: Fn(Option<String>, Option<String>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
{
    let input_id = format!("{}-search", list.path.trim_start_matches('/'));
    let error_id = format!("{input_id}-error");
    view! {
        <form class="list-search" method="get" action=list.path role="search">
            <label for=input_id.clone()>{label}</label>
            <input
                id=input_id
                type="search"
                name="search"
                maxlength="200"
                autocomplete="off"
                aria-describedby=error_id.clone()
                prop:value=move || list.search.get()
                on:input=move |event| list.search_for(event_target_value(&event))
            />
            <button type="submit">"Search"</button>
            <FieldError id=error_id message=list.search_error() />
        </form>
    }
}

/// Links under a page of a list: Older (the next page), and Newest (back
/// to the first) when this is not the first page.
#[component]
pub fn Pager<T, F, Fut>(list: LiveList<T, F>) -> impl IntoView
where
    T: PartialEq + Send + Sync + 'static,
    F: Fn(Option<String>, Option<String>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
{
    let links = move || {
        let (search, after) = list.search_and_after();
        let next = list
            .page
            .with(|page| page.as_ref().ok().and_then(|page| page.next.clone()));
        let newest = after.map(|_| listing_url(list.path, search.as_deref(), None));
        let older = next.map(|next| listing_url(list.path, search.as_deref(), Some(&next)));
        view! {
            {newest.map(|href| view! { <a href=href>"Newest"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older"</a> })}
        }
    };
    view! { <nav class="pager" aria-label="Pages">{links}</nav> }
}
