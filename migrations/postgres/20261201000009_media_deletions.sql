-- Media files to delete, each by a job of the 'media_deletion' queue, so a
-- deletion that fails is retried until it is done. An upload's file is put
-- here before it is stored, due an hour later, and taken out in the same
-- transaction as the recording that claims it: a crash in between leaves no
-- orphan file behind.
CREATE TABLE media_deletions (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    media_key     TEXT    NOT NULL,
    created_at_ms BIGINT NOT NULL
);
