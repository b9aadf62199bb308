-- migrate:expand
ALTER TABLE categories ADD CONSTRAINT categories_name_not_null
	CHECK (name IS NOT NULL) NOT VALID;
ALTER TABLE posts ADD COLUMN slug text;

-- migrate:contract
ALTER TABLE categories VALIDATE CONSTRAINT categories_name_not_null;
