//! Recipients' links, `{SHORT_LINK_URL}/l/{code}`: codes are made and
//! checked here, and nowhere else.

use std::fmt;

/// Characters in a link code.
pub const LINK_CODE_LEN: usize = 16;

/// A link code: 16 characters drawn from the 62 ASCII letters and digits by
/// the thread's CSPRNG (ChaCha, seeded from the OS), about 95 bits, so
/// codes cannot be guessed. Letters and digits only: nothing in a code needs
/// escaping in a URL, an email or a chat message.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LinkCode(String);

impl LinkCode {
    /// A new, random code.
    #[cfg(feature = "ssr")]
    pub fn random() -> Self {
        Self(random_alphanumerics(LINK_CODE_LEN))
    }

    /// A code as it arrived in a URL; `None` when it cannot be one of ours,
    /// so such a request needs no database lookup.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == LINK_CODE_LEN && raw.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(raw.to_string()))
    }

    /// A code read back from the store, which only holds codes made here.
    pub fn from_stored(code: String) -> Self {
        Self(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Codes are secrets: logs and debug output show only their first characters.
impl fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkCode({}…)", &self.0[..self.0.len().min(3)])
    }
}

/// `count` characters from the 62 ASCII letters and digits, by the
/// thread's CSPRNG (also for one-off secrets such as a demo password).
#[cfg(feature = "ssr")]
pub fn random_alphanumerics(count: usize) -> String {
    use rand::{Rng, distr::Alphanumeric};
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(count)
        .map(char::from)
        .collect()
}

/// The base of generated links (`SHORT_LINK_URL`), provided to server
/// functions as context.
#[derive(Clone, Debug)]
pub struct LinkBase(pub String);

impl LinkBase {
    /// `{base}/l/{code}`.
    pub fn url(&self, code: &LinkCode) -> String {
        format!("{}/l/{}", self.0.trim_end_matches('/'), code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn new_codes_are_well_formed_and_distinct() {
        let codes: std::collections::HashSet<String> = (0..10_000)
            .map(|_| LinkCode::random().as_str().to_string())
            .collect();
        assert_eq!(codes.len(), 10_000);
        assert!(codes.iter().all(|c| LinkCode::parse(c).is_some()));
    }

    #[test]
    fn only_codes_of_our_shape_parse() {
        assert!(LinkCode::parse("AbCdEfGh12345678").is_some());
        for bad in [
            "short",
            "AbCdEfGh1234567_",
            "AbCdEfGh1234567/",
            "AbCdEfGh123456789",
        ] {
            assert!(LinkCode::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn urls_join_without_double_slashes() {
        let code = LinkCode::parse("AbCdEfGh12345678").unwrap();
        assert_eq!(
            LinkBase("https://rec.example/".into()).url(&code),
            "https://rec.example/l/AbCdEfGh12345678"
        );
        assert_eq!(
            LinkBase("http://127.0.0.1:3000".into()).url(&code),
            "http://127.0.0.1:3000/l/AbCdEfGh12345678"
        );
    }

    #[test]
    fn debug_output_hides_the_code() {
        let code = LinkCode::parse("AbCdEfGh12345678").unwrap();
        assert_eq!(format!("{code:?}"), "LinkCode(AbC…)");
    }
}
