-- The front page shows the author's name: replace the view in one go.
-- migrate:expand
DROP VIEW recent_posts;
CREATE VIEW recent_posts AS
	SELECT p.id, p.title, p.created_at, u.username
	FROM posts p JOIN users u ON u.id = p.author_id
	WHERE p.state = 'published';

-- migrate:revert-expand
DROP VIEW recent_posts;
CREATE VIEW recent_posts AS
	SELECT id, title, created_at FROM posts WHERE state = 'published';
