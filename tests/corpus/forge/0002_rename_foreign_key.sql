-- Constraint names as the ORM generates them.
-- migrate:expand
ALTER TABLE repositories RENAME CONSTRAINT repositories_owner_fk TO repositories_owner_id_fkey;
ALTER TABLE repositories RENAME CONSTRAINT repositories_owner_name_key TO repositories_owner_id_name_key;
