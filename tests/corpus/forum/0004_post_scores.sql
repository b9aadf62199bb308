-- migrate:expand
ALTER TABLE posts ADD COLUMN score int DEFAULT 0;
ALTER TABLE posts ALTER COLUMN score TYPE bigint;
ALTER TABLE posts ADD COLUMN root_id bigint;
UPDATE posts SET root_id = id WHERE root_id IS NULL;
ALTER TABLE posts ALTER COLUMN root_id SET NOT NULL;
