//! Row ids, one type each, so a share's id cannot be passed where a
//! recipient's is meant. On the wire (JSON, forms, URLs) they are plain
//! numbers, as before.

use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )*};
}

ids! {
    /// A sales rep.
    RepId;
    RecordingId;
    ShareId;
    CommentId;
    RecipientId;
    /// One open of a recipient's link.
    OpenId;
    /// An email to send (a share email or an "opened" notification).
    EmailId;
    /// A piece of background work ([`crate::store::Store::claim_jobs`]).
    JobId;
    /// A message in the dev mailbox.
    MailboxId;
}
