-- The Recordings tab and the Shares page read a page at a time, newest
-- first, after the last row of the page before (keyset paging): these
-- indexes give each page in the order it is shown, however long the list.
DROP INDEX IF EXISTS recordings_by_owner;
CREATE INDEX recordings_page ON recordings (owner_id, created_at_ms DESC, id DESC)
    WHERE deleted_at_ms IS NULL;
CREATE INDEX shares_sent_page ON shares (sender_id, sent_at_ms DESC, id DESC)
    WHERE sent_at_ms IS NOT NULL;
-- Every recipient of a share, removed ones too (a share's opens count
-- theirs): the partial index above serves only current recipients.
CREATE INDEX recipients_by_share ON recipients (share_id);
