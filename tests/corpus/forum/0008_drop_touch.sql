-- migrate:expand
DROP TRIGGER posts_touch ON posts;
DROP FUNCTION posts_touch();
DROP INDEX posts_category_idx;
CREATE INDEX CONCURRENTLY posts_category_state_idx ON posts (category_id, state);

-- migrate:revert-expand
DROP INDEX CONCURRENTLY posts_category_state_idx;
CREATE INDEX CONCURRENTLY posts_category_idx ON posts (category_id, created_at);
