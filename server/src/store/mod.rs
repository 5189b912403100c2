//! The store behind [`app::store::Store`]: one body of SQL ([`sql`]) for
//! SQLite (the default) and PostgreSQL, chosen by the scheme of
//! `DATABASE_URL`; what differs between the two is in [`dialect`]. Nothing
//! outside this module knows which one runs.

mod dialect;
mod link_cache;
mod rows;
mod sessions;
mod sql;

pub use dialect::Dialect;
pub use sessions::SessionStore;
pub use sql::{SqlStore, hot_queries};

use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

use app::{clock::SharedClock, store::SharedStore};
use link_cache::{LinkCache, Notified};
use sqlx::{
    any::AnyPoolOptions,
    postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

/// How long a request waits for a database connection before it fails
/// (503): a database that is away makes requests fail quickly, not hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether `database_url` names a PostgreSQL database (else SQLite).
pub fn is_postgres(database_url: &str) -> bool {
    Dialect::of(database_url) == Dialect::Postgres
}

/// Opens the store named by `database_url` and brings its schema up to date.
pub async fn open(database_url: &str, clock: SharedClock) -> anyhow::Result<SharedStore> {
    Ok(open_with_sessions(database_url, clock).await?.0)
}

/// The store and the session store, both on the database at `database_url`.
pub async fn open_with_sessions(
    database_url: &str,
    clock: SharedClock,
) -> anyhow::Result<(SharedStore, SessionStore)> {
    let dialect = Dialect::of(database_url);
    // The session store wants its backend's own pool; the same pool applies
    // the migrations (and creates the SQLite file) before the store opens.
    let (sessions, connections, links) = match dialect {
        Dialect::Sqlite => {
            let options = SqliteConnectOptions::from_str(database_url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            if let Some(dir) = Path::new(options.get_filename()).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)?;
            }
            migrate_sqlite(&options).await?;
            let file = options.get_filename();
            let links = if file.as_os_str().is_empty() || file == Path::new(":memory:") {
                LinkCache::local()
            } else {
                LinkCache::beside_file(file)
            };
            let pool = SqlitePoolOptions::new()
                .max_connections(2)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            let sessions = tower_sessions_sqlx_store::SqliteStore::new(pool);
            sessions.migrate().await?;
            // One writer at a time anyway; readers run side by side (WAL).
            (SessionStore::Sqlite(sessions), 8, links)
        }
        Dialect::Postgres => {
            let options = PgConnectOptions::from_str(database_url)?;
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            // sqlx holds an advisory lock while migrating, so processes
            // starting together apply each migration once.
            sqlx::migrate!("../migrations/postgres").run(&pool).await?;
            let notified = Arc::new(Notified::default());
            tokio::spawn(listen_for_link_changes(pool.clone(), notified.clone()));
            let sessions = tower_sessions_sqlx_store::PostgresStore::new(pool);
            sessions.migrate().await?;
            (
                SessionStore::Postgres(sessions),
                16,
                LinkCache::notified(notified),
            )
        }
    };
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _| Box::pin(async move { dialect.set_up(conn).await }))
        .connect(database_url)
        .await?;
    let store = SqlStore::new(pool, dialect, clock, links);
    Ok((Arc::new(store), sessions))
}

/// Applies the SQLite migrations on a connection of their own with foreign
/// keys off: SQLite changes a table's columns by building it anew, which
/// its documented procedure does with foreign keys off (sqlx runs each
/// migration in a transaction, where the pragma cannot be changed). The
/// database is then checked as that procedure asks.
async fn migrate_sqlite(options: &SqliteConnectOptions) -> anyhow::Result<()> {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = options.clone().foreign_keys(false).connect().await?;
    sqlx::migrate!("../migrations/sqlite")
        .run(&mut conn)
        .await?;
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await?;
    if !broken.is_empty() {
        anyhow::bail!(
            "the database has {} rows whose references are broken (PRAGMA foreign_key_check)",
            broken.len()
        );
    }
    conn.close().await?;
    Ok(())
}

/// Hears other instances' link changes for as long as the process runs.
/// While it is not listening (not yet connected, or reconnecting) the link
/// cache is bypassed, so no instance ever serves an answer it could not
/// have heard was revoked.
async fn listen_for_link_changes(pool: PgPool, notified: Arc<Notified>) {
    let mut pause = Duration::from_millis(100);
    loop {
        match listen(&pool, &notified).await {
            Ok(()) => pause = Duration::from_millis(100),
            Err(error) => {
                tracing::warn!(%error, "not hearing link changes; asking the database each time");
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
        notified.set_listening(false);
        tokio::time::sleep(pause).await;
    }
}

/// Listens until the connection is lost.
async fn listen(pool: &PgPool, notified: &Notified) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(link_cache::CHANNEL).await?;
    notified.set_listening(true);
    // `try_recv` answers `None` when the connection dropped (notifications
    // may have been missed meanwhile).
    while let Some(notification) = listener.try_recv().await? {
        notified.heard(notification.payload());
    }
    Ok(())
}
