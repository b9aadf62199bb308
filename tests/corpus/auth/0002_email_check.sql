-- migrate:expand
ALTER TABLE identities ADD CONSTRAINT identities_email_not_null
	CHECK (email IS NOT NULL) NOT VALID;
