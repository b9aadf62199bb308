-- No SET TIME ZONE: the server's zone decides, and the table is rewritten.
-- migrate:expand
ALTER TABLE sessions ALTER COLUMN not_after TYPE timestamptz;
ALTER TABLE identities ALTER COLUMN last_sign_in TYPE timestamptz;

-- migrate:revert-expand
ALTER TABLE sessions ALTER COLUMN not_after TYPE timestamp;
ALTER TABLE identities ALTER COLUMN last_sign_in TYPE timestamp;
