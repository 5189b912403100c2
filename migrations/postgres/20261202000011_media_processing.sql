-- Every upload is processed by a job of the 'processing' queue: probed,
-- kept or remuxed or transcoded to a file every browser plays, given a
-- poster and a sprite of timeline previews. Until it is probed a recording
-- has no known length and no playable file, so those columns may be NULL.

-- The file as it was uploaded, kept as it is.
ALTER TABLE recordings ADD COLUMN original_key TEXT;
UPDATE recordings SET original_key = media_key;
ALTER TABLE recordings ALTER COLUMN original_key SET NOT NULL;
ALTER TABLE recordings ADD CONSTRAINT recordings_original_key_key UNIQUE (original_key);

-- Known once the file is probed; the file players get (the original
-- itself, or its remux or transcode), its type and size: set when ready.
ALTER TABLE recordings ALTER COLUMN duration_ms DROP NOT NULL;
ALTER TABLE recordings ALTER COLUMN media_key DROP NOT NULL;
ALTER TABLE recordings ALTER COLUMN content_type DROP NOT NULL;
ALTER TABLE recordings ALTER COLUMN size_bytes DROP NOT NULL;

-- 'processing' (progress in percent) → 'ready', or 'failed' (failure says
-- why, in words for the rep). Recordings from before were checked at
-- upload and play as they are; their jobs add a poster and previews (and
-- remux a file whose index is at its end).
ALTER TABLE recordings ADD COLUMN state TEXT NOT NULL DEFAULT 'ready'
    CHECK (state IN ('processing', 'ready', 'failed'));
ALTER TABLE recordings ALTER COLUMN state SET DEFAULT 'processing';
ALTER TABLE recordings ADD COLUMN progress BIGINT NOT NULL DEFAULT 100
    CHECK (progress BETWEEN 0 AND 100);
ALTER TABLE recordings ALTER COLUMN progress SET DEFAULT 0;
ALTER TABLE recordings ADD COLUMN failure TEXT;
-- A still (JPEG) for lists, players, emails and link unfurls.
ALTER TABLE recordings ADD COLUMN poster_key TEXT;
-- A sprite of small frames (JPEG) and its layout (JSON: every_ms, columns,
-- count, width, height of a frame).
ALTER TABLE recordings ADD COLUMN previews_key TEXT;
ALTER TABLE recordings ADD COLUMN previews TEXT;

INSERT INTO jobs (queue, subject_id, run_at_ms, created_at_ms)
SELECT 'processing', id, (extract(epoch FROM now()) * 1000)::BIGINT,
       (extract(epoch FROM now()) * 1000)::BIGINT
FROM recordings WHERE deleted_at_ms IS NULL;

-- "Show a preview when the link is pasted": the viewer page's og:image and
-- og:title, on unless the rep turns them off.
ALTER TABLE shares ADD COLUMN link_preview BOOLEAN NOT NULL DEFAULT TRUE;
