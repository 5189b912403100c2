-- Every upload is processed by a job of the 'processing' queue: probed,
-- kept or remuxed or transcoded to a file every browser plays, given a
-- poster and a sprite of timeline previews. Until it is probed a recording
-- has no known length and no playable file, so those columns may be NULL:
-- SQLite cannot relax a column in place, so the table is rebuilt (the
-- server runs migrations with foreign keys off, as SQLite's procedure for
-- it requires, and checks them after).

CREATE TABLE recordings_new (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES reps (id),
    title         TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    -- Known once the file is probed.
    duration_ms   INTEGER CHECK (duration_ms > 0),
    -- The file as it was uploaded, kept as it is.
    original_key  TEXT    NOT NULL UNIQUE,
    -- The file players get (the original itself, or its remux or
    -- transcode), its type and size: set when the recording is ready.
    media_key     TEXT    UNIQUE,
    content_type  TEXT,
    size_bytes    INTEGER CHECK (size_bytes > 0),
    deleted_at_ms INTEGER,
    -- 'processing' (progress in percent) → 'ready', or 'failed' (failure
    -- says why, in words for the rep).
    state         TEXT    NOT NULL DEFAULT 'processing'
                          CHECK (state IN ('processing', 'ready', 'failed')),
    progress      INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    failure       TEXT,
    -- A still (JPEG) for lists, players, emails and link unfurls.
    poster_key    TEXT,
    -- A sprite of small frames (JPEG) and its layout (JSON: every_ms,
    -- columns, count, width, height of a frame).
    previews_key  TEXT,
    previews      TEXT
);

-- Recordings from before were checked at upload and play as they are;
-- their jobs add a poster and previews (and remux a file whose index is
-- at its end).
INSERT INTO recordings_new (id, owner_id, title, created_at_ms, duration_ms, original_key,
                            media_key, content_type, size_bytes, deleted_at_ms, state, progress)
SELECT id, owner_id, title, created_at_ms, duration_ms, media_key,
       media_key, content_type, size_bytes, deleted_at_ms, 'ready', 100
FROM recordings;

DROP TABLE recordings;
ALTER TABLE recordings_new RENAME TO recordings;
CREATE INDEX recordings_by_owner ON recordings (owner_id, created_at_ms DESC);

INSERT INTO jobs (queue, subject_id, run_at_ms, created_at_ms)
SELECT 'processing', id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM recordings WHERE deleted_at_ms IS NULL;

-- "Show a preview when the link is pasted": the viewer page's og:image and
-- og:title, on unless the rep turns them off.
ALTER TABLE shares ADD COLUMN link_preview INTEGER NOT NULL DEFAULT 1;
