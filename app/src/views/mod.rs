//! What the rep's pages show: the values server functions answer with,
//! serialised the same on the server and in the browser. (What users type
//! is parsed by the types of [`crate::domain`].)

mod profile;
mod recordings;
mod sent_shares;
mod share_window;

pub use profile::*;
pub use recordings::*;
pub use sent_shares::*;
pub use share_window::*;

/// One page of a long list, newest first, and the cursor of the next page
/// (`?after=…`), if there is one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}
