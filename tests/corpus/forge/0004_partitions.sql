-- migrate:expand
CREATE TABLE audit_log_2026 (id bigint NOT NULL, at date NOT NULL, action text NOT NULL);
ALTER TABLE audit_log ATTACH PARTITION audit_log_2026
	FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE audit_log ATTACH PARTITION audit_log_2024
	FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE audit_log DETACH PARTITION audit_log_2025;

-- migrate:revert-expand
ALTER TABLE audit_log ATTACH PARTITION audit_log_2025
	FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE audit_log DETACH PARTITION audit_log_2024;
DROP TABLE audit_log_2026;
