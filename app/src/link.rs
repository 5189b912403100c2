//! Recipients' links: codes and the URLs made from them.

/// The base of generated links (`SHORT_LINK_URL`), provided to server
/// functions as context.
#[derive(Clone, Debug)]
pub struct LinkBase(pub String);

impl LinkBase {
    /// `{base}/l/{code}`.
    pub fn url(&self, code: &str) -> String {
        format!("{}/l/{code}", self.0.trim_end_matches('/'))
    }
}

/// A new link code: 16 characters drawn from 62 by the thread's CSPRNG
/// (ChaCha, seeded from the OS): about 95 bits, so codes cannot be guessed.
pub fn new_code() -> String {
    use rand::{Rng, distr::Alphanumeric};
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(crate::domain::LINK_CODE_LEN)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::is_link_code;

    #[test]
    fn codes_are_well_formed_and_distinct() {
        let codes: std::collections::HashSet<String> = (0..10_000).map(|_| new_code()).collect();
        assert_eq!(codes.len(), 10_000);
        assert!(codes.iter().all(|c| is_link_code(c)));
    }

    #[test]
    fn urls_join_without_double_slashes() {
        assert_eq!(
            LinkBase("https://rec.example/".into()).url("abc"),
            "https://rec.example/l/abc"
        );
        assert_eq!(
            LinkBase("http://127.0.0.1:3000".into()).url("abc"),
            "http://127.0.0.1:3000/l/abc"
        );
    }
}
