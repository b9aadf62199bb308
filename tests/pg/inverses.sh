#!/usr/bin/env bash
# Every statement migrate derives an undo for: applied, checked to have done
# something, reverted, and the catalogue and the rows are what they were.
# Each case is a fresh database with two migrations: 0001 sets the scene,
# 0002 holds the statement under test.
. "$(dirname "$0")/lib.sh"

# The scene most cases start from, with rows in it.
BASE="-- migrate:expand
CREATE TABLE t (
	id bigint PRIMARY KEY,
	a text,
	b text NOT NULL DEFAULT 'b0',
	c integer CONSTRAINT t_c_positive CHECK (c > 0)
);
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE INDEX CONCURRENTLY t_b_idx ON t (b);
COMMENT ON TABLE parent IS 'parent rows';
COMMENT ON COLUMN t.b IS 'the b column';
CREATE VIEW t_view AS SELECT id, a FROM t;
CREATE FUNCTION t_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t';
"
SEED="INSERT INTO parent VALUES (1), (2);
INSERT INTO t VALUES (1, 'one', 'b1', 1), (2, NULL, 'b2', 2), (3, 'three', 'b3', NULL);"

# inverse_case NAME CHECK_SQL [SETUP]: the change (stdin) becomes 0002 (and
# 0003... when the heredoc holds '-- next file' lines); CHECK_SQL is true
# once it is applied. SETUP defaults to BASE. DURING, when set, is true
# while the change is applied. XFAIL, when set, says why the case is known to
# fail. Cases run a few at a time, each in its own database.
inverse_case() {
	local name=$1 check=$2 setup=${3:-$BASE}
	new_db "$name"
	printf '%s\n%s\n' "$setup" "$SEED" >"$MIG/0001_setup.sql"
	awk -v dir="$MIG" '
		BEGIN { n = 2; f = sprintf("%s/%04d_change.sql", dir, n) }
		/^-- next file$/ { n++; f = sprintf("%s/%04d_change.sql", dir, n); next }
		{ print > f }
	' -
	printf '%s' "${XFAIL:-}" >"$T/$name.xfail"
	CASES+=("$name")
	while [ "$(jobs -rp | wc -l)" -ge 4 ]; do
		wait -n
	done
	# in a subshell of its own: one failing case does not hide the others
	(
		OUT="$T/.out.$name"
		ERR="$T/.err.$name"
		expect_exit 0 mg up --to 1
		data_snapshot "$name.before"
		expect_exit 0 mg up
		[ "$(q "SELECT NOT EXISTS (SELECT 1 FROM migrate.history WHERE phase <> 'contracted')
			AND ($check) AND (${DURING:-true})")" = t ] ||
			fail "$name: after 'up', not every phase applied, or not: $check${DURING:+ and $DURING}"
		expect_exit 0 mg revert --to 1
		data_snapshot "$name.after"
		expect_same "$name.before" "$name.after" "$name: revert did not restore the database"
		expect_eq "$name: history, trash and invalid indexes after revert" \
			"$(q "SELECT (SELECT string_agg(version || ':' || phase, ',') FROM migrate.history)
				|| ' ' || (SELECT count(*) FROM migrate.trash)
				|| ' ' || (SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash')
				|| ' ' || (SELECT count(*) FROM pg_index WHERE NOT indisvalid)")" \
			"1:contracted 0 0 0"
		touch "$T/$name.ok"
	) >"$T/$name.log" 2>&1 &
	DURING=
	XFAIL=
}
CASES=()

# check_cases: waits for every case and reports them.
check_cases() {
	wait
	local failed=() name
	for name in "${CASES[@]}"; do
		local xfail
		xfail=$(cat "$T/$name.xfail")
		if [ -e "$T/$name.ok" ] && [ -n "$xfail" ]; then
			echo "FAIL: $name passes but is marked as an expected failure ($xfail)" >&2
			failed+=("$name")
		elif [ -e "$T/$name.ok" ]; then
			echo "ok: $name"
		elif [ -n "$xfail" ]; then
			echo "expected failure: $name ($xfail)"
		else
			cat "$T/$name.log" >&2
			failed+=("$name")
		fi
	done
	[ "${#failed[@]}" = 0 ] || fail "cases that failed: ${failed[*]}"
}

# ---- creating ----

inverse_case create_table "SELECT to_regclass('t2') IS NOT NULL" <<'SQL'
CREATE TABLE t2 (id bigint PRIMARY KEY, t_id bigint REFERENCES t (id), note text UNIQUE);
SQL

inverse_case create_index_named \
	"SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('t_a_idx')" <<'SQL'
CREATE INDEX CONCURRENTLY t_a_idx ON t (a) WHERE a IS NOT NULL;
SQL

inverse_case create_index_unnamed \
	"SELECT count(*) = 3 FROM pg_index WHERE indrelid = 't'::regclass AND indisvalid" <<'SQL'
CREATE UNIQUE INDEX CONCURRENTLY ON t (lower(a));
SQL

inverse_case create_view "SELECT to_regclass('t_view2') IS NOT NULL" <<'SQL'
CREATE VIEW t_view2 AS SELECT id, b FROM t WHERE c > 1;
SQL

inverse_case replace_view \
	"SELECT pg_get_viewdef('t_view'::regclass) LIKE '%upper%'" <<'SQL'
CREATE OR REPLACE VIEW t_view AS SELECT id, a, upper(a) AS a_upper FROM t;
SQL

inverse_case replace_view_body \
	"SELECT pg_get_viewdef('t_view'::regclass) LIKE '%upper%'" <<'SQL'
CREATE OR REPLACE VIEW t_view AS SELECT id, upper(a) AS a FROM t;
SQL

inverse_case create_function "SELECT to_regprocedure('t_sum(integer)') IS NOT NULL" <<'SQL'
CREATE FUNCTION t_sum(min integer) RETURNS bigint LANGUAGE sql STABLE
AS $$ SELECT coalesce(sum(c), 0) FROM t WHERE c >= min $$;
SQL

inverse_case replace_function \
	"SELECT prosrc LIKE '%WHERE c%' FROM pg_proc WHERE proname = 't_count'" <<'SQL'
CREATE OR REPLACE FUNCTION t_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t WHERE c IS NOT NULL';
SQL

inverse_case create_enum "SELECT to_regtype('mood') IS NOT NULL" <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
ALTER TABLE t ADD COLUMN m mood;
SQL

# ---- columns ----

inverse_case add_column \
	"SELECT count(*) = 2 FROM information_schema.columns WHERE table_name = 't' AND column_name IN ('d', 'e')" <<'SQL'
ALTER TABLE t ADD COLUMN d text DEFAULT 'dd';
ALTER TABLE t ADD COLUMN e bigint, ADD COLUMN IF NOT EXISTS a text;
ALTER TABLE t ADD CONSTRAINT t_e_fkey FOREIGN KEY (e) REFERENCES parent (id) NOT VALID;
SQL

inverse_case set_default_new \
	"SELECT column_default = '''x''::text' FROM information_schema.columns WHERE table_name = 't' AND column_name = 'a'" <<'SQL'
ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x';
SQL

inverse_case set_default_replace \
	"SELECT column_default = '''b9''::text' FROM information_schema.columns WHERE table_name = 't' AND column_name = 'b'" <<'SQL'
ALTER TABLE t ALTER COLUMN b SET DEFAULT 'b9';
SQL

inverse_case drop_default \
	"SELECT column_default IS NULL FROM information_schema.columns WHERE table_name = 't' AND column_name = 'b'" <<'SQL'
ALTER TABLE t ALTER COLUMN b DROP DEFAULT;
SQL

inverse_case set_not_null \
	"SELECT is_nullable = 'NO' FROM information_schema.columns WHERE table_name = 't' AND column_name = 'd'" \
	"$BASE
ALTER TABLE t ADD COLUMN d text DEFAULT 'd';
" <<'SQL'
-- migrate:allow set-not-null -- the test applies it on purpose
ALTER TABLE t ALTER COLUMN d SET NOT NULL;
SQL

inverse_case drop_not_null \
	"SELECT is_nullable = 'YES' FROM information_schema.columns WHERE table_name = 't' AND column_name = 'b'" <<'SQL'
ALTER TABLE t ALTER COLUMN b DROP NOT NULL;
SQL

# ---- constraints ----

inverse_case add_check_named \
	"SELECT NOT convalidated FROM pg_constraint WHERE conname = 't_a_short'" <<'SQL'
ALTER TABLE t ADD CONSTRAINT t_a_short CHECK (length(a) < 10) NOT VALID;
SQL

inverse_case add_check_unnamed \
	"SELECT count(*) = 2 FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'c'" <<'SQL'
ALTER TABLE t ADD CHECK (b <> '') NOT VALID;
SQL

inverse_case add_fk_validate \
	"SELECT convalidated FROM pg_constraint WHERE conname = 't_c_fkey'" <<'SQL'
ALTER TABLE t ADD CONSTRAINT t_c_fkey FOREIGN KEY (c) REFERENCES parent (id) NOT VALID;
-- next file
-- migrate:expand
ALTER TABLE t VALIDATE CONSTRAINT t_c_fkey;
SQL

inverse_case add_unique_using_index \
	"SELECT contype = 'u' FROM pg_constraint WHERE conname = 't_b_key'" <<'SQL'
CREATE UNIQUE INDEX CONCURRENTLY t_b_key ON t (b);
-- next file
-- migrate:expand
ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE USING INDEX t_b_key;
SQL

inverse_case drop_constraint \
	"SELECT count(*) = 0 FROM pg_constraint WHERE conname = 't_c_positive'" <<'SQL'
-- migrate:contract
ALTER TABLE t DROP CONSTRAINT t_c_positive;
SQL

# ---- renames ----

inverse_case rename_column \
	"SELECT count(*) = 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'aa'" <<'SQL'
-- migrate:contract
-- migrate:allow rename-column -- the test renames on purpose
ALTER TABLE t RENAME COLUMN a TO aa;
SQL

inverse_case rename_table "SELECT to_regclass('parent2') IS NOT NULL" <<'SQL'
-- migrate:contract
-- migrate:allow rename-table -- the test renames on purpose
ALTER TABLE parent RENAME TO parent2;
SQL

inverse_case rename_index "SELECT to_regclass('t_b_index') IS NOT NULL" <<'SQL'
ALTER INDEX t_b_idx RENAME TO t_b_index;
SQL

# ---- comments: the previous one back, or none ----

inverse_case comment_table_replace \
	"SELECT obj_description('parent'::regclass, 'pg_class') = 'the parents'" <<'SQL'
COMMENT ON TABLE parent IS 'the parents';
SQL

inverse_case comment_table_new \
	"SELECT obj_description('t'::regclass, 'pg_class') = 'it''s t'" <<'SQL'
COMMENT ON TABLE t IS 'it''s t';
SQL

inverse_case comment_column \
	"SELECT col_description('t'::regclass, 1) = 'key' AND col_description('t'::regclass, 3) = 'b again'" <<'SQL'
COMMENT ON COLUMN t.id IS 'key';
COMMENT ON COLUMN t.b IS 'b again';
SQL

inverse_case comment_remove \
	"SELECT col_description('t'::regclass, 3) IS NULL" <<'SQL'
COMMENT ON COLUMN t.b IS NULL;
SQL

# ---- what contract removes comes back ----

inverse_case drop_index \
	"SELECT to_regclass('t_b_idx') IS NULL" <<'SQL'
-- migrate:contract
DROP INDEX CONCURRENTLY t_b_idx;
SQL

DURING="SELECT count(*) = 3 FROM migrate_trash.v2_parent_t WHERE (SELECT source FROM migrate.trash) = 'public.parent_t'"
inverse_case drop_table "SELECT to_regclass('parent_t') IS NULL" \
	"$BASE
CREATE TABLE parent_t (id bigint PRIMARY KEY, note text NOT NULL CHECK (note <> ''));
CREATE INDEX CONCURRENTLY parent_t_note_idx ON parent_t (note);
INSERT INTO parent_t VALUES (1, 'x'), (2, 'y'), (3, 'z');
" <<'SQL'
-- migrate:contract
DROP TABLE parent_t;
SQL

DURING="SELECT string_agg(id || '=' || coalesce(b, '-'), ',' ORDER BY id) = '1=b1,2=b2,3=b3' FROM migrate_trash.v2_t_b"
inverse_case drop_column \
	"SELECT count(*) = 0 FROM information_schema.columns WHERE table_name = 't' AND column_name IN ('b', 'c')" <<'SQL'
-- migrate:contract
ALTER TABLE t DROP COLUMN b;
ALTER TABLE t DROP COLUMN c;
SQL

inverse_case create_policy "SELECT count(*) = 1 FROM pg_policy WHERE polname = 't_readable'" <<'SQL'
CREATE POLICY t_readable ON t FOR SELECT USING (a IS NOT NULL);
SQL

# ALTER SEQUENCE: every parameter and the owner come back, and the position
# when it was restarted
inverse_case alter_sequence "SELECT s.seqtypid = 'bigint'::regtype AND s.seqincrement = 5 AND s.seqmax = 1000000000000 AND pg_get_serial_sequence('t', 'id') IS NULL FROM pg_sequence s WHERE s.seqrelid = 't_seq'::regclass" \
	"$BASE
CREATE SEQUENCE t_seq AS integer START 10 OWNED BY t.id;
SELECT nextval('t_seq'), nextval('t_seq');
" <<'SQL'
ALTER SEQUENCE t_seq AS bigint INCREMENT BY 5 MAXVALUE 1000000000000 RESTART WITH 500 OWNED BY NONE;
SQL

# ---- a hand-written revert is run instead of the derived one ----

inverse_case hand_written_revert_contract "SELECT to_regclass('parent') IS NULL" <<'SQL'
-- migrate:contract
DROP TABLE parent;

-- migrate:revert-contract
CREATE TABLE parent (id bigint PRIMARY KEY);
COMMENT ON TABLE parent IS 'parent rows';
INSERT INTO parent VALUES (1), (2);
SQL

# the history keeps the hand-written statements, not 'DROP TABLE "t3"'
DURING="SELECT string_agg(s->>'sql', ' | ') = 'DROP TABLE t3 | SELECT nextval(''revert_counter'')' FROM migrate.history, jsonb_array_elements(revert_expand) s WHERE version = 2"
inverse_case hand_written_revert "SELECT to_regclass('t3') IS NOT NULL" \
	"$BASE
CREATE SEQUENCE revert_counter;
" <<'SQL'
-- migrate:expand
CREATE TABLE t3 (id bigint PRIMARY KEY);

-- migrate:revert-expand
DROP TABLE t3;
SELECT nextval('revert_counter');
SQL
check_cases
expect_eq "hand-written revert ran" "$(q "SELECT last_value || ' ' || is_called FROM revert_counter")" "1 true"
CONN="$MIGRATE_TEST_PG dbname=t_${TEST_NAME}_alter_sequence_$$"
expect_eq "the restarted sequence back where it was" "$(q "SELECT last_value || ' ' || is_called FROM t_seq")" "11 true"
pass
