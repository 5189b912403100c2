//! `/dev/mailbox`: the mail the app sent while no SMTP server is configured,
//! for trying the app on one machine. The routes exist only in that mode.

use app::store::{MailboxEntry, MailboxId, SharedStore};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::{Html, IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};
use jiff::tz::TimeZone;

#[derive(Template)]
#[template(path = "mailbox/list.html")]
struct ListPage {
    messages: Vec<Row>,
}

struct Row {
    id: MailboxId,
    to: String,
    subject: String,
    at: String,
}

#[derive(Template)]
#[template(path = "mailbox/message.html")]
struct MessagePage {
    id: MailboxId,
    at: String,
    headers: String,
    text: String,
    links: Vec<String>,
    raw: String,
}

fn when(entry: &MailboxEntry) -> String {
    entry
        .delivered_at
        .to_zoned_datetime(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// `GET /dev/mailbox`: newest first.
pub async fn list(State(store): State<SharedStore>) -> Response {
    match store.mailbox().await {
        Ok(entries) => page(&ListPage {
            messages: entries
                .iter()
                .map(|e| Row {
                    id: e.id,
                    to: e.message.to.clone(),
                    subject: e.message.subject.clone(),
                    at: when(e),
                })
                .collect(),
        }),
        Err(error) => failed(error),
    }
}

/// `GET /dev/mailbox/{id}`: headers, the HTML part (sandboxed), the plain
/// text part with its links, and the raw message.
pub async fn show(State(store): State<SharedStore>, Path(id): Path<MailboxId>) -> Response {
    match store.mailbox_message(id).await {
        Ok(Some(entry)) => {
            let raw = &entry.message.raw;
            let headers = raw
                .split_once("\r\n\r\n")
                .map_or(raw.as_str(), |(headers, _)| headers)
                .replace("\r\n", "\n");
            page(&MessagePage {
                id: entry.id,
                at: when(&entry),
                headers,
                links: links_in(&entry.message.text),
                text: entry.message.text,
                raw: entry.message.raw.clone(),
            })
        }
        Ok(None) => (StatusCode::NOT_FOUND, "No such message").into_response(),
        Err(error) => failed(error),
    }
}

/// `GET /dev/mailbox/{id}/html`: the HTML part as the recipient's mail
/// program would show it, sandboxed (no scripts, no same-origin access).
pub async fn html_part(State(store): State<SharedStore>, Path(id): Path<MailboxId>) -> Response {
    match store.mailbox_message(id).await {
        Ok(Some(entry)) => {
            let mut response = Html(entry.message.html).into_response();
            // Email HTML is styled inline; it runs no script and may only
            // be framed by the message page.
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; \
                     style-src 'unsafe-inline'; img-src * data:; frame-ancestors 'self'",
                ),
            );
            response
        }
        Ok(None) => (StatusCode::NOT_FOUND, "No such message").into_response(),
        Err(error) => failed(error),
    }
}

fn links_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(String::from)
        .collect()
}

fn page(template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = Html(body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; \
                     base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                ),
            );
            response
        }
        Err(error) => failed(error),
    }
}

fn failed(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "the dev mailbox failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong").into_response()
}
