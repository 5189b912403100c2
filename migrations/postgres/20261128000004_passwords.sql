-- Reps sign in with a password, kept only as an Argon2id PHC string (salt and
-- parameters included). NULL: the rep cannot sign in until one is set.
ALTER TABLE reps ADD COLUMN password_hash TEXT;
