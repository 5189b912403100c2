//! cargo-leptos wants a server binary beside the browser library; the
//! benchmark builds only the library (`--frontend-only`).
fn main() {}
