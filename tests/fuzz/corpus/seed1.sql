-- migrate:expand
ALTER TABLE users ADD COLUMN x int;
-- migrate:allow drop-column -- r
ALTER TABLE users DROP COLUMN n;
-- migrate:contract
DROP INDEX users_email_idx;
