//! The store on SQLite: one file, WAL mode so readers never wait for the
//! writer, and a busy timeout so concurrent writers queue instead of failing.

use std::{path::Path, str::FromStr, time::Duration};

use app::store::*;
use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{
    Row, SqlitePool,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
    },
};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(database_url: &str) -> anyhow::Result<Self> {
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
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

fn backend(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_string())
        }
        _ => StoreError::Backend(error.to_string()),
    }
}

fn instant(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn rep_from(row: &SqliteRow) -> Rep {
    Rep {
        id: row.get("id"),
        email: row.get("email"),
        name: row.get("name"),
        time_zone: row.get("time_zone"),
    }
}

fn recording_from(row: &SqliteRow) -> Recording {
    Recording {
        id: row.get("id"),
        owner_id: row.get("owner_id"),
        title: row.get("title"),
        created_at: instant(row.get("created_at_ms")),
        duration_ms: row.get("duration_ms"),
        media_key: row.get("media_key"),
        content_type: row.get("content_type"),
        size_bytes: row.get("size_bytes"),
    }
}

const REP_COLUMNS: &str = "id, email, name, time_zone";
const RECORDING_COLUMNS: &str =
    "id, owner_id, title, created_at_ms, duration_ms, media_key, content_type, size_bytes";

#[async_trait]
impl Store for SqliteStore {
    async fn create_rep(&self, rep: NewRep) -> StoreResult<Rep> {
        let row = sqlx::query(&format!(
            "INSERT INTO reps (email, name, time_zone, created_at_ms) VALUES (?, ?, ?, ?) RETURNING {REP_COLUMNS}"
        ))
        .bind(&rep.email)
        .bind(&rep.name)
        .bind(&rep.time_zone)
        .bind(Timestamp::now().as_millisecond())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rep_from(&row))
    }

    async fn rep_by_email(&self, email: &str) -> StoreResult<Option<Rep>> {
        let row = sqlx::query(&format!("SELECT {REP_COLUMNS} FROM reps WHERE email = ?"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(rep_from))
    }

    async fn first_rep(&self) -> StoreResult<Option<Rep>> {
        let row = sqlx::query(&format!(
            "SELECT {REP_COLUMNS} FROM reps ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(rep_from))
    }

    async fn create_recording(&self, recording: NewRecording) -> StoreResult<Recording> {
        let row = sqlx::query(&format!(
            "INSERT INTO recordings (owner_id, title, created_at_ms, duration_ms, media_key, content_type, size_bytes) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {RECORDING_COLUMNS}"
        ))
        .bind(recording.owner_id)
        .bind(&recording.title)
        .bind(Timestamp::now().as_millisecond())
        .bind(recording.duration_ms)
        .bind(&recording.media_key)
        .bind(&recording.content_type)
        .bind(recording.size_bytes)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(recording_from(&row))
    }

    async fn recordings_of(&self, owner: RepId) -> StoreResult<Vec<Recording>> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings WHERE owner_id = ? ORDER BY created_at_ms DESC, id DESC"
        ))
        .bind(owner)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(recording_from).collect())
    }

    async fn recording_of(&self, owner: RepId, id: RecordingId) -> StoreResult<Option<Recording>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = ? AND owner_id = ?"
        ))
        .bind(id)
        .bind(owner)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(recording_from))
    }
}
