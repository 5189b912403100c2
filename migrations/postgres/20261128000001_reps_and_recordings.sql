-- Reps own recordings. Instants are stored as Unix milliseconds (UTC), which
-- every backend stores and compares the same way.
--
-- PostgreSQL twin of migrations/sqlite with the same file name (and version).
-- Every integer is BIGINT, so it decodes as i64 as SQLite's INTEGER does (an
-- INTEGER here would be 32 bits and decode as i32). SQLite's `INTEGER PRIMARY
-- KEY` assigns ids itself; here an identity column does.
CREATE TABLE reps (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    -- IANA zone the rep chose; NULL until then (the browser's zone is used).
    time_zone     TEXT,
    created_at_ms BIGINT  NOT NULL
);

CREATE TABLE recordings (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id      BIGINT  NOT NULL REFERENCES reps (id),
    title         TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    duration_ms   BIGINT  NOT NULL CHECK (duration_ms > 0),
    media_key     TEXT    NOT NULL UNIQUE,
    content_type  TEXT    NOT NULL,
    size_bytes    BIGINT  NOT NULL CHECK (size_bytes > 0)
);

CREATE INDEX recordings_by_owner ON recordings (owner_id, created_at_ms DESC);
