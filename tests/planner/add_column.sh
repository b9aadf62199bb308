#!/usr/bin/env bash
# ADD COLUMN with a volatile default (PostgreSQL would rewrite the table under
# an ACCESS EXCLUSIVE lock): expand adds the column plain and nullable, sets
# the default for new rows and fills the old rows in batches; NOT NULL comes
# as a validated check and becomes the real thing in contract.
. "$(dirname "$0")/lib.sh"

every_row_filled() {
	expect_q "rows without a value" "SELECT count(*) FROM t WHERE token IS NULL" 0
	expect_q "distinct values" "SELECT count(DISTINCT token) = count(*) FROM t" t
}

# new rows get the default from the moment expand ends
new_rows_get_it() {
	sql -c "INSERT INTO t (id) VALUES (9001)" >/dev/null || fail "$CASE: insert failed"
	expect_q "a new row's value" "SELECT token IS NOT NULL FROM t WHERE id = 9001" t
	sql -c "DELETE FROM t WHERE id = 9001" >/dev/null
}

for not_null in "" " NOT NULL"; do
	name=nullable
	[ -n "$not_null" ] && name=not_null
	start_case "$name" "
CREATE TABLE t (id bigint PRIMARY KEY, a text);
INSERT INTO t SELECT g, 'a' || g FROM generate_series(1, 2500) g;" "
ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid()$not_null;"
	expand_case --batch-size 250
	expect_planned '^ALTER TABLE t ADD COLUMN token uuid$'
	expect_planned 'ALTER COLUMN "token" SET DEFAULT gen_random_uuid\(\)$'
	expect_in "$name.expanded" "column public.t.token uuid default gen_random_uuid()"
	if [ -n "$not_null" ]; then
		expect_in "$name.expanded" "constraint public.t t_token_not_null_v2 CHECK ((token IS NOT NULL))"
	else
		expect_not_planned 'CHECK'
	fi
	every_row_filled
	new_rows_get_it
	AFTER_CONTRACT=every_row_filled finish_case
done

pass
