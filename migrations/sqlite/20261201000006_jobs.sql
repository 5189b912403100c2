-- One mechanism for all work done after the request: a job is a row here,
-- written in the same transaction as its cause, claimed by one worker at a
-- time for a limited while, retried with backoff, kept when done. Each queue
-- keeps what it works on in a table of its own (emails, …); a job names one
-- row of it.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    -- 'email' (a row of emails); more kinds of work come as queues.
    queue            TEXT    NOT NULL,
    subject_id       INTEGER NOT NULL,
    -- 'queued' → 'running' (claimed until claimed_until_ms) → 'done', or
    -- back to 'queued' for a retry at run_at_ms, or 'failed' for good.
    status           TEXT    NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_at_ms        INTEGER NOT NULL,
    claimed_until_ms INTEGER,
    last_error       TEXT,
    created_at_ms    INTEGER NOT NULL,
    finished_at_ms   INTEGER
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
CREATE TABLE emails (
    id            INTEGER PRIMARY KEY,
    -- 'share' (a recipient's link) or 'opened' (to the sender; open_id set).
    kind          TEXT    NOT NULL CHECK (kind IN ('share', 'opened')),
    recipient_id  INTEGER NOT NULL REFERENCES recipients (id) ON DELETE CASCADE,
    open_id       INTEGER REFERENCES opens (id) ON DELETE CASCADE,
    -- The local part of the Message-ID: the same on every attempt, so a
    -- message sent twice (a crash between sending and marking) shows as one.
    message_key   TEXT    NOT NULL UNIQUE,
    -- Send Email(s) emails each recipient once (0); each resend takes the next number.
    resend        INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);

INSERT INTO emails (id, kind, recipient_id, open_id, message_key, resend, created_at_ms)
SELECT id, kind, recipient_id, open_id, message_key, resend, created_at_ms FROM outbox;

CREATE UNIQUE INDEX emails_share_once ON emails (recipient_id, resend) WHERE kind = 'share';
CREATE INDEX emails_opened_by_recipient ON emails (recipient_id, created_at_ms) WHERE kind = 'opened';

CREATE TABLE mailbox_by_email (
    id              INTEGER PRIMARY KEY,
    email_id        INTEGER NOT NULL UNIQUE REFERENCES emails (id) ON DELETE CASCADE,
    to_address      TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    raw             TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    delivered_at_ms INTEGER NOT NULL
);

INSERT INTO mailbox_by_email (id, email_id, to_address, subject, raw, text_body, html_body, delivered_at_ms)
SELECT id, outbox_id, to_address, subject, raw, text_body, html_body, delivered_at_ms FROM mailbox;

DROP TABLE mailbox;
ALTER TABLE mailbox_by_email RENAME TO mailbox;
DROP TABLE outbox;
