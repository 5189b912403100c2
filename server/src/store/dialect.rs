//! What differs between SQLite and PostgreSQL, named in one place. The
//! store's queries are written once, with `$n` placeholders (both read
//! them), and take these pieces from here; everything else is the same SQL.
//!
//! Concurrency, in short: SQLite has one writer at a time, and every writing
//! transaction here starts with `BEGIN IMMEDIATE`, so its reads and writes
//! run as one step; the row locks below are then not needed and are empty.
//! PostgreSQL runs writers side by side at READ COMMITTED (set on every
//! connection), so the methods that read, decide and write lock the rows
//! they decide on, and each says which.

use sqlx::{AnyConnection, Executor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of `database_url`: `postgres://` or `postgresql://` is
    /// PostgreSQL, anything else SQLite.
    pub fn of(database_url: &str) -> Self {
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    /// Set on every new connection.
    pub async fn set_up(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let statements: &[&str] = match self {
            // WAL (set once, kept in the file) lets readers go on while one
            // writes; the busy timeout queues writers instead of failing.
            Self::Sqlite => &[
                "PRAGMA busy_timeout = 10000",
                "PRAGMA foreign_keys = ON",
                "PRAGMA synchronous = NORMAL",
            ],
            // The locking relies on READ COMMITTED (PostgreSQL's default):
            // after waiting for a row lock, each later statement of the
            // transaction sees what the lock's previous holder committed. A
            // server-wide default of another level must not apply here.
            //
            // Every query here reads a few rows through an index (a test
            // checks the hot ones' plans): a parallel worker, a process of
            // its own, costs more than such a query (a 1,000-recipient
            // activity took 18 ms with one, 12 ms without) and competes
            // with the server for its cores.
            Self::Postgres => &[
                "SET default_transaction_isolation = 'read committed'",
                "SET max_parallel_workers_per_gather = 0",
            ],
        };
        for statement in statements {
            conn.execute(*statement).await?;
        }
        Ok(())
    }

    /// Starts a transaction that writes.
    pub fn begin_write(self) -> &'static str {
        match self {
            // Takes the write lock at once: no other writer between this
            // transaction's reads and its writes, and no lock upgrade that
            // could fail midway with "database is locked".
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }

    /// Locks the selected rows until the transaction ends.
    pub fn for_update(self) -> &'static str {
        self.postgres_only(" FOR UPDATE")
    }

    /// Locks the selected rows against changes of themselves and of their
    /// keys only: it conflicts with itself and with `FOR UPDATE`, not with
    /// the foreign key checks of inserts that name the row.
    pub fn for_no_key_update(self) -> &'static str {
        self.postgres_only(" FOR NO KEY UPDATE")
    }

    /// Keeps `table`'s selected rows from being deleted or locked `FOR
    /// UPDATE` until the transaction ends (what a foreign key check takes
    /// anyway), without holding up other such readers.
    pub fn for_key_share_of(self, table: &str) -> String {
        match self {
            Self::Sqlite => String::new(),
            Self::Postgres => format!(" FOR KEY SHARE OF {table}"),
        }
    }

    /// In a claim's subquery: lock the rows picked and skip rows another
    /// worker has locked (is claiming right now), so two workers never
    /// claim the same row and neither waits for the other.
    pub fn skip_locked(self) -> &'static str {
        self.postgres_only(" FOR UPDATE SKIP LOCKED")
    }

    /// A JSON array (as text) of the comments of share `share`: `{id, body,
    /// at_ms}` each, `[]` for none.
    pub fn comments_json(self, share: &str) -> String {
        match self {
            Self::Sqlite => format!(
                "(SELECT json_group_array(json_object('id', c.id, 'body', c.body, 'at_ms', c.at_ms)) \
                 FROM comments c WHERE c.share_id = {share})"
            ),
            Self::Postgres => format!(
                "(SELECT COALESCE(json_agg(json_build_object('id', c.id, 'body', c.body, 'at_ms', c.at_ms)), '[]')::text \
                 FROM comments c WHERE c.share_id = {share})"
            ),
        }
    }

    /// How to read a query of many rows, if not row by row: on SQLite as
    /// one JSON array (as text) of objects with the columns `columns`, in
    /// the order of `order_by`, built by the database. sqlx-sqlite hands
    /// each row over from its own thread (a message, a wake-up and a
    /// conversion per row), which for a thousand rows costs more than the
    /// query. PostgreSQL sends rows cheaply, and building JSON costs it more
    /// than the rows do.
    pub fn many_rows_as_json(
        self,
        columns: &[&str],
        query: &str,
        order_by: &str,
    ) -> Option<String> {
        let pairs = columns
            .iter()
            .map(|column| format!("'{column}', t.{column}"))
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            Self::Sqlite => Some(format!(
                "SELECT json_group_array(json_object({pairs}) ORDER BY t.{order_by}) \
                 FROM ({query}) AS t"
            )),
            Self::Postgres => None,
        }
    }

    /// A new Message-ID local part for each row: 32 lowercase hex digits.
    pub fn new_message_key(self) -> &'static str {
        match self {
            Self::Sqlite => "lower(hex(randomblob(16)))",
            // PostgreSQL has no randomblob (and gen_random_bytes needs
            // pgcrypto); the built-in random UUID (v4: 122 random bits from
            // a strong source) without its dashes has the same shape.
            Self::Postgres => "replace(gen_random_uuid()::text, '-', '')",
        }
    }

    fn postgres_only(self, clause: &'static str) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => clause,
        }
    }
}

/// `$first, $first+1, …` for `count` values: a list for `IN (…)` or a row of
/// `VALUES (…)`. (sqlx's query builder writes `?` for the Any driver, which
/// PostgreSQL does not read.)
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_follows_the_url() {
        assert_eq!(Dialect::of("postgres://db/share"), Dialect::Postgres);
        assert_eq!(Dialect::of("postgresql://db/share"), Dialect::Postgres);
        assert_eq!(Dialect::of("sqlite://data/share.db"), Dialect::Sqlite);
    }

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
