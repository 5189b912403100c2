//! Values shared by the server and the browser. Each type parses its input
//! once (`parse`), so a value that exists is valid; the browser runs the same
//! rules for instant feedback, and the server runs them again as the rule.

mod activity;
mod comment;
mod expiration;
mod password;
mod recipient;
mod recording;
mod share;
mod watch;

pub use activity::*;
pub use comment::*;
pub use expiration::*;
pub use password::*;
pub use recipient::*;
pub use recording::*;
pub use share::*;
pub use watch::*;
