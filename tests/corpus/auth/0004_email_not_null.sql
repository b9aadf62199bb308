-- The pattern `migrate plan` recommends: the validated check proves it.
-- migrate:expand
ALTER TABLE identities ALTER COLUMN email SET NOT NULL;
ALTER TABLE identities ALTER COLUMN phone SET NOT NULL;
