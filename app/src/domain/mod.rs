//! What users type, parsed: each type parses its input once (`parse`), so a
//! value that exists is valid. Shared by the server and the browser: the
//! browser runs the same rules for instant feedback, and the server runs
//! them again as the rule. Also the typed ids of every row.

mod comment;
mod expiration;
mod ids;
mod listing;
mod password;
mod recipient;
mod recording;
mod watch;
mod zone;

pub use comment::*;
pub use expiration::*;
pub use ids::*;
pub use listing::*;
pub use password::*;
pub use recipient::*;
pub use recording::*;
pub use watch::*;
pub use zone::*;
