-- One mechanism for all work done after the request: a job is a row here,
-- written in the same transaction as its cause, claimed by one worker at a
-- time for a limited while, retried with backoff, kept when done. Each queue
-- keeps what it works on in a table of its own (emails, …); a job names one
-- row of it.
CREATE TABLE jobs (
    id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- 'email' (a row of emails); more kinds of work come as queues.
    queue            TEXT    NOT NULL,
    subject_id       BIGINT  NOT NULL,
    -- 'queued' → 'running' (claimed until claimed_until_ms) → 'done', or
    -- back to 'queued' for a retry at run_at_ms, or 'failed' for good.
    status           TEXT    NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    run_at_ms        BIGINT  NOT NULL,
    claimed_until_ms BIGINT,
    last_error       TEXT,
    created_at_ms    BIGINT  NOT NULL,
    finished_at_ms   BIGINT
);

CREATE UNIQUE INDEX jobs_one_per_subject ON jobs (queue, subject_id);
CREATE INDEX jobs_due ON jobs (queue, run_at_ms) WHERE status = 'queued';
CREATE INDEX jobs_claimed ON jobs (queue, claimed_until_ms) WHERE status = 'running';

INSERT INTO jobs (queue, subject_id, status, attempts, run_at_ms, claimed_until_ms, last_error,
                  created_at_ms, finished_at_ms)
SELECT 'email', id,
       CASE status WHEN 'sending' THEN 'running' WHEN 'sent' THEN 'done' ELSE status END,
       attempts, next_attempt_at_ms, claimed_until_ms, last_error, created_at_ms, sent_at_ms
FROM outbox;

-- The outbox keeps what an email is; where it is on its way out is its job.
ALTER TABLE outbox RENAME TO emails;
ALTER TABLE emails
    DROP COLUMN status,
    DROP COLUMN attempts,
    DROP COLUMN next_attempt_at_ms,
    DROP COLUMN claimed_until_ms,
    DROP COLUMN last_error,
    DROP COLUMN sent_at_ms;
ALTER INDEX outbox_share_once RENAME TO emails_share_once;
ALTER INDEX outbox_opened_by_recipient RENAME TO emails_opened_by_recipient;
ALTER TABLE mailbox RENAME COLUMN outbox_id TO email_id;
