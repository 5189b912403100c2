-- Opens a few minutes apart are one visit: a row counts the opens it holds
-- and keeps the first and the last. A recipient has a bounded number of
-- visits (the last one takes the rest), so no link can grow the table
-- without end.
ALTER TABLE opens ADD COLUMN last_at_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opens ADD COLUMN open_count INTEGER NOT NULL DEFAULT 1;
UPDATE opens SET last_at_ms = opened_at_ms;
