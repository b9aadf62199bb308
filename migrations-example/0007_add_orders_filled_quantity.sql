-- The order book screen sums executions for every order it shows; keep the
-- running total on the order instead. Added nullable and without a default,
-- so existing rows read NULL ("not computed yet") rather than a wrong 0, and
-- app versions that do not know the column keep inserting orders. New rows
-- start at 0: a constant default changes the catalogue only, no rewrite.

-- migrate:expand
ALTER TABLE orders ADD COLUMN filled_quantity numeric(18, 6);
ALTER TABLE orders ALTER COLUMN filled_quantity SET DEFAULT 0;

COMMENT ON COLUMN orders.filled_quantity IS 'sum of broker_executions.filled_quantity; kept by the trade-updates consumer';
