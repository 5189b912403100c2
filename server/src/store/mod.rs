//! Backends of [`app::store::Store`]: SQLite (the default) and PostgreSQL,
//! chosen by the scheme of `DATABASE_URL`. Nothing outside this module knows
//! which one runs.

mod postgres;
mod rows;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use app::store::SharedStore;
use async_trait::async_trait;
use std::sync::Arc;
use tower_sessions::{
    ExpiredDeletion,
    session::{Id, Record},
    session_store,
};

/// Whether `database_url` names a PostgreSQL database (else SQLite).
pub fn is_postgres(database_url: &str) -> bool {
    database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")
}

/// Opens the store named by `database_url` and brings its schema up to date.
pub async fn open(database_url: &str) -> anyhow::Result<SharedStore> {
    Ok(open_with_sessions(database_url).await?.0)
}

/// The store and the session store, both on the database at `database_url`.
pub async fn open_with_sessions(database_url: &str) -> anyhow::Result<(SharedStore, SessionStore)> {
    if is_postgres(database_url) {
        let store = PostgresStore::open(database_url).await?;
        let sessions = tower_sessions_sqlx_store::PostgresStore::new(store.pool());
        sessions.migrate().await?;
        Ok((Arc::new(store), SessionStore::Postgres(sessions)))
    } else {
        let store = SqliteStore::open(database_url).await?;
        let sessions = tower_sessions_sqlx_store::SqliteStore::new(store.pool());
        sessions.migrate().await?;
        Ok((Arc::new(store), SessionStore::Sqlite(sessions)))
    }
}

/// Where sign-in sessions live: a table in the same database, so every
/// server instance on that database sees the same sessions.
#[derive(Clone, Debug)]
pub enum SessionStore {
    Sqlite(tower_sessions_sqlx_store::SqliteStore),
    Postgres(tower_sessions_sqlx_store::PostgresStore),
}

#[async_trait]
impl tower_sessions::SessionStore for SessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete_expired().await,
            Self::Postgres(store) => store.delete_expired().await,
        }
    }
}
