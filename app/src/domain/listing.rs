//! Which part of a long list the rep asks for: a page of at most
//! [`PAGE_SIZE`] rows, newest first, after a cursor (the last row of the
//! page before), optionally only the rows matching a search. A cursor names
//! a row, not a position, so rows added meanwhile never shift a page.

use serde::{Deserialize, Serialize};

/// Rows per page of the Recordings tab and the Shares page.
pub const PAGE_SIZE: usize = 50;

/// Longest search the lists take.
pub const SEARCH_MAX_CHARS: usize = 100;

/// What the rep typed in a list's search box, trimmed and lowercased;
/// matched anywhere in a title (and, for shares, a recipient's name or email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Search(String);

impl Search {
    /// `Ok(None)` for an empty box.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > SEARCH_MAX_CHARS {
            return Err(format!("Search for at most {SEARCH_MAX_CHARS} characters."));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("Search for letters, digits and punctuation only.".into());
        }
        Ok(Some(Self(trimmed.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A SQL `LIKE` pattern matching the search anywhere, its `%`, `_` and
    /// `\` escaped (the query says `ESCAPE '\'`).
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// Where a page starts: just after the row with this sort time and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    pub at_ms: i64,
    pub id: i64,
}

impl PageCursor {
    /// The form it takes in a URL (`?after=…`): `{at_ms}.{id}`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (at, id) = raw.trim().split_once('.')?;
        Some(Self {
            at_ms: at.parse().ok()?,
            id: id.parse().ok().filter(|id: &i64| *id > 0)?,
        })
    }
}

impl std::fmt::Display for PageCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.at_ms, self.id)
    }
}

/// One page of a list, as the store is asked for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub search: Option<Search>,
    pub after: Option<PageCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_trimmed_lowercased_bounded_and_escaped_for_like() {
        assert_eq!(Search::parse("   "), Ok(None));
        let search = Search::parse("  Acme 50%_off\\ ").unwrap().unwrap();
        assert_eq!(search.as_str(), "acme 50%_off\\");
        assert_eq!(search.like_pattern(), "%acme 50\\%\\_off\\\\%");
        assert!(
            Search::parse(&"x".repeat(SEARCH_MAX_CHARS))
                .unwrap()
                .is_some()
        );
        assert!(Search::parse(&"x".repeat(SEARCH_MAX_CHARS + 1)).is_err());
        assert!(Search::parse("a\u{0}b").is_err());
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let cursor = PageCursor {
            at_ms: 1_764_000_000_000,
            id: 42,
        };
        assert_eq!(PageCursor::parse(&cursor.to_string()), Some(cursor));
        for bad in ["", "12", "a.b", "12.0", "12.-3", "1.2.3"] {
            assert_eq!(PageCursor::parse(bad), None, "{bad}");
        }
    }
}
