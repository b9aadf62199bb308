-- The "open orders" list and the payments reconciliation job both scan.
-- Both tables are in use, so the indexes are built CONCURRENTLY: writes go
-- on while they build.

-- migrate:expand
CREATE INDEX CONCURRENTLY orders_open_by_account_idx
	ON orders (account_id)
	WHERE status IN ('new', 'accepted', 'partially_filled');

CREATE INDEX CONCURRENTLY payment_transactions_pending_idx
	ON payment_transactions (created_at)
	WHERE status = 'pending';
