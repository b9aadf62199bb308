#!/usr/bin/env bash
# The example on SQLite, the embedded default: `migrate up` over all of it,
# `migrate revert --to 0`, and `up` again, on seeded rows. Skipped while the
# SQLite driver is not built.
. "$(dirname "$0")/lib.sh"

db="$T/app.db"
m() { "$MIGRATE" --db "sqlite:$db" --dir "$EXAMPLE" "$@"; }
if ! m status >"$OUT" 2>"$ERR"; then
	if grep -q "not built yet" "$ERR"; then
		echo "skipped: the SQLite driver is not built yet" >&2
		exit 77
	fi
	fail "'migrate status' on a new SQLite database failed"
fi

# q SQL: one value from the database, through Python's sqlite3 (no sqlite3 CLI needed)
q() {
	python3 -c 'import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print("" if row is None or row[0] is None else row[0])' "$db" "$1"
}
seed() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("""
INSERT INTO users (email, username, full_name) VALUES (%s, %s, %s);
INSERT INTO accounts (user_id, kind) VALUES (1, %s);
INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity)
	VALUES (1, %s, %s, %s, %s, 10), (1, %s, %s, %s, %s, 5);
INSERT INTO broker_executions (order_id, broker_order_id, broker_execution_id, filled_quantity, fill_price, executed_at)
	VALUES (1, %s, %s, 4, 190.5, %s), (1, %s, %s, 6, 190.6, %s);
INSERT INTO notifications (user_id, body, twilio_sid) VALUES (1, %s, %s);
""" % tuple(repr(v) for v in ["ann@example.com", "ann", "Ann", "cash",
	"5e0c8f8e-0001", "AAPL", "buy", "market", "5e0c8f8e-0002", "MSFT", "sell", "market",
	"b-1", "e-1", "2026-01-02T10:00:00Z", "b-1", "e-2", "2026-01-02T10:00:01Z",
	"AAPL filled", "SM0001"]))
c.commit()' "$db" || fail "seeding the SQLite database failed"
}
check_final_state() {
	[ "$(q "SELECT group_concat(id || '=' || CAST(filled_quantity AS REAL), ',') FROM (SELECT * FROM orders ORDER BY id)")" = "1=10.0,2=0.0" ] ||
		fail "$1: orders.filled_quantity not backfilled from the executions"
	[ "$(q "SELECT provider || ':' || provider_message_id FROM notifications WHERE id = 1")" = "twilio:SM0001" ] ||
		fail "$1: provider_message_id not copied from twilio_sid"
	[ "$(q "SELECT count(*) FROM pragma_table_info('notifications') WHERE name = 'twilio_sid'")" = 0 ] ||
		fail "$1: notifications.twilio_sid is still there"
	[ "$(q "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'username'")" = 0 ] ||
		fail "$1: users.username is still there"
	[ "$(q "SELECT \"notnull\" FROM pragma_table_info('orders') WHERE name = 'filled_quantity'")" = 1 ] ||
		fail "$1: orders.filled_quantity is not NOT NULL"
	[ "$(q "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('orders_open_by_account_idx', 'payment_transactions_pending_idx', 'notifications_order_id_idx', 'notifications_provider_message_id_idx')")" = 4 ] ||
		fail "$1: an index of the story is missing"
}
tables() {
	q "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_migrate%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
}

expect_exit 0 m up --to 6
seed
expect_exit 0 m up
check_final_state "migrate up"
expect_exit 0 m status --format json
json_check "$OUT" "len(d['migrations']) == $(find "$EXAMPLE" -name '*.sql' | wc -l)" \
	"all(x['phase'] == 'contracted' and not x['drift'] for x in d['migrations'])"

expect_exit 0 m revert --to 0
[ "$(tables)" = 0 ] || fail "'migrate revert --to 0' left tables behind"
expect_exit 0 m status --format json
json_check "$OUT" "all(x['phase'] == 'pending' for x in d['migrations'])"

expect_exit 0 m up --to 6
seed
expect_exit 0 m up
check_final_state "migrate up after revert"

pass
