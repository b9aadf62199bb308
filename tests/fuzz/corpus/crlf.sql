-- migrate:expand
ALTER TABLE users ADD COLUMN x int;
-- migrate:contract
ALTER TABLE users DROP COLUMN x;
