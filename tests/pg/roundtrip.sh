#!/usr/bin/env bash
# The example app's migrations, the way a shared environment runs them:
# expand everything, let the app write, contract, revert the contracts (the
# dropped columns come back with their values from migrate_trash), revert
# everything, and apply again: the catalogue is the same at every step back.
. "$(dirname "$0")/lib.sh"

new_db
cp "$EXAMPLE"/*.sql "$MIG"/
n_files=$(find "$MIG" -name '*.sql' | wc -l)
[ "$n_files" -ge 10 ] || fail "the example has only $n_files migrations"

# status_is PHASE: `status --format json` has the documented shape and every
# migration in PHASE, with the timestamps that phase implies.
status_is() {
	expect_exit 0 mg status --format json
	json_check "$OUT" \
		"set(d.keys()) == {'migrations'}" \
		"len(d['migrations']) == $n_files" \
		"all({'version', 'name', 'phase', 'expanded_at', 'contracted_at', 'drift'} <= set(m) for m in d['migrations'])" \
		"[m['version'] for m in d['migrations']] == sorted(m['version'] for m in d['migrations'])" \
		"all(isinstance(m['version'], int) and isinstance(m['name'], str) and m['drift'] is False for m in d['migrations'])" \
		"all(m['phase'] == '$1' for m in d['migrations'])" \
		"all((m['expanded_at'] is None) == ('$1' == 'pending') for m in d['migrations'])" \
		"all((m['contracted_at'] is None) == ('$1' != 'contracted') for m in d['migrations'])" \
		"all(m['expanded_at'] is None or m['expanded_at'][:2] == '20' for m in d['migrations'])"
}

snapshot empty.snap
status_is pending

# expand: everything the old and the new app versions can both live with
expect_exit 0 mg up --phase expand
status_is expanded
[ "$(q "SELECT count(*) FROM migrate.history WHERE phase = 'expanded'")" = "$n_files" ] ||
	fail "migrate.history does not hold every expanded migration"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE (table_name, column_name) IN (('notifications', 'twilio_sid'), ('users', 'username'))")" = 2 ] ||
	fail "expand removed a legacy column"

# the app writes, old and new versions side by side
sql -1 >/dev/null <<'SQL' || fail "seeding the expanded schema failed"
INSERT INTO users (email, username, full_name, phone)
	VALUES ('ann@example.com', 'ann', 'Ann', '+15550100'), ('bob@example.com', 'bob', 'Bob', NULL),
	       ('cy@example.com', NULL, 'Cy', NULL);
INSERT INTO accounts (user_id, kind) VALUES (1, 'cash'), (2, 'margin');
INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity)
	VALUES (1, '5e0c8f8e-2d0b-4c53-9d2e-0a6f6f3b7a01', 'AAPL', 'buy', 'market', 10),
	       (2, '5e0c8f8e-2d0b-4c53-9d2e-0a6f6f3b7a02', 'MSFT', 'sell', 'limit', 5);
INSERT INTO broker_executions (order_id, broker_order_id, broker_execution_id, filled_quantity, fill_price, executed_at)
	VALUES (1, 'b-1', 'e-1', 4, 190.50, now());
INSERT INTO payment_transactions (account_id, provider, provider_reference, direction, amount)
	VALUES (1, 'stripe', 'pi_3Nexample', 'deposit', 1000.00);
INSERT INTO notifications (user_id, body, twilio_sid, provider, provider_message_id, order_id)
	VALUES (1, 'AAPL filled', 'SM0001', 'twilio', 'SM0001', 1), (2, 'welcome', NULL, NULL, NULL, NULL),
	       (3, 'hello', 'SM0003', 'twilio', 'SM0003', NULL);
SQL
data_snapshot expanded.snap

# contract: the legacy columns go, their values into migrate_trash
expect_exit 0 mg up --phase contract
status_is contracted
snapshot contracted.snap
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE (table_name, column_name) IN (('notifications', 'twilio_sid'), ('users', 'username'))")" = 0 ] ||
	fail "contract left a legacy column"
[ "$(q "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'filled_quantity'")" = NO ] ||
	fail "contract did not set orders.filled_quantity NOT NULL"
[ "$(q "SELECT count(*) FROM pg_indexes WHERE indexname IN ('users_username_key', 'notifications_twilio_sid_idx')")" = 0 ] ||
	fail "contract left a legacy index"
# what the app wrote between the phases is all still there
expect_eq "rows after contract" \
	"$(q "SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM notifications) || ' ' || (SELECT string_agg(provider_message_id, ',' ORDER BY id) FROM notifications)")" \
	"3 3 SM0001,SM0003"
expect_eq "trash of the contracts" \
	"$(q "SELECT string_agg(name || ':' || kind || ':' || source, ' ' ORDER BY name) FROM migrate.trash")" \
	"v15_notifications_twilio_sid:column:public.notifications.twilio_sid v16_users_username:column:public.users.username"
expect_eq "usernames kept aside" \
	"$(q "SELECT string_agg(id || '=' || coalesce(username, 'NULL'), ',' ORDER BY id) FROM migrate_trash.v16_users_username")" \
	"1=ann,2=bob,3=NULL"

# revert the contracts: `--phase expand` then `--phase contract` applied
# every expand first, so the newest phases are all the contracts
n_contracted=$(q "SELECT count(*) FROM migrate.history WHERE phase = 'contracted'")
expect_exit 0 mg revert --steps "$n_contracted"
status_is expanded
data_snapshot reverted.snap
expect_same expanded.snap reverted.snap "reverting the contracts did not restore the expanded schema and rows"
expect_eq "usernames restored" \
	"$(q "SELECT string_agg(id || '=' || coalesce(username, 'NULL'), ',' ORDER BY id) FROM users")" \
	"1=ann,2=bob,3=NULL"
expect_eq "twilio ids restored" \
	"$(q "SELECT string_agg(id || '=' || coalesce(twilio_sid, 'NULL'), ',' ORDER BY id) FROM notifications")" \
	"1=SM0001,2=NULL,3=SM0003"
expect_eq "trash after revert" \
	"$(q "SELECT (SELECT count(*) FROM migrate.trash) || ' ' || (SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash')")" \
	"0 0"
[ "$(q "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 0 ] || fail "an invalid index after revert"
expect_eq "revert events" \
	"$(q "SELECT count(*) FROM migrate.events WHERE command = 'revert' AND phase = 'revert-contract' AND outcome = 'ok'")" \
	"$n_contracted"

# contract again, then all the way back
expect_exit 0 mg up --phase contract
status_is contracted
expect_exit 0 mg revert --to 0
status_is pending
[ "$(q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")" = 0 ] ||
	fail "'revert --to 0' left relations behind: $(q "SELECT string_agg(relname, ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")"
[ "$(q "SELECT count(*) FROM migrate.history")" = 0 ] || fail "'revert --to 0' left history rows"
snapshot zero.snap
expect_same empty.snap zero.snap "'revert --to 0' did not give the empty database back"
expect_eq "trash after revert --to 0" \
	"$(q "SELECT (SELECT count(*) FROM migrate.trash) || ' ' || (SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash')")" \
	"0 0"

# plain `up` interleaves expand and contract per migration; same end state
expect_exit 0 mg up
status_is contracted
snapshot again.snap
expect_same contracted.snap again.snap "'up' after 'revert --to 0' gave another schema"
# interleaved, the newest two phases are the last migration's contract and expand
last=$(q "SELECT max(version) FROM migrate.history")
expect_exit 0 mg revert --steps 2
[ "$(phase_of "$last")" = pending ] || fail "revert --steps 2 left $last $(phase_of "$last")"
[ "$(q "SELECT count(*) FROM migrate.history WHERE phase = 'contracted'")" = $((n_files - 1)) ] ||
	fail "revert --steps 2 touched another migration"
expect_exit 0 mg up
snapshot again2.snap
expect_same contracted.snap again2.snap "re-applying the last migration gave another schema"
pass
