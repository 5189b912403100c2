-- Every time a recipient opened their link in a browser that ran the viewer
-- page's script. The server's clock decides when; the browser's report says
-- in which zone the recipient was.
--
-- PostgreSQL twin of migrations/sqlite (see the first migration for types).
CREATE TABLE opens (
    id                 BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id       BIGINT  NOT NULL REFERENCES recipients (id) ON DELETE CASCADE,
    opened_at_ms       BIGINT  NOT NULL,
    -- As the browser reported them; any of them may be missing or wrong.
    reported_local     TEXT,
    reported_zone      TEXT,
    reported_offset_min BIGINT,
    user_agent         TEXT
);

CREATE INDEX opens_by_recipient ON opens (recipient_id, opened_at_ms);

-- Every email the app sends is first a row here, written in the same
-- transaction as what caused it; the delivery worker sends it later, so a
-- crash or an SMTP outage loses nothing. The message is rendered when it is
-- sent, from the rows it refers to.
CREATE TABLE outbox (
    id                 BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- 'share' (a recipient's link; recipient_id set) or 'opened' (to the
    -- sender; open_id set).
    kind               TEXT    NOT NULL CHECK (kind IN ('share', 'opened')),
    recipient_id       BIGINT  NOT NULL REFERENCES recipients (id) ON DELETE CASCADE,
    open_id            BIGINT  REFERENCES opens (id) ON DELETE CASCADE,
    -- The local part of the Message-ID: the same on every attempt, so a
    -- message sent twice (a crash between sending and marking) shows as one.
    message_key        TEXT    NOT NULL UNIQUE,
    -- 'queued' → 'sending' (claimed by a worker until claimed_until_ms) →
    -- 'sent', or back to 'queued' for a retry, or 'failed' for good.
    status             TEXT    NOT NULL DEFAULT 'queued'
                               CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts           BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT  NOT NULL,
    claimed_until_ms   BIGINT,
    last_error         TEXT,
    created_at_ms      BIGINT  NOT NULL,
    sent_at_ms         BIGINT
);

-- What a worker asks for: due queued rows, and claims whose worker vanished.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at_ms);
-- Send Email(s) emails each recipient once; a second click skips them.
CREATE UNIQUE INDEX outbox_share_once ON outbox (recipient_id) WHERE kind = 'share';
CREATE INDEX outbox_opened_by_recipient ON outbox (recipient_id, created_at_ms) WHERE kind = 'opened';

-- The dev mailbox: where mail goes when no SMTP server is configured.
CREATE TABLE mailbox (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id    BIGINT  NOT NULL UNIQUE REFERENCES outbox (id) ON DELETE CASCADE,
    to_address   TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    -- The whole message as it would have gone over SMTP.
    raw          TEXT    NOT NULL,
    text_body    TEXT    NOT NULL,
    html_body    TEXT    NOT NULL,
    delivered_at_ms BIGINT NOT NULL
);
