#!/usr/bin/env bash
# Two planned changes of one column in flight together, on one database: A
# (migration 2) expanded, then B (migration 3) expanded on top of it. Every
# legal order of what can follow is walked: contract A then B, and B then A
# (B contracted from a checkout that lacks A's file: A is another branch's,
# still expanded), and back, revert by revert, through each state to the
# start. After both contracts, in either order, the catalogue is the one the
# plain statements give on a fresh database; each state met again is the
# same as the first time; the app writes the column in every state and its
# rows are all there, with their values, at the end.
# shellcheck disable=SC2317 # the checks and contract_a/b are called through walk
. "$(dirname "$0")/lib.sh"

# mg_b ARGS...: migrate from branch B's checkout (setup and B, not A).
mg_b() {
	"$MIGRATE" --db "$CONN" --dir "$MIG_B" "$@"
}

# app_write STATE: the app writes a row of its own and changes one (column COL,
# an integer value), and the shadow of a type change in flight follows.
app_write() {
	local n=$((${#WRITES[@]} + 1))
	sql -c "INSERT INTO t (id, $COL) VALUES ($((9000 + n)), $((3000 + n))); UPDATE t SET $COL = $((5000 + n)) WHERE id = $n" \
		>/dev/null || fail "$CASE: the app's writes failed in state $1"
	WRITES+=("$n")
	local shadow
	shadow=$(q "SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attname LIKE '${COL}\_\_v%' AND NOT attisdropped")
	if [ -n "$shadow" ]; then
		expect_q "$1: shadow follows the column" \
			"SELECT count(*) FROM t WHERE $shadow::text IS DISTINCT FROM $COL::text" 0
	fi
	"$CHECK" "$1"
}

# writes_kept COL: every row the app wrote, in every state, is there as written.
writes_kept() {
	local n want=""
	for n in "${WRITES[@]}"; do
		want+="$n:$((5000 + n)) "
	done
	for n in "${WRITES[@]}"; do
		want+="$((9000 + n)):$((3000 + n)) "
	done
	expect_eq "$CASE: the app's writes at the end" \
		"$(q "SELECT string_agg(id || ':' || $1, ' ' ORDER BY id) FROM t WHERE id > 9000 OR id <= ${#WRITES[@]}")" \
		"${want% }"
}

# state NAME: snapshot of the catalogue in this state, compared with the one
# taken the first time the walk was here (if any).
state() {
	app_write "$1"
	no_leftovers "$CASE $1"
	if [ -e "$CASE.$1" ]; then
		snapshot "$CASE.$1.again"
		expect_same "$CASE.$1" "$CASE.$1.again" "$CASE: state $1 again is not what it was"
	else
		snapshot "$CASE.$1"
	fi
}

# phases WANT: the phases of A and B.
phases() {
	expect_eq "$CASE: phases" "$(phase_of 2) $(phase_of 3)" "$1"
}

# contract A alone (--to), or B alone from its checkout
contract_a() { mg up --phase contract --to 2; }
contract_b() { mg_b up --phase contract; }

# contract_both FIRST COMMAND PHASES SECOND: from both expanded, COMMAND
# contracts FIRST (PHASES after it), then up contracts SECOND; the end must be
# the plain statements' catalogue; two reverts go back to both expanded.
contract_both() {
	expect_exit 0 "$2"
	phases "$3"
	state "$1_contracted"
	expect_exit 0 mg up --phase contract
	phases "contracted contracted"
	state "$1_then_$4"
	expect_same "$CASE.ref" "$CASE.$1_then_$4" \
		"$CASE: contract $1 then $4 does not end where the plain statements do"
	expect_exit 0 mg revert --steps 1
	state "$1_contracted"
	expect_exit 0 mg revert --steps 1
	phases "expanded expanded"
	state both_expanded
}

# walk NAME SETUP A B COL [CHECK]: the walk described at the top; COL is the
# integer column the app writes; CHECK NAME runs in every state after its
# writes.
walk() {
	CASE=$1
	COL=$5
	CHECK=${6:-true}
	WRITES=()
	new_db "$1"
	MIG_B="$T/b_$1"
	rm -rf "$MIG_B"
	mkdir -p "$MIG_B"
	printf '%s\n' "$2" >"$MIG/0001_setup.sql"
	printf '%s\n' "$3" >"$MIG/0002_a.sql"
	printf '%s\n' "$4" >"$MIG/0003_b.sql"
	cp "$MIG/0001_setup.sql" "$MIG/0003_b.sql" "$MIG_B/"
	reference "$1" "$2" "$3" "$4"
	expect_exit 0 mg up --to 1
	snapshot "$CASE.start"
	q "SELECT md5(string_agg(concat_ws(',', id, q, a), ';' ORDER BY id)) FROM t WHERE id > 100" >"$CASE.rows"

	expect_exit 0 mg up --phase expand --to 2
	state a_expanded
	expect_exit 0 mg up --phase expand
	phases "expanded expanded"
	state both_expanded

	# contract A, then B
	contract_both a contract_a "contracted expanded" b
	# contract B while A stays expanded (another branch's), then A
	contract_both b contract_b "expanded contracted" a

	# back to the start
	expect_exit 0 mg revert --steps 1
	phases "expanded pending"
	state a_expanded
	expect_exit 0 mg revert --steps 1
	phases "pending pending"
	snapshot "$CASE.end"
	expect_same "$CASE.start" "$CASE.end" "$CASE: reverting everything does not give the start back"
	writes_kept q
	expect_eq "$CASE: the rows the app did not write" \
		"$(q "SELECT md5(string_agg(concat_ws(',', id, q, a), ';' ORDER BY id)) FROM t WHERE id > 100 AND id <= 2000")" \
		"$(cat "$CASE.rows")"
}

SETUP="
CREATE TABLE parent (id bigint PRIMARY KEY);
INSERT INTO parent SELECT g FROM generate_series(0, 20000) g;
CREATE TABLE t (id bigint PRIMARY KEY, q int, a text);
INSERT INTO t SELECT g, g, 'v' || g FROM generate_series(1, 2000) g;"
TYPE="ALTER TABLE t ALTER COLUMN q TYPE bigint;"

# ---- a type change, then an index of the column ----
walk type_then_index "$SETUP" "$TYPE" "CREATE INDEX t_q_idx ON t (q);" q
walk type_then_index_unnamed "$SETUP" "$TYPE" "CREATE INDEX ON t (q, a);" q
walk type_then_unique_index "$SETUP" "$TYPE" "CREATE UNIQUE INDEX t_q_key ON t (q);" q
walk type_then_expression_index "$SETUP" "$TYPE" \
	"CREATE INDEX t_q_expr ON t ((q * 2)) WHERE q > 0;" q

# ---- a type change, then a CHECK ----
# rejected STATE VALUE WHAT: once B is expanded, the app cannot write VALUE
rejected() {
	if [ "$(q "SELECT count(*) FROM migrate.history WHERE version = 3")" != 0 ] &&
		sql -c "UPDATE t SET $COL = $2 WHERE id = 7" >/dev/null 2>&1; then
		fail "$CASE: $1: $COL took $3 while B was planned"
	fi
}
check_positive() { rejected "$1" -1 "a negative value"; }
walk type_then_check "$SETUP" "$TYPE" "ALTER TABLE t ADD CONSTRAINT t_q_positive CHECK (q > 0);" \
	q check_positive
# the expression written for the new type: the old column could not take it
walk text_then_check "$SETUP" "ALTER TABLE t ALTER COLUMN q TYPE text;" \
	"ALTER TABLE t ADD CONSTRAINT t_q_digits CHECK (q ~ '^[0-9]+\$');" q

# ---- a type change, then SET NOT NULL ----
check_not_null() { rejected "$1" NULL "a NULL"; }
walk type_then_not_null "$SETUP" "$TYPE" "ALTER TABLE t ALTER COLUMN q SET NOT NULL;" q check_not_null

# ---- a type change, then a foreign key of the column ----
check_reference() {
	rejected "$1" 999999 "a value parent lacks"
	# ON DELETE CASCADE: a row of the app's that references a parent row goes with it
	if [ "$(q "SELECT count(*) FROM migrate.history WHERE version = 3")" != 0 ]; then
		sql -c "INSERT INTO t (id, q) VALUES (8000, 19999); DELETE FROM parent WHERE id = 19999;
			INSERT INTO parent VALUES (19999)" >/dev/null || fail "$CASE: $1: the cascade failed"
		expect_q "$1: the cascade deleted the row" "SELECT count(*) FROM t WHERE id = 8000" 0
	fi
}
walk type_then_foreign_key "$SETUP" "$TYPE" \
	"ALTER TABLE t ADD CONSTRAINT t_q_parent FOREIGN KEY (q) REFERENCES parent (id) ON DELETE CASCADE;" \
	q check_reference

# ---- a rename, then a type change, an index, NOT NULL or a CHECK of the new name ----
walk rename_then_type "$SETUP" "ALTER TABLE t RENAME COLUMN q TO quantity;" \
	"ALTER TABLE t ALTER COLUMN quantity TYPE bigint;" quantity
walk rename_then_index "$SETUP" "ALTER TABLE t RENAME COLUMN q TO quantity;" \
	"CREATE INDEX t_quantity_idx ON t (quantity);" quantity
walk rename_then_not_null "$SETUP" "ALTER TABLE t RENAME COLUMN q TO quantity;" \
	"ALTER TABLE t ALTER COLUMN quantity SET NOT NULL;" quantity check_not_null
walk rename_then_check "$SETUP" "ALTER TABLE t RENAME COLUMN q TO quantity;" \
	"ALTER TABLE t ADD CONSTRAINT t_quantity_positive CHECK (quantity > 0);" quantity \
	check_positive

pass
