-- Every session of a rep carries the rep's session epoch from when it
-- started; raising the epoch (a new password, "Sign out everywhere", a
-- disabled rep) ends every session that has an older one.
ALTER TABLE reps ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- A disabled rep cannot sign in, and has no session.
ALTER TABLE reps ADD COLUMN disabled_at_ms BIGINT;
