#!/usr/bin/env bash
# A rewriting ALTER COLUMN TYPE: expand adds a shadow column of the new type,
# a trigger that writes it from every write of the column (through the USING
# expression when there is one) and a batched backfill; indexes on the column
# are built again on the shadow, concurrently. Contract swaps the shadow in
# (the old column kept in migrate_trash) and gives the indexes their names
# back. The app writes the column by its one name all along.
. "$(dirname "$0")/lib.sh"

# ---- int → bigint, NOT NULL with a DEFAULT, indexed ----
start_case int_bigint "
CREATE TABLE t (id bigint PRIMARY KEY, q int NOT NULL DEFAULT 0, b text);
CREATE INDEX t_q_idx ON t (q);
CREATE UNIQUE INDEX t_b_q_key ON t (b, q);
INSERT INTO t SELECT g, g * 7, 'b' || (g % 10) FROM generate_series(1, 3000) g;" "
ALTER TABLE t ALTER COLUMN q TYPE bigint;"
expand_case --batch-size 400
expect_planned '^ALTER TABLE t ADD COLUMN q__v2 bigint$'
expect_planned '^CREATE INDEX CONCURRENTLY t_q_idx_v2 ON public.t USING btree \(q__v2\)$'
expect_planned '^CREATE UNIQUE INDEX CONCURRENTLY t_b_q_key_v2 ON public.t USING btree \(b, q__v2\)$'
expect_q "shadow equal after the backfill" "SELECT count(*) FROM t WHERE q__v2 IS DISTINCT FROM q" 0
sql >/dev/null <<'SQL' || fail "int_bigint: the app's writes failed during the transition"
INSERT INTO t (id, q, b) VALUES (5001, 11, 'x');
INSERT INTO t (id, b) VALUES (5002, 'y');
UPDATE t SET q = 2000000000 WHERE id = 1;
UPDATE t SET b = 'z' WHERE id = 2;
SQL
expect_q "shadow follows inserts, updates and the default" \
	"SELECT string_agg(id || '=' || q__v2, ' ' ORDER BY id) FROM t WHERE id IN (1, 2, 5001, 5002)" \
	"1=2000000000 2=14 5001=11 5002=0"
expect_q "shadow equal after the app's writes" "SELECT count(*) FROM t WHERE q__v2 IS DISTINCT FROM q" 0
sql -c "DELETE FROM t WHERE id > 5000; UPDATE t SET q = id * 7, b = 'b' || (id % 10) WHERE id <= 2" >/dev/null
after_contract() {
	expect_q "values after the swap" "SELECT count(*) FROM t WHERE q IS DISTINCT FROM id * 7" 0
	# the new type takes what the old one could not
	sql -c "INSERT INTO t (id, q, b) VALUES (9001, 5000000000, 'big'); DELETE FROM t WHERE id = 9001" \
		>/dev/null || fail "int_bigint: bigint values refused after contract"
}
after_uncontract() {
	expect_q "old values back" "SELECT count(*) FROM t WHERE q IS DISTINCT FROM id * 7 OR q__v2 IS DISTINCT FROM q" 0
}
AFTER_CONTRACT=after_contract AFTER_UNCONTRACT=after_uncontract finish_case

# ---- text → integer USING trim(code)::integer, indexed ----
start_case text_int "
CREATE TABLE t (id bigint PRIMARY KEY, code text NOT NULL, note text);
CREATE INDEX t_code_idx ON t (code);
INSERT INTO t SELECT g, ' ' || g || ' ', 'n' || g FROM generate_series(1, 2000) g;" "
ALTER TABLE t ALTER COLUMN code TYPE integer USING trim(code)::integer;"
expand_case --batch-size 300
expect_planned 'ADD COLUMN code__v2 int$'
expect_q "USING applied by the backfill" "SELECT count(*) FROM t WHERE code__v2 IS DISTINCT FROM id" 0
sql >/dev/null <<'SQL' || fail "text_int: the old app's writes failed during the transition"
INSERT INTO t (id, code) VALUES (5001, '  42');
UPDATE t SET code = '7 ' WHERE id = 1;
UPDATE t SET note = 'touched' WHERE id = 2;
SQL
expect_q "USING applied by the trigger" \
	"SELECT string_agg(id || '=' || code__v2, ' ' ORDER BY id) FROM t WHERE id IN (1, 2, 5001)" \
	"1=7 2=2 5001=42"
# a value the new type cannot hold is refused now, not at contract
if sql -c "UPDATE t SET code = 'x' WHERE id = 3" >/dev/null 2>&1; then
	fail "text_int: a value that is no integer got in during the transition"
fi
sql -c "DELETE FROM t WHERE id > 5000; UPDATE t SET code = ' ' || id || ' ', note = 'n' || id WHERE id <= 2" >/dev/null
after_contract() {
	expect_q "values after the swap" "SELECT count(*) FROM t WHERE code IS DISTINCT FROM id::integer" 0
}
after_uncontract() {
	expect_q "old text back" "SELECT count(*) FROM t WHERE code IS DISTINCT FROM ' ' || id || ' '" 0
}
AFTER_CONTRACT=after_contract AFTER_UNCONTRACT=after_uncontract finish_case

# ---- varchar(20) → numeric(12,2) without USING (an assignment cast) ----
start_case no_using "
CREATE TABLE t (id bigint PRIMARY KEY, amount int DEFAULT 5);
INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;" "
ALTER TABLE t ALTER COLUMN amount TYPE numeric(12,2);"
expand_case
expect_q "shadow after the backfill" "SELECT count(*) FROM t WHERE amount__v2 IS DISTINCT FROM amount::numeric(12,2)" 0
after_contract() {
	expect_q "values after the swap" "SELECT count(*) FROM t WHERE amount <> id" 0
	sql -c "INSERT INTO t (id) VALUES (9001)" >/dev/null || fail "no_using: insert with the default failed"
	expect_q "the default after the swap" "SELECT amount FROM t WHERE id = 9001" "5.00"
	sql -c "DELETE FROM t WHERE id = 9001" >/dev/null
}
AFTER_CONTRACT=after_contract AFTER_UNCONTRACT= finish_case

# ---- a foreign key and a UNIQUE constraint on the column ----
start_case keys "
CREATE TABLE parent (id bigint PRIMARY KEY);
INSERT INTO parent SELECT g FROM generate_series(1, 1000) g;
CREATE TABLE t (id bigint PRIMARY KEY, p int CONSTRAINT t_p_fk REFERENCES parent (id), n int CONSTRAINT t_n_key UNIQUE);
INSERT INTO t SELECT g, g, g FROM generate_series(1, 1000) g;" "
ALTER TABLE t ALTER COLUMN p TYPE bigint;
"
expand_case
expect_planned '^ALTER TABLE t ADD CONSTRAINT t_p_fk_v2 FOREIGN KEY \(p__v2\) REFERENCES parent ?\(id\) NOT VALID$'
AFTER_CONTRACT= AFTER_UNCONTRACT= finish_case
start_case unique "
CREATE TABLE t (id bigint PRIMARY KEY, n int CONSTRAINT t_n_key UNIQUE);
INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;" "
ALTER TABLE t ALTER COLUMN n TYPE bigint;
"
expand_case
unique_after_contract() {
	expect_q "t_n_key is a constraint again" "SELECT contype FROM pg_constraint WHERE conname = 't_n_key'" u
}
AFTER_CONTRACT=unique_after_contract AFTER_UNCONTRACT= finish_case

# ---- the primary key: int (serial) -> bigint, referenced by another table ----
start_case pk "
CREATE TABLE t (id serial PRIMARY KEY, code text NOT NULL UNIQUE DEFAULT md5(random()::text), v text);
CREATE TABLE child (id bigint PRIMARY KEY, t_id int CONSTRAINT child_t_fk REFERENCES t (id));
INSERT INTO t (v) SELECT 'v' || g FROM generate_series(1, 1000) g;
INSERT INTO child SELECT g, g FROM generate_series(1, 100) g;" "
ALTER TABLE t ALTER COLUMN id TYPE bigint;"
expand_case --batch-size 300
expect_planned '^CREATE UNIQUE INDEX CONCURRENTLY t_pkey_v2 ON public.t USING btree \(id__v2\)$'
expect_planned '^ALTER TABLE child ADD CONSTRAINT child_t_fk_v2 FOREIGN KEY \(t_id\) REFERENCES t ?\(id__v2\) NOT VALID$'
sql -c "INSERT INTO t (v) VALUES ('during expand')" >/dev/null || fail "pk: an insert by the sequence failed during the transition"
expect_q "the shadow follows the sequence" "SELECT count(*) FROM t WHERE id__v2 IS DISTINCT FROM id" 0
expect_q "one number a row" "SELECT last_value FROM t_id_seq" 1001
sql -c "DELETE FROM t WHERE v = 'during expand'" >/dev/null
pk_after_contract() {
	expect_q "the key after the swap" \
		"SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'p'" \
		"t_pkey PRIMARY KEY (id)"
	expect_q "the sequence belongs to the new column" "SELECT pg_get_serial_sequence('t', 'id')" public.t_id_seq
	sql -c "INSERT INTO t (v) VALUES ('after contract'); INSERT INTO child SELECT 5000, id FROM t WHERE v = 'after contract'" >/dev/null ||
		fail "pk: inserts after contract failed"
	if sql -c "INSERT INTO child VALUES (5001, 999999)" >/dev/null 2>&1; then
		fail "pk: the child's foreign key does not hold after contract"
	fi
}
pk_after_uncontract() {
	expect_q "the row written after contract keeps its key under the old column" \
		"SELECT count(*) FROM t WHERE v = 'after contract' AND id = id__v2" 1
	expect_q "old keys back" "SELECT count(*) FROM t WHERE id IS DISTINCT FROM id__v2" 0
	sql -c "DELETE FROM child WHERE id = 5000; DELETE FROM t WHERE v = 'after contract'" >/dev/null
}
AFTER_CONTRACT=pk_after_contract AFTER_UNCONTRACT=pk_after_uncontract finish_case

# ---- an array and an enum: no comparison across the old and new type is
# needed (the backfill compares the shadow with the old value cast) ----
start_case array_enum "
CREATE TYPE mood AS ENUM ('ok', 'bad');
CREATE TABLE t (id bigint PRIMARY KEY, tags int[], m mood DEFAULT 'ok');
INSERT INTO t SELECT g, ARRAY[g, g + 1], CASE WHEN g % 3 = 0 THEN 'bad' END::mood FROM generate_series(1, 800) g;" "
ALTER TABLE t ALTER COLUMN tags TYPE bigint[];"
expand_case --batch-size 100
expect_q "the shadow after the backfill" "SELECT count(*) FROM t WHERE tags__v2 IS DISTINCT FROM tags::bigint[]" 0
AFTER_CONTRACT= AFTER_UNCONTRACT= finish_case
start_case enum_text "
CREATE TYPE mood AS ENUM ('ok', 'bad');
CREATE TABLE t (id bigint PRIMARY KEY, m mood DEFAULT 'ok');
INSERT INTO t SELECT g, CASE WHEN g % 3 = 0 THEN 'bad' END::mood FROM generate_series(1, 800) g;" "
ALTER TABLE t ALTER COLUMN m TYPE text;"
expand_case --batch-size 100
AFTER_CONTRACT= AFTER_UNCONTRACT= finish_case

# ---- a default the new type cannot take: refused in expand, as the plain statement is ----
NO_REFERENCE=1 start_case bad_default "
CREATE TABLE t (id bigint PRIMARY KEY, code text DEFAULT 'none');
INSERT INTO t SELECT g, g::text FROM generate_series(1, 100) g;" "
ALTER TABLE t ALTER COLUMN code TYPE integer USING code::integer;"
expect_exit 3 mg up --phase expand
expect_contains "$ERR" "default"
expect_exit 0 mg revert --to 1
data_snapshot bad_default.reverted
expect_same bad_default.before bad_default.reverted "bad_default: not back at the start"

pass
