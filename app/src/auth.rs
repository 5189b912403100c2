//! Who a request acts for.

use crate::store::{Rep, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no rep exists yet: create one with `server user add`")]
    NoRep,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The rep on whose behalf this request acts.
///
/// Reps do not sign in yet, so every request acts for the first rep (the demo
/// rep in demo mode). This is the one place that decides it: routes and
/// server functions all ask here.
pub async fn current_rep(
    store: &dyn Store,
    _request: &http::request::Parts,
) -> Result<Rep, AuthError> {
    store.first_rep().await?.ok_or(AuthError::NoRep)
}
