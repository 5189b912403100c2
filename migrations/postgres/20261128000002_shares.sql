-- A share: one recording sent by one rep to a list of recipients, with
-- comments and an expiration. While `sent_at_ms` is NULL it is the rep's
-- draft for that recording; there is at most one draft per rep and recording.
--
-- PostgreSQL twin of migrations/sqlite (see the first migration for types).
CREATE TABLE shares (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recording_id  BIGINT  NOT NULL REFERENCES recordings (id),
    sender_id     BIGINT  NOT NULL REFERENCES reps (id),
    title         TEXT    NOT NULL,
    -- What the rep chose: '30d', '60d', '90d', '1y' or 'custom', with civil dates.
    expiry_preset TEXT    NOT NULL,
    start_date    TEXT    NOT NULL,
    end_date      TEXT,
    -- The zone the dates are in, and the instant they mean.
    time_zone     TEXT    NOT NULL,
    expires_at_ms BIGINT  NOT NULL,
    sent_at_ms    BIGINT,
    created_at_ms BIGINT  NOT NULL,
    updated_at_ms BIGINT  NOT NULL
);

CREATE UNIQUE INDEX shares_one_draft ON shares (sender_id, recording_id) WHERE sent_at_ms IS NULL;

CREATE TABLE comments (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    share_id      BIGINT  NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
    body          TEXT    NOT NULL,
    at_ms         BIGINT  CHECK (at_ms IS NULL OR at_ms >= 0),
    created_at_ms BIGINT  NOT NULL
);

CREATE INDEX comments_by_share ON comments (share_id, at_ms);

-- Removed recipients are kept (their link stays revoked, their history intact).
CREATE TABLE recipients (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    share_id      BIGINT  NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    removed_at_ms BIGINT
);

CREATE UNIQUE INDEX recipients_once_per_share ON recipients (share_id, email) WHERE removed_at_ms IS NULL;

-- One link per recipient; the code is unique across the whole database.
-- (A PostgreSQL primary key is also NOT NULL, which SQLite's TEXT primary key
-- does not enforce; the app never stores a NULL code.)
CREATE TABLE links (
    code          TEXT    PRIMARY KEY,
    recipient_id  BIGINT  NOT NULL UNIQUE REFERENCES recipients (id) ON DELETE CASCADE,
    created_at_ms BIGINT  NOT NULL,
    revoked_at_ms BIGINT
);
