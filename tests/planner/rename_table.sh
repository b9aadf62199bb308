#!/usr/bin/env bash
# RENAME TABLE orders TO purchases: expand puts an updatable view under the
# new name, so the new app reads and writes the same rows through it while
# the old app keeps the table; contract renames the table and drops the view.
. "$(dirname "$0")/lib.sh"

start_case table "
CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new', qty int);
CREATE INDEX orders_status_idx ON orders (status);
INSERT INTO orders SELECT g, 's' || (g % 3), g FROM generate_series(1, 500) g;" "
ALTER TABLE orders RENAME TO purchases;"
expand_case
expect_planned '^CREATE VIEW "purchases" AS SELECT \* FROM "orders"$'
expect_in table.expanded "relation public.purchases kind=v persistence=p"
expect_in table.expanded "relation public.orders kind=r persistence=p"

# the new name reads and writes through the view, the old one keeps working
sql >/dev/null <<'SQL' || fail "table: writes through the new name failed"
INSERT INTO purchases (id, qty) VALUES (5001, 1);
UPDATE purchases SET qty = 99 WHERE id = 1;
DELETE FROM purchases WHERE id = 2;
INSERT INTO purchases (id, qty) VALUES (5001, 2) ON CONFLICT (id) DO NOTHING;
INSERT INTO orders (id, qty) VALUES (5002, 3);
SQL
expect_q "the old name sees the new name's writes" \
	"SELECT string_agg(id || ':' || status || ':' || qty, ' ' ORDER BY id) FROM orders WHERE id IN (1, 2, 5001)" \
	"1:s1:99 5001:new:1"
expect_q "the new name sees the old name's writes" "SELECT qty FROM purchases WHERE id = 5002" 3
expect_q "both names count the same rows" \
	"SELECT (SELECT count(*) FROM orders) = (SELECT count(*) FROM purchases)" t
sql -c "DELETE FROM orders WHERE id > 5000; INSERT INTO orders VALUES (2, 's2', 2); UPDATE orders SET qty = 1 WHERE id = 1" \
	>/dev/null || fail "table: restoring the rows failed"

after_contract() {
	expect_q "the rows under the new name" "SELECT count(*) FROM purchases" 500
	expect_q "the old name is gone" "SELECT to_regclass('orders') IS NULL" t
}
AFTER_CONTRACT=after_contract finish_case

# ---- every planned intent in one migration, the table renamed last ----
# The view shows every column, old ones included: contract drops it before the
# column changes drop their old columns, and renames the table last.
start_case everything "
CREATE TABLE accounts (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, status text DEFAULT 'new',
	qty int NOT NULL, note varchar(20));
INSERT INTO accounts SELECT g FROM generate_series(1, 10) g;
INSERT INTO orders SELECT g, g % 10 + 1, 's' || (g % 4), g, 'n' || g FROM generate_series(1, 2000) g;" "
CREATE INDEX orders_account_idx ON orders (account_id);
ALTER TABLE orders ADD CONSTRAINT orders_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE orders ADD CONSTRAINT orders_account_positive CHECK (account_id > 0);
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders RENAME COLUMN note TO remark;
ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid() NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_token_key UNIQUE (token);
ALTER TABLE orders RENAME TO purchases;"
expand_case --batch-size 300
# the new app: new table name, new column name, bigger numbers
sql >/dev/null <<'SQL' || fail "everything: the new app's writes failed"
INSERT INTO purchases (id, account_id, qty, remark) VALUES (5001, 1, 3, 'new app');
UPDATE purchases SET remark = 'renamed', qty = 4 WHERE id = 1;
SQL
# the old app: old names
sql >/dev/null <<'SQL' || fail "everything: the old app's writes failed"
INSERT INTO orders (id, account_id, qty, note) VALUES (5002, 2, 5, 'old app');
UPDATE orders SET note = 'old', qty = 6 WHERE id = 2;
SQL
expect_q "both apps read each other" \
	"SELECT string_agg(id || ':' || note || ':' || remark || ':' || qty__v2 || ':' || (token IS NOT NULL), ' ' ORDER BY id) FROM orders WHERE id IN (1, 2, 5001, 5002)" \
	"1:renamed:renamed:4:true 2:old:old:6:true 5001:new app:new app:3:true 5002:old app:old app:5:true"
sql -c "DELETE FROM orders WHERE id > 5000; UPDATE orders SET note = 'n' || id, qty = id WHERE id <= 2" >/dev/null ||
	fail "everything: restoring the rows failed"
after_contract() {
	expect_q "rows under the new names" \
		"SELECT count(*) FROM purchases WHERE remark = 'n' || id AND qty = id AND token IS NOT NULL" 2000
	# one transaction for the whole contract: a write log would only hold its lock
	expect_q "write logs" "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash' AND tablename LIKE 'w%'" 0
}
AFTER_CONTRACT=after_contract finish_case

pass
