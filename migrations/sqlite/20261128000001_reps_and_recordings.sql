-- Reps own recordings. Instants are stored as Unix milliseconds (UTC), which
-- every backend stores and compares the same way.
CREATE TABLE reps (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    -- IANA zone the rep chose; NULL until then (the browser's zone is used).
    time_zone     TEXT,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE recordings (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES reps (id),
    title         TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL CHECK (duration_ms > 0),
    media_key     TEXT    NOT NULL UNIQUE,
    content_type  TEXT    NOT NULL,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes > 0)
);

CREATE INDEX recordings_by_owner ON recordings (owner_id, created_at_ms DESC);
