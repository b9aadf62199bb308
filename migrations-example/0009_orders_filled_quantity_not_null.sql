-- Validate the check in its own migration: VALIDATE scans the table under a
-- SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on. Once it is
-- valid, SET NOT NULL uses it as proof and skips the scan, and the check has
-- done its job.

-- migrate:expand
ALTER TABLE orders VALIDATE CONSTRAINT orders_filled_quantity_not_null;

-- migrate:contract
ALTER TABLE orders ALTER COLUMN filled_quantity SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_filled_quantity_not_null;
