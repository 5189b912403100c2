//! Backends of [`app::store::Store`].

mod sqlite;

pub use sqlite::SqliteStore;

use app::store::SharedStore;
use std::sync::Arc;

/// Opens the store named by `database_url` and brings its schema up to date.
pub async fn open(database_url: &str) -> anyhow::Result<SharedStore> {
    Ok(Arc::new(SqliteStore::open(database_url).await?))
}

/// Where sign-in sessions live: the same database.
pub type SessionStore = tower_sessions_sqlx_store::SqliteStore;

/// The store and the session store, both on the database at `database_url`.
pub async fn open_with_sessions(database_url: &str) -> anyhow::Result<(SharedStore, SessionStore)> {
    let store = SqliteStore::open(database_url).await?;
    let sessions = SessionStore::new(store.pool());
    sessions.migrate().await?;
    Ok((Arc::new(store), sessions))
}
