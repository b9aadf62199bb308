-- Every deployed app version now keeps filled_quantity up to date. Fill in
-- the orders written before 0007, then enforce NOT NULL for new rows with a
-- check that is NOT VALID: adding it does not scan the table. The backfill
-- is the first statement, so the brief ACCESS EXCLUSIVE lock of the ALTER is
-- taken at the end of the phase, not held while the rows are updated.

-- migrate:expand
UPDATE orders
SET filled_quantity = COALESCE(
	(SELECT sum(e.filled_quantity) FROM broker_executions e WHERE e.order_id = orders.id), 0)
WHERE filled_quantity IS NULL;

ALTER TABLE orders
	ADD CONSTRAINT orders_filled_quantity_not_null CHECK (filled_quantity IS NOT NULL) NOT VALID;

-- migrate:revert-expand
-- The backfilled totals stay: they are right, and reverting 0007 drops the
-- column with them.
ALTER TABLE orders DROP CONSTRAINT orders_filled_quantity_not_null;
