-- migrate:expand
ALTER TABLE audit_log ATTACH PARTITION audit_log_2027
	FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
ALTER DOMAIN repo_name ADD CONSTRAINT repo_name_chars CHECK (VALUE ~ '^[A-Za-z0-9._-]+$');
ALTER DOMAIN repo_name ADD CONSTRAINT repo_name_length CHECK (length(VALUE) <= 100) NOT VALID;
ALTER TABLE collaborators ADD CONSTRAINT collaborators_no_overlap
	EXCLUDE USING gist (repository_id WITH =, during WITH &&);

-- migrate:revert-expand
ALTER TABLE collaborators DROP CONSTRAINT collaborators_no_overlap;
ALTER DOMAIN repo_name DROP CONSTRAINT repo_name_length;
ALTER DOMAIN repo_name DROP CONSTRAINT repo_name_chars;
ALTER TABLE audit_log DETACH PARTITION audit_log_2027;
