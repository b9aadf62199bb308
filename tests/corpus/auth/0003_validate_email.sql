-- migrate:expand
ALTER TABLE identities VALIDATE CONSTRAINT identities_email_not_null;
