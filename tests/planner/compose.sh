#!/usr/bin/env bash
# Planned changes to one table or column in migrations that are expanded
# together (developers on two branches share the database) compose: the
# second plans against what the first expanded, contract runs them in order,
# and `revert --steps 1`, again and again, walks back through every state the
# forward run went through, to the start.
. "$(dirname "$0")/lib.sh"

# compose_case NAME SETUP CHANGE2 CHANGE3 [CHECK]: forward phase by phase
# (expand 2, expand 3, contract 2, contract 3), snapshotting each state; the
# end is compared with the plain statements' reference; then one revert step
# at a time back to the start. CHECK (a function) runs in every state after
# expand 2, forward and back.
compose_case() {
	CASE=$1
	local check=${5:-true}
	new_db "$1"
	printf '%s\n' "$2" >"$MIG/0001_setup.sql"
	printf '%s\n' "$3" >"$MIG/0002_first.sql"
	printf '%s\n' "$4" >"$MIG/0003_second.sql"
	reference "$1" "$2" "$3" "$4"
	expect_exit 0 mg up --to 1
	data_snapshot "$CASE.0"
	expect_exit 0 mg up --phase expand --to 2
	"$check"
	snapshot "$CASE.1"
	expect_exit 0 mg up --phase expand
	expect_eq "$CASE: phases after expand" "$(phase_of 2) $(phase_of 3)" "expanded expanded"
	no_leftovers "$CASE after expand"
	"$check"
	snapshot "$CASE.2"
	expect_exit 0 mg up --phase contract --to 2
	expect_eq "$CASE: phases after contract 2" "$(phase_of 2) $(phase_of 3)" "contracted expanded"
	"$check"
	snapshot "$CASE.3"
	expect_exit 0 mg up --phase contract
	expect_eq "$CASE: phases after contract" "$(phase_of 2) $(phase_of 3)" "contracted contracted"
	no_leftovers "$CASE after contract"
	"$check"
	snapshot "$CASE.4"
	expect_same "$CASE.ref" "$CASE.4" \
		"$CASE: after contract the catalogue is not what the plain statements give"
	local step
	for step in 3 2 1; do
		expect_exit 0 mg revert --steps 1
		"$check"
		snapshot "$CASE.back$step"
		expect_same "$CASE.$step" "$CASE.back$step" "$CASE: revert step back to state $step"
	done
	expect_exit 0 mg revert --steps 1
	expect_eq "$CASE: phases at the end" "$(phase_of 2) $(phase_of 3)" "pending pending"
	data_snapshot "$CASE.back0"
	expect_same "$CASE.0" "$CASE.back0" "$CASE: reverting everything does not give the start back"
}

SETUP="
CREATE TABLE t (id bigint PRIMARY KEY, q int, a text);
INSERT INTO t SELECT g, g, 'v' || g FROM generate_series(1, 2000) g;"

# the app writes q during every state; then the rows go back as they were
q_writes() {
	sql -c "INSERT INTO t (id, q) VALUES (9001, 5); UPDATE t SET q = 77 WHERE id = 1" >/dev/null ||
		fail "$CASE: the app's writes failed"
	expect_q "q written" "SELECT string_agg(q::text, ' ' ORDER BY id) FROM t WHERE id IN (1, 9001)" "77 5"
	local shadow
	shadow=$(q "SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attname LIKE 'q\_\_v%' AND NOT attisdropped")
	if [ -n "$shadow" ]; then
		expect_q "shadow equal" "SELECT count(*) FROM t WHERE $shadow IS DISTINCT FROM q" 0
	fi
	sql -c "DELETE FROM t WHERE id = 9001; UPDATE t SET q = 1 WHERE id = 1" >/dev/null
}

# NOT NULL on q holds in every state where it is planned
q_not_null_holds() {
	q_writes
	if [ "$(q "SELECT count(*) FROM migrate.history WHERE version = 3")" != 0 ] &&
		sql -c "UPDATE t SET q = NULL WHERE id = 5" >/dev/null 2>&1; then
		fail "$CASE: q took a NULL while SET NOT NULL was planned"
	fi
}

# ---- a type change, then SET NOT NULL on the same column ----
compose_case type_then_not_null "$SETUP" \
	"ALTER TABLE t ALTER COLUMN q TYPE bigint;" \
	"ALTER TABLE t ALTER COLUMN q SET NOT NULL;" q_not_null_holds

# ---- SET NOT NULL, then a type change on the same column ----
q_not_null_holds() {
	q_writes
	if [ "$(q "SELECT count(*) FROM migrate.history WHERE version = 2")" != 0 ] &&
		sql -c "UPDATE t SET q = NULL WHERE id = 5" >/dev/null 2>&1; then
		fail "$CASE: q took a NULL while SET NOT NULL was planned"
	fi
}
compose_case not_null_then_type "$SETUP" \
	"ALTER TABLE t ALTER COLUMN q SET NOT NULL;" \
	"ALTER TABLE t ALTER COLUMN q TYPE bigint;" q_not_null_holds

# ---- a rename, then an index on the new name ----
renamed_equal() {
	if [ "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'a' AND NOT attisdropped")" = 1 ]; then
		sql -c "UPDATE t SET a = 'old app' WHERE id = 1" >/dev/null || fail "$CASE: old app write failed"
		expect_q "a and c equal" "SELECT count(*) FROM t WHERE a IS DISTINCT FROM c" 0
		sql -c "UPDATE t SET a = 'v1' WHERE id = 1" >/dev/null
	fi
}
compose_case rename_then_index "$SETUP" \
	"ALTER TABLE t RENAME COLUMN a TO c;" \
	"CREATE INDEX t_c_idx ON t (c);" renamed_equal

# ---- a rename, then a type change under the new name ----
compose_case rename_then_type "$SETUP" \
	"ALTER TABLE t RENAME COLUMN q TO quantity;" \
	"ALTER TABLE t ALTER COLUMN quantity TYPE bigint;"

pass
