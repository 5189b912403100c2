-- What each recipient watched: the stretches their browser played, merged
-- into sorted, disjoint [start_ms, end_ms] pairs (JSON).
ALTER TABLE recipients ADD COLUMN watched TEXT NOT NULL DEFAULT '[]';

-- A deleted recording keeps its row for the shares that point to it (their
-- history); its media is gone and every link to it is revoked.
ALTER TABLE recordings ADD COLUMN deleted_at_ms BIGINT;

-- Resend: a recipient may get their share email again. Send Email(s) still
-- emails each recipient once (resend 0); each resend takes the next number.
DROP INDEX outbox_share_once;
ALTER TABLE outbox ADD COLUMN resend BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX outbox_share_once ON outbox (recipient_id, resend) WHERE kind = 'share';
