-- migrate:expand
ALTER TABLE posts ADD COLUMN headline text;

-- migrate:contract
ALTER TABLE posts RENAME COLUMN body TO content;
ALTER TABLE posts RENAME COLUMN headline TO subtitle;
