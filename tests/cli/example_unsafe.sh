#!/usr/bin/env bash
# The example is clean because it takes the zero-downtime path at every step:
# each step written the naive way is caught, by the rule that guards it.
# shellcheck disable=SC2016,SC2086 # sed scripts: $ is the last line; $raw may be empty
. "$(dirname "$0")/lib.sh"

# unsafe FILE RULE SED-SCRIPT: lint a copy of the example with FILE edited
# by SED-SCRIPT; expect exit 1 and an error from RULE in that file. --raw, as
# for files another runner applies: without it, what the planner makes safe is
# reported as planned (see the end of this file).
unsafe() {
	local file=$1 rule=$2 script=$3
	rm -rf ex
	cp -r "$EXAMPLE" ex
	sed -i -E "$script" "ex/$file"
	cmp -s "ex/$file" "$EXAMPLE/$file" && fail "sed script '$script' changed nothing in $file"
	# irreversible is about migrate's own history, which --raw files do not have
	local raw=--raw
	[ "$rule" = irreversible ] && raw=
	expect_exit 1 "$MIGRATE" lint $raw ex
	expect_contains "$OUT" "ex/$file:"
	expect_match "$OUT" "^ex/$file:[0-9]+:[0-9]+: error\[$rule\]: "
}

# the index built without CONCURRENTLY on a table in use
unsafe 0010_index_open_orders.sql create-index-concurrently 's/ CONCURRENTLY//'
# the foreign key validated while it is added
unsafe 0011_link_notifications_to_orders.sql add-foreign-key 's/ NOT VALID//'
# the NOT NULL check validated while it is added
unsafe 0008_backfill_orders_filled_quantity.sql add-check-constraint 's/ NOT VALID//'
# validated in the same migration (and transaction) as the ADD
unsafe 0008_backfill_orders_filled_quantity.sql validate-same-transaction \
	'/^-- migrate:revert-expand/i ALTER TABLE orders VALIDATE CONSTRAINT orders_filled_quantity_not_null;'
# SET NOT NULL in expand, without the check that proves it
unsafe 0009_orders_filled_quantity_not_null.sql set-not-null '/^-- migrate:contract/d'
# the column added NOT NULL straight away
unsafe 0007_add_orders_filled_quantity.sql add-column-not-null \
	's/filled_quantity numeric\(18, 6\);/filled_quantity numeric(18, 6) NOT NULL;/'
# the rename done in one statement
unsafe 0013_add_notifications_provider_message_id.sql rename-column \
	'$a ALTER TABLE notifications RENAME COLUMN twilio_sid TO provider_message_id;'
# the old column and its index dropped in expand
unsafe 0015_drop_notifications_twilio_sid.sql drop-column '/^-- migrate:contract/d'
unsafe 0016_drop_users_username.sql drop-index 's/^-- migrate:contract/-- migrate:expand/'
# the index dropped without CONCURRENTLY, even in contract
unsafe 0016_drop_users_username.sql drop-index-concurrently 's/ CONCURRENTLY//'
# CONCURRENTLY wrapped in a transaction of the file's own
unsafe 0010_index_open_orders.sql concurrently-in-transaction \
	'/^-- migrate:expand/a BEGIN;
$a COMMIT;'
# a unique constraint that builds its index under the table lock
unsafe 0010_index_open_orders.sql add-unique-constraint \
	'$a ALTER TABLE orders ADD CONSTRAINT orders_account_client_key UNIQUE (account_id, client_order_id);'
# a type change that rewrites a table in use
unsafe 0007_add_orders_filled_quantity.sql change-column-type \
	'$a ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;'
# a default that is computed per row rewrites the table
unsafe 0013_add_notifications_provider_message_id.sql add-column-volatile-default \
	'$a ALTER TABLE notifications ADD COLUMN delivery_token uuid DEFAULT gen_random_uuid();'
# a table in use dropped, or emptied
unsafe 0012_validate_notifications_order_fk.sql drop-table '$a DROP TABLE broker_executions;'
unsafe 0012_validate_notifications_order_fk.sql truncate '$a TRUNCATE payment_transactions;'

# a backfill without its hand-written revert: its undo cannot be derived
unsafe 0014_backfill_notifications_provider_message_id.sql irreversible '/^-- migrate:revert-expand/,$d'

# without --raw, what the planner rewrites into the safe form when `migrate up`
# runs the expand section is "planned": reported, but it does not fail the run
planned() {
	local file=$1 rule=$2 script=$3
	rm -rf ex
	cp -r "$EXAMPLE" ex
	sed -i -E "$script" "ex/$file"
	expect_exit 0 "$MIGRATE" lint ex
	expect_match "$OUT" "^ex/$file:[0-9]+:[0-9]+: planned\[$rule\]: "
	expect_match "$OUT" ": 0 errors, 0 warnings, [0-9]+ planned$"
	expect_exit 0 "$MIGRATE" lint --format json ex
	json_check "$OUT" "set(f['severity'] for f in d['findings']) == {'planned'}" \
		"'$rule' in [f['rule'] for f in d['findings']]"
}
planned 0010_index_open_orders.sql create-index-concurrently 's/ CONCURRENTLY//'
planned 0011_link_notifications_to_orders.sql add-foreign-key 's/ NOT VALID//'
planned 0013_add_notifications_provider_message_id.sql rename-column \
	'$a ALTER TABLE notifications RENAME COLUMN body TO text;'
# ... only in expand: the same statement in contract is an error
rm -rf ex
cp -r "$EXAMPLE" ex
sed -i -E 's/^(DROP INDEX CONCURRENTLY users_username_key;)$/\1\nCREATE INDEX users_phone_idx ON users (phone);/' \
	ex/0016_drop_users_username.sql
expect_exit 1 "$MIGRATE" lint ex
expect_match "$OUT" "^ex/0016_drop_users_username.sql:[0-9]+:[0-9]+: error\[create-index-concurrently\]: "

# warnings alone do not fail the run: BEGIN/COMMIT around a plain statement
rm -rf ex
cp -r "$EXAMPLE" ex
sed -i -E '/^-- migrate:expand/a BEGIN;' ex/0012_validate_notifications_order_fk.sql
echo 'COMMIT;' >>ex/0012_validate_notifications_order_fk.sql
expect_exit 0 "$MIGRATE" lint ex
expect_match "$OUT" "^ex/0012_validate_notifications_order_fk.sql:[0-9]+:[0-9]+: warning\[explicit-transaction\]: "
expect_contains "$OUT" ": 0 errors, "

pass
