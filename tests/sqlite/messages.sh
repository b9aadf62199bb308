#!/usr/bin/env bash
# A statement that fails on SQLite: exit 3 at its file:line:column with
# SQLite's own message and the sentence that the phase was rolled back, the
# schema, the rows and the history as they were (and a 'failed' event). --verbose on up, status, plan
# and revert lists each statement sent with its duration on stderr.
. "$(dirname "$0")/lib.sh"

migration 1 base <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text UNIQUE NOT NULL);
SQL
expect_exit 0 mg --dir "$MIG" up
q "INSERT INTO t VALUES (1, 'x')"

# file contents (\n for new lines) # exit # the first line of the error (after $MIG/)
rows=(
	"-- migrate:expand\nALTER TABLE t ADD COLUMN b text;\n  INSERT INTO t (id, a) VALUES (2, 'x');\n-- migrate:revert-expand\nDELETE FROM t WHERE id = 2;\n#3#2_bad.sql:3:3: error: UNIQUE constraint failed: t.a"
	"-- migrate:expand\nCREATE TABLE u (id bigint PRIMARY KEY, a text NOT NULL);\nINSERT INTO u VALUES (1, NULL);\n#3#2_bad.sql:3:1: error: NOT NULL constraint failed: u.a"
	"-- migrate:expand\nALTER TABLE t ADD COLUMN b text;\n\nUPDATE missing SET x = 1;\n-- migrate:revert-expand\n#3#2_bad.sql:4:1: error: no such table: missing"
)
for row in "${rows[@]}"; do
	IFS='#' read -r text want first <<<"$row"
	# shellcheck disable=SC2059 # the row's \n are the file's new lines
	printf -- "$text" | migration 2 bad
	data_snapshot before.state
	events=$(q "SELECT count(*) FROM _migrate_events")
	expect_exit "$want" mg --dir "$MIG" up
	expect_eq "first line" "$(head -1 "$ERR")" "$MIG/$first"
	expect_contains "$ERR" "  note: expand of 2_bad was rolled back: nothing of it was applied and the history is unchanged"
	expect_not_contains "$ERR" "SQLSTATE"
	data_snapshot after.state
	expect_same before.state after.state "the failed phase changed the database"
	expect_eq "failed events" "$(q "SELECT count(*) FROM _migrate_events WHERE id > $events AND outcome = 'failed' AND version = 2")" 1
	expect_eq "history" "$(q "SELECT group_concat(version || ':' || phase) FROM _migrate_history")" "1:contracted"
	rm "$MIG"/2_bad.sql
done

# ---- --verbose ----
ENTRY='^-- [0-9]+\.[0-9] ms  '
migration 2 col <<'SQL'
ALTER TABLE t
  ADD COLUMN c text;
SQL
expect_exit 0 mg --dir "$MIG" up --verbose
expect_match "$ERR" "${ENTRY}BEGIN IMMEDIATE$"
expect_match "$ERR" "${ENTRY}CREATE TABLE IF NOT EXISTS _migrate_history \($"
expect_match "$ERR" "${ENTRY}ALTER TABLE \"?t\"? ADD COLUMN"
expect_match "$ERR" "${ENTRY}INSERT INTO _migrate_history AS h "
expect_match "$ERR" "${ENTRY}COMMIT$"
# the run lock's sidecar is traced too
expect_match "$ERR" "${ENTRY}INSERT OR REPLACE INTO holder "
if grep -vE "${ENTRY}|^    " "$ERR" | grep -q .; then
	fail "stray lines in the trace: $(grep -vE "${ENTRY}|^    " "$ERR")"
fi
expect_eq "column c" "$(q "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'c'")" 1

expect_exit 0 mg --dir "$MIG" status --verbose
expect_match "$ERR" "${ENTRY}SELECT version, name, checksum, phase, .* FROM _migrate_history ORDER BY version$"
migration 3 d <<'SQL'
ALTER TABLE t ADD COLUMN d text;
SQL
expect_exit 0 mg --dir "$MIG" plan --verbose
expect_match "$ERR" "${ENTRY}SELECT version, name, checksum, phase, .* FROM _migrate_history ORDER BY version$"
expect_not_contains "$ERR" "ADD COLUMN d"
rm "$MIG"/3_d.sql
expect_exit 0 mg --dir "$MIG" revert --verbose --steps 2
expect_match "$ERR" "${ENTRY}DELETE FROM _migrate_history WHERE version = \?1$"
expect_eq "column c" "$(q "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'c'")" 0
expect_exit 0 mg --dir "$MIG" up
expect_empty "$ERR"
pass
