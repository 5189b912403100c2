//! How a request for a stored file is answered, whatever holds its bytes
//! (a local file or a bucket object): one byte range (`206`), the whole file
//! (`200`), a range outside it (`416`), or "you have it" (`304`). A stored
//! file never changes under its key, so its entity tag comes from the key
//! and the size, and needs no look at the file.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::{
    body::Body,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

/// What to send of a file of `size` bytes: bytes `start..end`.
#[derive(Debug, PartialEq, Eq)]
pub struct Part {
    pub start: u64,
    pub end: u64,
    partial: bool,
    size: u64,
    etag: HeaderValue,
}

/// The answer to `headers` for the file stored under `key`: the part to
/// send, or a complete response without a body (`304`, `416`).
pub fn plan(headers: &HeaderMap, key: &str, size: u64) -> Result<Part, Box<Response>> {
    let etag = entity_tag(key, size);
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| matches_tag(value, &etag))
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, etag);
        return Err(Box::new(response));
    }
    // A range is for the version the client has: with `If-Range` naming
    // another, the whole file is the answer.
    let range_applies = headers
        .get(header::IF_RANGE)
        .is_none_or(|value| value == etag);
    let range = if range_applies {
        requested_range(headers, size)
    } else {
        Ok(None)
    };
    match range {
        Ok(Some((start, end))) => Ok(Part {
            start,
            end,
            partial: true,
            size,
            etag,
        }),
        Ok(None) => Ok(Part {
            start: 0,
            end: size,
            partial: false,
            size,
            etag,
        }),
        Err(()) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            let headers = response.headers_mut();
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            Err(Box::new(response))
        }
    }
}

impl Part {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether no bytes are to be sent (a `HEAD`, or an empty file).
    pub fn sends_nothing(&self, method: &Method) -> bool {
        method == Method::HEAD || self.start == self.end
    }

    /// The response carrying `body` (empty for `HEAD`).
    pub fn respond(&self, content_type: &str, body: Body) -> Response {
        let mut builder = Response::builder()
            .status(if self.partial {
                StatusCode::PARTIAL_CONTENT
            } else {
                StatusCode::OK
            })
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::CONTENT_LENGTH, self.len())
            .header(header::ETAG, self.etag.clone());
        if self.partial {
            builder = builder.header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{}", self.start, self.end - 1, self.size),
            );
        }
        builder
            .body(body)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

fn entity_tag(key: &str, size: u64) -> HeaderValue {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    HeaderValue::from_str(&format!("\"{:016x}-{size:x}\"", hasher.finish()))
        .expect("hex digits make a valid header")
}

/// Whether an `If-None-Match` value names `etag` (or is `*`); weak tags
/// compare by their opaque part, as that header asks.
fn matches_tag(value: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
}

/// The single byte range asked for, as `start..end` (end exclusive): `None`
/// for the whole file (no Range header, one we do not understand, or several
/// ranges, which HTTP lets us answer whole), `Err` when it lies outside the
/// file.
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Ok(parsed) = http_range_header::parse_range_header(value) else {
        return Ok(None);
    };
    match parsed.validate(size) {
        Ok(ranges) if ranges.len() == 1 => Ok(Some((*ranges[0].start(), ranges[0].end() + 1))),
        Ok(_) => Ok(None),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn range(value: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
        requested_range(&headers(&[(header::RANGE, value)]), size)
    }

    #[test]
    fn ranges_are_read_as_browsers_send_them() {
        assert_eq!(requested_range(&HeaderMap::new(), 100), Ok(None));
        assert_eq!(range("bytes=0-", 100), Ok(Some((0, 100))));
        assert_eq!(range("bytes=10-19", 100), Ok(Some((10, 20))));
        assert_eq!(range("bytes=90-200", 100), Ok(Some((90, 100))));
        assert_eq!(range("bytes=-10", 100), Ok(Some((90, 100))));
        assert_eq!(range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(range("pages=1-2", 100), Ok(None));
        assert_eq!(range("bytes=100-", 100), Err(()));
        assert_eq!(range("bytes=200-300", 100), Err(()));
    }

    #[test]
    fn a_client_with_the_file_gets_304_and_a_stale_if_range_gets_it_whole() {
        let first = plan(&HeaderMap::new(), "a.mp4", 100).unwrap();
        let tag = first.etag.to_str().unwrap().to_string();
        assert_ne!(tag, plan(&HeaderMap::new(), "b.mp4", 100).unwrap().etag);

        let cached = plan(&headers(&[(header::IF_NONE_MATCH, &tag)]), "a.mp4", 100);
        assert_eq!(cached.unwrap_err().status(), StatusCode::NOT_MODIFIED);
        let weak = format!("\"x\", W/{tag}");
        let cached = plan(&headers(&[(header::IF_NONE_MATCH, &weak)]), "a.mp4", 100);
        assert_eq!(cached.unwrap_err().status(), StatusCode::NOT_MODIFIED);

        let same = plan(
            &headers(&[(header::RANGE, "bytes=10-19"), (header::IF_RANGE, &tag)]),
            "a.mp4",
            100,
        )
        .unwrap();
        assert_eq!((same.start, same.end, same.partial), (10, 20, true));
        let stale = plan(
            &headers(&[
                (header::RANGE, "bytes=10-19"),
                (header::IF_RANGE, "\"old\""),
            ]),
            "a.mp4",
            100,
        )
        .unwrap();
        assert_eq!((stale.start, stale.end, stale.partial), (0, 100, false));

        let outside = plan(&headers(&[(header::RANGE, "bytes=200-")]), "a.mp4", 100);
        let outside = outside.unwrap_err();
        assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(outside.headers()[header::CONTENT_RANGE], "bytes */100");
    }
}
