-- Every timestamp was written in UTC: on PostgreSQL 12+ the change keeps the
-- table as it is when the session runs in UTC.
-- migrate:expand
SET TIME ZONE 'UTC';
ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;
ALTER TABLE posts ALTER COLUMN created_at TYPE timestamptz,
	ALTER COLUMN updated_at TYPE timestamptz;

-- migrate:revert-expand
SET TIME ZONE 'UTC';
ALTER TABLE users ALTER COLUMN created_at TYPE timestamp;
ALTER TABLE posts ALTER COLUMN created_at TYPE timestamp,
	ALTER COLUMN updated_at TYPE timestamp;
