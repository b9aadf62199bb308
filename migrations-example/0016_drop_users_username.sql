-- Sign-in by username ended two releases ago and no client sends it any more.
-- Nothing to add: the whole migration is a contract.

-- migrate:contract
DROP INDEX CONCURRENTLY users_username_key;
ALTER TABLE users DROP COLUMN username;
