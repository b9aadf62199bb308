-- migrate:expand
DROP VIEW active_sessions;
ALTER TABLE factors RENAME COLUMN secret TO secret_hash;

-- migrate:contract
ALTER TABLE identities DROP COLUMN phone;
DROP INDEX CONCURRENTLY sessions_identity_idx;
