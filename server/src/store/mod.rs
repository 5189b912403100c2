//! Backends of [`app::store::Store`].

mod sqlite;

pub use sqlite::SqliteStore;

use app::store::SharedStore;
use std::sync::Arc;

/// Opens the store named by `database_url` and brings its schema up to date.
pub async fn open(database_url: &str) -> anyhow::Result<SharedStore> {
    Ok(Arc::new(SqliteStore::open(database_url).await?))
}
