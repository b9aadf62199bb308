-- migrate:expand
ALTER TYPE post_state ADD VALUE 'hidden';
UPDATE posts SET state = 'hidden' WHERE title = '';
ALTER TABLE categories ALTER COLUMN name SET NOT NULL;
