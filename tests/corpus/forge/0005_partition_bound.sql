-- audit_log_2027 holds rows already: prove its bound before attaching it.
-- migrate:expand
ALTER TABLE audit_log_2027 ADD CONSTRAINT audit_log_2027_bound
	CHECK (at >= '2027-01-01' AND at < '2028-01-01') NOT VALID;

-- migrate:contract
ALTER TABLE audit_log_2027 VALIDATE CONSTRAINT audit_log_2027_bound;
