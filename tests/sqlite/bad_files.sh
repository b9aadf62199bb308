#!/usr/bin/env bash
# Bad migration files never pass silently, and never half-apply: each is
# refused with exit 2 and its file:line:column by every command that reads
# the migrations, before the database is touched (here: before the file is
# even created). Files with CR or CRLF line ends, a byte-order mark, or
# nothing but comments are read as PostgreSQL reads them, and applied.
. "$(dirname "$0")/lib.sh"

# every command must give up on its own: a hang is a failure, not a stuck suite
run() {
	timeout 20 "$MIGRATE" --db "sqlite:$DB" --dir "$MIG" "$@"
}

# refused NAME MESSAGE: lint, up, up --dry-run, plan and status all exit 2
# with MESSAGE, write nothing to stdout but the usual, and create no database.
refused() {
	local name=$1 message=$2 args
	for args in "lint" "up" "up --dry-run" "plan" "status"; do
		# shellcheck disable=SC2086 # the arguments are words
		expect_exit 2 run $args
		expect_contains "$ERR" "$message"
		[ ! -e "$DB" ] || fail "'$args' with $name created the database"
		[ ! -e "$T/.app.db.migrate-lock" ] || fail "'$args' with $name created the lock sidecar"
	done
	# and the good migration before it is not applied either
	expect_exit 2 run up --to 1
	[ ! -e "$DB" ] || fail "'up --to 1' with $name created the database"
}

migration 1 good <<'SQL'
-- migrate:expand
CREATE TABLE good (id bigint PRIMARY KEY);
SQL

# ---- content: invalid UTF-8 at file:line:column ----
# file name | bytes (printf format) | line:column of the first bad byte
while IFS='|' read -r name bytes at; do
	# shellcheck disable=SC2059 # the row is a printf format
	printf -- "$bytes" >"$MIG/$name"
	refused "$name" "$MIG/$name:$at: error: invalid UTF-8"
	rm "$MIG/$name"
done <<'ROWS'
2_latin1.sql|-- migrate:expand\nCREATE TABLE t (id bigint);\nCOMMENT ON TABLE t IS 'caf\351';\n|3:27
2_overlong.sql|-- migrate:expand\nSELECT '\300\257';\n|2:9
2_cut.sql|-- migrate:expand\nSELECT 1; -- \342\202|2:14
2_cr.sql|-- migrate:expand\rSELECT 1;\rSELECT '\377';\r|3:9
2_crlf.sql|-- migrate:expand\r\nSELECT 1;\r\nSELECT '\377';\r\n|3:9
2_mongo.json|{"expand": [{"drop": "caf\351"}]}\n|1:26
ROWS

# ---- version 0: reserved ----
echo 'SELECT 1;' >"$MIG/0_zero.sql"
refused 0_zero.sql "$MIG/0_zero.sql: error: version 0 is reserved ('revert --to 0' means every migration)"
rm "$MIG/0_zero.sql"

# ---- not regular files: refused without being read (a pipe would block forever) ----
mkfifo "$MIG/2_pipe.sql"
refused 2_pipe.sql "$MIG/2_pipe.sql: error: not a regular file (a named pipe)"
rm "$MIG/2_pipe.sql"
mkfifo "$MIG/2_pipe.json"
refused 2_pipe.json "$MIG/2_pipe.json: error: not a regular file (a named pipe)"
rm "$MIG/2_pipe.json"
ln -s /dev/zero "$MIG/2_zero.sql"
refused 2_zero.sql "$MIG/2_zero.sql: error: not a regular file (a device)"
rm "$MIG/2_zero.sql"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$MIG/2_socket.sql"
refused 2_socket.sql "$MIG/2_socket.sql: error: not a regular file (a socket)"
rm "$MIG/2_socket.sql"
# a named file given to lint, too
mkfifo "$T/lone.sql"
expect_exit 2 timeout 20 "$MIGRATE" lint "$T/lone.sql"
expect_contains "$ERR" "$T/lone.sql: error: not a regular file (a named pipe)"
rm "$T/lone.sql"

# ---- read as PostgreSQL reads them, and applied ----
# each: a table, then an unsafe statement on line 3 that lint must find there
while IFS='|' read -r eol; do
	rm -f "$DB" "$MIG"/2_*
	# shellcheck disable=SC2059 # the row is a printf format
	printf -- "-- migrate:expand${eol}CREATE TABLE t (id bigint PRIMARY KEY);${eol}ALTER TABLE good ADD COLUMN n text NOT NULL;${eol}-- migrate:contract${eol}DROP TABLE t;${eol}" >"$MIG/2_eol.sql"
	expect_exit 1 run lint
	expect_contains "$OUT" "$MIG/2_eol.sql:3:29: error[add-column-not-null]"
	expect_contains "$OUT" "2 files, 4 statements"
	expect_exit 1 run up
	[ ! -e "$DB" ] || fail "up created the database though lint failed ($eol)"
	# the same without the unsafe statement: applied, both phases
	# shellcheck disable=SC2059 # the row is a printf format
	printf -- "-- migrate:expand${eol}CREATE TABLE t (id bigint PRIMARY KEY);${eol}-- migrate:contract${eol}DROP TABLE t;${eol}" >"$MIG/2_eol.sql"
	expect_exit 0 run up --phase expand
	expect_eq "expanded ($eol)" "$(q "SELECT count(*) FROM sqlite_master WHERE name = 't'") $(q "SELECT group_concat(version || phase) FROM _migrate_history")" "1 1expanded,2expanded"
	expect_exit 0 run up --phase contract
	expect_eq "contracted ($eol)" "$(q "SELECT count(*) FROM sqlite_master WHERE name = 't'")" 0
	expect_exit 0 run status
	expect_not_contains "$OUT" "DRIFT"
	expect_exit 0 run revert --to 1
	expect_eq "reverted ($eol)" "$(q "SELECT count(*) FROM sqlite_master WHERE name = 't'") $(q "SELECT group_concat(version || phase) FROM _migrate_history")" "0 1contracted"
done <<'ROWS'
\r
\r\n
\n
ROWS

# a byte-order mark is skipped; columns on the first line count after it
rm -f "$DB" "$MIG"/2_*
printf '\357\273\277ALTER TABLE good ADD COLUMN n text NOT NULL;\n' >"$MIG/2_bom.sql"
expect_exit 1 run lint
expect_contains "$OUT" "$MIG/2_bom.sql:1:29: error[add-column-not-null]"
printf '\357\273\277-- migrate:expand\nCREATE TABLE t (id bigint PRIMARY KEY);\n' >"$MIG/2_bom.sql"
expect_exit 0 run up
expect_eq "with a byte-order mark" "$(q "SELECT count(*) FROM sqlite_master WHERE name = 't'")" 1

# empty files and files of comments have nothing to run, and are recorded
rm -f "$DB" "$MIG"/2_*
: >"$MIG/2_empty.sql"
printf -- '-- only a comment\r/* and another */\n' >"$MIG/3_comments.sql"
printf -- '-- migrate:expand\n-- nothing yet\n-- migrate:contract\n' >"$MIG/4_markers.sql"
expect_exit 0 run lint
expect_contains "$OUT" "4 files, 1 statement"
expect_exit 0 run up
expect_eq "recorded" "$(q "SELECT group_concat(version || phase) FROM _migrate_history")" "1contracted,2contracted,3contracted,4contracted"

# a symbolic link to a regular file is read like the file
rm -f "$DB" "$MIG"/[234]_*
printf -- '-- migrate:expand\nCREATE TABLE linked (id bigint PRIMARY KEY);\n' >"$T/linked.txt"
ln -s "$T/linked.txt" "$MIG/2_linked.sql"
expect_exit 0 run up
expect_eq "through the link" "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'linked'")" 1
pass
