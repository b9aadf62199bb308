#!/usr/bin/env bash
# The example app's PostgreSQL migrations on SQLite, with nothing but the
# binary: expand everything, let the app write, contract (the dropped
# columns' values go to _migrate_trash_* tables), revert the contracts (they
# come back), revert to zero (an empty database), and apply again: the
# schema is the same at every step back.
. "$(dirname "$0")/lib.sh"

cp "$EXAMPLE"/*.sql "$MIG"/
n_files=$(find "$MIG" -name '*.sql' | wc -l)
[ "$n_files" -ge 10 ] || fail "the example has only $n_files migrations"

status_is() {
	expect_exit 0 mg --dir "$MIG" status --format json
	python3 - "$OUT" "$1" "$n_files" <<'PY' || fail "status is not all '$1'"
import json, sys
d = json.load(open(sys.argv[1]))
ms = d["migrations"]
assert len(ms) == int(sys.argv[3]), len(ms)
assert all(m["phase"] == sys.argv[2] and m["drift"] is False for m in ms), ms
PY
}

snapshot empty.snap
expect_exit 0 mg --dir "$MIG" up --phase expand
expect_contains "$OUT" "COMMENT ON skipped: SQLite keeps no comments"
status_is expanded
expect_eq "history rows" "$(q "SELECT count(*) FROM _migrate_history WHERE phase = 'expanded'")" "$n_files"
expect_eq "legacy columns after expand" \
	"$(q "SELECT count(*) FROM pragma_table_info('notifications') WHERE name = 'twilio_sid'")$(q "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'username'")" "11"
expect_eq "indexes of the story" \
	"$(q "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('orders_open_by_account_idx', 'payment_transactions_pending_idx', 'notifications_order_id_idx', 'notifications_provider_message_id_idx', 'users_username_key')")" 5

# the app writes, old and new versions side by side
q "INSERT INTO users (email, username, full_name, phone)
	VALUES ('ann@example.com', 'ann', 'Ann', '+15550100'), ('bob@example.com', 'bob', 'Bob', NULL),
	       ('cy@example.com', NULL, 'Cy', NULL);
INSERT INTO accounts (user_id, kind) VALUES (1, 'cash'), (2, 'margin');
INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity)
	VALUES (1, '5e0c8f8e-2d0b-4c53-9d2e-0a6f6f3b7a01', 'AAPL', 'buy', 'market', 10),
	       (2, '5e0c8f8e-2d0b-4c53-9d2e-0a6f6f3b7a02', 'MSFT', 'sell', 'limit', 5);
INSERT INTO broker_executions (order_id, broker_order_id, broker_execution_id, filled_quantity, fill_price, executed_at)
	VALUES (1, 'b-1', 'e-1', 4, 190.50, CURRENT_TIMESTAMP);
INSERT INTO payment_transactions (account_id, provider, provider_reference, direction, amount)
	VALUES (1, 'stripe', 'pi_3Nexample', 'deposit', 1000.00);
INSERT INTO notifications (user_id, body, twilio_sid, provider, provider_message_id, order_id)
	VALUES (1, 'AAPL filled', 'SM0001', 'twilio', 'SM0001', 1), (2, 'welcome', NULL, NULL, NULL, NULL),
	       (3, 'hello', 'SM0003', 'twilio', 'SM0003', NULL);" || fail "seeding the expanded schema failed"
# the checks and keys SQLite got from the PostgreSQL definitions hold
sqlite3 "$DB" "PRAGMA foreign_keys = ON; INSERT INTO accounts (user_id, kind) VALUES (99, 'cash')" 2>/dev/null &&
	fail "a foreign key of the translated schema does not hold"
sqlite3 "$DB" "INSERT INTO accounts (user_id, kind) VALUES (1, 'gold')" 2>/dev/null &&
	fail "a CHECK of the translated schema does not hold"
data_snapshot expanded.snap

expect_exit 0 mg --dir "$MIG" up --phase contract
status_is contracted
snapshot contracted.snap
expect_eq "legacy columns after contract" \
	"$(q "SELECT count(*) FROM pragma_table_info('notifications') WHERE name = 'twilio_sid'")$(q "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'username'")" "00"
expect_eq "filled_quantity NOT NULL" "$(q "SELECT \"notnull\" FROM pragma_table_info('orders') WHERE name = 'filled_quantity'")" 1
expect_eq "the NOT NULL check dropped" "$(q "SELECT instr(sql, 'orders_filled_quantity_not_null') FROM sqlite_master WHERE name = 'orders'")" 0
expect_eq "rows after contract" \
	"$(q "SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM notifications) || ' ' || (SELECT group_concat(coalesce(provider_message_id, 'NULL'), ',') FROM (SELECT provider_message_id FROM notifications ORDER BY id))")" \
	"3 3 SM0001,NULL,SM0003"
expect_eq "indexes kept through the rebuilds" \
	"$(q "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('orders', 'notifications', 'users') AND sql IS NOT NULL ORDER BY name)")" \
	"notifications_order_id_idx notifications_provider_message_id_idx notifications_user_id_idx orders_account_id_created_at_idx orders_open_by_account_idx"
expect_eq "trash of the contracts" \
	"$(q "SELECT group_concat(name || ':' || kind || ':' || source, ' ') FROM (SELECT * FROM _migrate_trash ORDER BY name)")" \
	"_migrate_trash_v15_notifications_twilio_sid:column:notifications.twilio_sid _migrate_trash_v16_users_username:column:users.username"
expect_eq "usernames kept aside" \
	"$(q "SELECT group_concat(id || '=' || coalesce(username, 'NULL'), ',') FROM (SELECT * FROM _migrate_trash_v16_users_username ORDER BY id)")" \
	"1=ann,2=bob,3=NULL"
expect_eq "foreign keys after the rebuilds" "$(q "SELECT count(*) FROM pragma_foreign_key_check")" 0

# revert the contracts: the columns come back with their values
n_contracted=$(q "SELECT count(*) FROM _migrate_history WHERE phase = 'contracted'")
expect_exit 0 mg --dir "$MIG" revert --steps "$n_contracted"
status_is expanded
data_snapshot reverted.snap
expect_same expanded.snap reverted.snap "reverting the contracts did not restore the expanded schema and rows"
expect_eq "trash after revert" \
	"$(q "SELECT (SELECT count(*) FROM _migrate_trash) || ' ' || (SELECT count(*) FROM sqlite_master WHERE name LIKE '\_migrate\_trash\_v%' ESCAPE '\')")" "0 0"
expect_eq "revert events" \
	"$(q "SELECT count(*) FROM _migrate_events WHERE command = 'revert' AND phase = 'revert-contract' AND outcome = 'ok'")" \
	"$n_contracted"

# contract again, then all the way back: an empty database
expect_exit 0 mg --dir "$MIG" up --phase contract
expect_exit 0 mg --dir "$MIG" revert --to 0
status_is pending
snapshot zero.snap
expect_same empty.snap zero.snap "'revert --to 0' did not give the empty database back"
expect_eq "history after revert --to 0" "$(q "SELECT count(*) FROM _migrate_history")" 0

# plain up (expand and contract per migration): the same schema as before
expect_exit 0 mg --dir "$MIG" up
status_is contracted
snapshot again.snap
expect_same contracted.snap again.snap "'up' after 'revert --to 0' gave another schema"
pass
