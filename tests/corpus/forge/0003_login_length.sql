-- migrate:expand
ALTER TABLE owners ALTER COLUMN login TYPE text USING login;
ALTER TABLE repositories ALTER COLUMN visibility TYPE varchar(10) USING visibility;
DROP INDEX repositories_visibility_idx;
CREATE INDEX repositories_visibility_idx ON repositories (visibility, id);
