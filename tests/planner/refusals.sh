#!/usr/bin/env bash
# What the planner cannot make safe is refused before anything runs (exit 2,
# a message that says why and what to do, the database unchanged): a change
# that needs a backfill on a table without a key to batch by, and changes
# that would not survive the contract of a change still pending on the same
# column or table. Also: lint reports planned statements as `planned` (exit
# 0), as errors with --raw (exit 1), and `migrate plan` shows the units.
. "$(dirname "$0")/lib.sh"

# refused MESSAGE: `up --phase expand` exits 2 with MESSAGE, and the database
# is as it was.
refused() {
	db_state "$CASE.before_refusal"
	expect_exit 2 mg up --phase expand
	expect_contains "$ERR" "$1"
	db_state "$CASE.after_refusal"
	expect_same "$CASE.before_refusal" "$CASE.after_refusal" "$CASE: a refused migration changed the database"
}

# ---- no primary key, no unique NOT NULL column: nothing to batch by ----
for change in "RENAME COLUMN b TO c" "ALTER COLUMN a TYPE bigint" "ADD COLUMN token uuid DEFAULT gen_random_uuid()"; do
	CASE=nokey
	new_db nokey
	migration 0001_setup.sql <<'SQL'
CREATE TABLE nokey (a int, b text, u int UNIQUE);
INSERT INTO nokey SELECT g, 'b' || g, g FROM generate_series(1, 100) g;
SQL
	printf 'CREATE INDEX nokey_u_idx ON nokey (u);\nALTER TABLE nokey %s;\n' "$change" >"$MIG/0002_change.sql"
	expect_exit 0 mg up --to 1
	refused "table 'nokey' has no primary key or unique NOT NULL column"
	expect_contains "$ERR" "0002_change.sql:2:"
	expect_q "history of 0002" "SELECT count(*) FROM migrate.history WHERE version = 2" 0
	psql "$MIGRATE_TEST_PG" -X -q -c "DROP DATABASE \"$DB\" WITH (FORCE)" >/dev/null
done

# a unique NOT NULL column is key enough
start_case unique_key "
CREATE TABLE t (code text NOT NULL UNIQUE, b text);
INSERT INTO t SELECT 'k' || g, 'b' || g FROM generate_series(1, 500) g;" "
ALTER TABLE t RENAME COLUMN b TO c;"
expand_case --batch-size 100
expect_q "backfilled by the unique key" "SELECT count(*) FROM t WHERE c IS DISTINCT FROM b" 0
# (contract is not derived yet here: migrate_trash keeps dropped columns by primary key)
expect_exit 0 mg revert --steps 1
data_snapshot unique_key.reverted
expect_same unique_key.before unique_key.reverted "unique_key: reverting the expand does not give the start back"

# ---- a key column: the primary key, an exclusion constraint ----
CASE=keycol
new_db keycol
migration 0001_setup.sql <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, r int4range, CONSTRAINT t_r_excl EXCLUDE USING gist (r WITH &&));
INSERT INTO t SELECT g, int4range(g * 10, g * 10 + 5) FROM generate_series(1, 100) g;
SQL
expect_exit 0 mg up --to 1
for change in "id|RENAME COLUMN id TO key|renaming it|primary key 't_pkey'" \
	"id|ALTER COLUMN id TYPE bigint|changing its type|primary key 't_pkey'" \
	"r|RENAME COLUMN r TO span|renaming it|exclusion constraint 't_r_excl'"; do
	IFS='|' read -r col sql what key <<<"$change"
	echo "ALTER TABLE t $sql;" >"$MIG/0002_next.sql"
	refused "column 't.$col' is part of the $key: $what is not planned"
	expect_contains "$ERR" "0002_next.sql:1:1: error: "
	expect_contains "$ERR" "migrate:contract"
	expect_q "history of 0002" "SELECT count(*) FROM migrate.history WHERE version = 2" 0
done

# ---- two changes of one column in one migration: planned against the same
# catalogue, they would not see each other ----
CASE=composed
new_db composed
migration 0001_setup.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, q int, a text);
INSERT INTO t SELECT g, g, 'a' || g FROM generate_series(1, 100) g;
SQL
expect_exit 0 mg up --to 1
for change in "CREATE INDEX t_a_idx ON t (a);|ALTER TABLE t RENAME COLUMN a TO c;|a" \
	"ALTER TABLE t ALTER COLUMN q TYPE bigint;|ALTER TABLE t ALTER COLUMN q SET NOT NULL;|q" \
	"ALTER TABLE t ALTER COLUMN q SET NOT NULL;|ALTER TABLE t ALTER COLUMN q TYPE bigint;|q" \
	"ALTER TABLE t RENAME COLUMN q TO quantity;|ALTER TABLE t ALTER COLUMN quantity TYPE bigint;|quantity" \
	"ALTER TABLE t ADD CONSTRAINT t_q_check CHECK (q > 0);|ALTER TABLE t ALTER COLUMN q TYPE bigint;|q" \
	"ALTER TABLE t RENAME TO t2;|ALTER TABLE t ALTER COLUMN q TYPE bigint;|"; do
	IFS='|' read -r first second col <<<"$change"
	printf '%s\n%s\n' "$first" "$second" >"$MIG/0002_both.sql"
	if [ -n "$col" ]; then
		refused "this change of column 't.$col' and the one at line 1 are not planned together"
	else
		refused "this change and the one at line 1 (a rename of table 't' and a change of one of its columns) are not planned together"
	fi
	expect_contains "$ERR" "0002_both.sql:2:1: error: "
	expect_contains "$ERR" "a migration of its own"
done
# a rename, then an index on the new name, is fine in one migration
printf '%s\n%s\n' "ALTER TABLE t RENAME COLUMN a TO c;" "CREATE INDEX t_c_idx ON t (c);" >"$MIG/0002_both.sql"
expect_exit 0 mg up
expect_q "the index on the new name" "SELECT indexdef FROM pg_indexes WHERE indexname = 't_c_idx'" \
	"CREATE INDEX t_c_idx ON public.t USING btree (c)"

# ---- on top of a type change still to contract ----
CASE=shadowed
new_db shadowed
migration 0001_setup.sql <<'SQL'
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE t (id bigint PRIMARY KEY, q int, a text);
INSERT INTO t SELECT g, g, 'a' || g FROM generate_series(1, 300) g;
SQL
migration 0002_type.sql <<'SQL'
ALTER TABLE t ALTER COLUMN q TYPE bigint;
SQL
expect_exit 0 mg up --to 1
expect_exit 0 mg up --phase expand
for change in "ALTER TABLE t RENAME COLUMN q TO quantity;" "CREATE INDEX t_q_idx ON t (q);" \
	"ALTER TABLE t ADD CONSTRAINT t_q_key UNIQUE (q);" \
	"ALTER TABLE t ADD FOREIGN KEY (q) REFERENCES parent (id);"; do
	echo "$change" >"$MIG/0003_next.sql"
	refused "column 't.q' has a type change that is expanded but not contracted (shadow column 'q__v2')"
	expect_contains "$ERR" "contract the type change first"
done
# contracted, the same change goes through
expect_exit 0 mg up --phase contract --to 2
echo "ALTER TABLE t RENAME COLUMN q TO quantity;" >"$MIG/0003_next.sql"
expect_exit 0 mg up
expect_q "renamed after the type change" \
	"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'quantity'" bigint
expect_exit 0 mg revert --to 1

# ---- RENAME TABLE while column changes on it are still to contract ----
rm -f "$MIG/0003_next.sql"
migration 0002_type.sql <<'SQL'
ALTER TABLE t RENAME COLUMN a TO b;
SQL
expect_exit 0 mg up --phase expand
echo "ALTER TABLE t RENAME TO t2;" >"$MIG/0003_next.sql"
refused "table 't' has column changes that are expanded but not contracted"
expect_exit 0 mg up --phase contract --to 2
expect_exit 0 mg up
expect_q "renamed" "SELECT to_regclass('t2') IS NOT NULL AND to_regclass('t') IS NULL" t

# ---- lint: planned, and errors with --raw ----
CASE=lint
new_db lint
migration 0001_setup.sql <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, status text, qty int, note text, code text);
CREATE TABLE accounts (id bigint PRIMARY KEY);
SQL
migration 0002_change.sql <<'SQL'
CREATE INDEX orders_account_idx ON orders (account_id);
ALTER TABLE orders ADD CONSTRAINT orders_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE orders ADD CONSTRAINT orders_account_check CHECK (account_id > 0);
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders RENAME COLUMN note TO remark;
ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE accounts RENAME TO members;
SQL
expect_exit 0 "$MIGRATE" lint --dir "$MIG" --format json
json_check "$OUT" \
	"len(d['findings']) == 9" \
	"all(f['severity'] == 'planned' for f in d['findings'])" \
	"[f['line'] for f in d['findings']] == list(range(1, 10))" \
	"all(f['file'].endswith('0002_change.sql') for f in d['findings'])"
expect_exit 0 "$MIGRATE" lint --dir "$MIG"
expect_match "$OUT" "0002_change.sql:6:[0-9]+: planned\[rename-column\]"
expect_exit 1 "$MIGRATE" lint --raw --format json "$MIG/0001_setup.sql" "$MIG/0002_change.sql"
json_check "$OUT" \
	"len(d['findings']) == 9" \
	"all(f['severity'] == 'error' for f in d['findings'])"
# the safe forms written by hand are not findings at all
migration 0003_safe.sql <<'SQL'
CREATE INDEX CONCURRENTLY orders_qty_idx ON orders (qty);
ALTER TABLE orders ADD CONSTRAINT orders_qty_check2 CHECK (qty < 1000000) NOT VALID;
SQL
expect_exit 0 "$MIGRATE" lint --format json "$MIG/0003_safe.sql"
json_check "$OUT" "[f for f in d['findings'] if f['severity'] in ('error', 'planned')] == []"
rm "$MIG/0003_safe.sql"

# ---- migrate plan: the units of each phase ----
expect_exit 0 mg up --to 1
expect_exit 0 mg plan 2
for unit in \
	"CREATE INDEX CONCURRENTLY orders_account_idx ON orders USING btree (account_id);  -- outside a transaction" \
	"ALTER TABLE orders ADD CONSTRAINT orders_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;" \
	'ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_account_fkey";  -- in its own transaction' \
	'CREATE UNIQUE INDEX CONCURRENTLY "orders_code_key" ON "orders" ("code");  -- outside a transaction' \
	'ALTER TABLE "orders" ADD CONSTRAINT "orders_status_not_null" CHECK ("status" IS NOT NULL) NOT VALID;' \
	'UPDATE "orders" SET "remark" = "note" WHERE "remark" IS DISTINCT FROM "note";  -- backfill: keyset batches, each its own transaction' \
	"-- contract then finishes:" \
	"-- (a transaction)" \
	'ALTER TABLE "orders" ALTER COLUMN "status" SET NOT NULL;' \
	'ALTER TABLE "accounts" RENAME TO "members";' \
	"-- revert-expand (derived from the database as it is now):"; do
	expect_contains "$OUT" "$unit"
done
expect_match "$OUT" "^-- 2_change: expand \(step by step\), planned$"
# plan changes nothing
db_state lint.planned
expect_exit 0 mg plan
db_state lint.planned_again
expect_same lint.planned lint.planned_again "plan changed the database"
# once expanded, plan shows what ran and the recorded revert
expect_exit 0 mg up --phase expand
expect_exit 0 mg plan 2
expect_match "$OUT" "^-- 2_change: expand \(step by step\), applied$"
expect_contains "$OUT" "-- revert-expand (as recorded):"
expect_contains "$OUT" 'DROP VIEW "members";'

pass
