#!/usr/bin/env bash
# SIGINT and SIGTERM during a run: the running statement is cancelled on the
# server (no backend keeps working for a client that is gone), the open
# transaction rolled back, the run lock released (a second run does not exit
# 4), the message says what stopped and how to resume, the exit status is
# 130 / 143, and a rerun completes. At three points: a backfill, a lock wait,
# a CREATE INDEX CONCURRENTLY.
. "$(dirname "$0")/lib.sh"

# mg_bg ARGS...: migrate in the background, its output in $OUT/$ERR, pid in MG_PID.
mg_bg() {
	"$MIGRATE" --db "$CONN" --dir "$MIG" "$@" >"$OUT" 2>"$ERR" &
	MG_PID=$!
	BACKGROUND+=("$MG_PID")
}

# stop_mg SIGNAL STATUS: sends SIGNAL to the background migrate, expects it
# to exit with STATUS within 10 s (no second signal).
stop_mg() {
	kill -"$1" "$MG_PID"
	local status=0 tries=200
	while kill -0 "$MG_PID" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	kill -0 "$MG_PID" 2>/dev/null && fail "migrate still runs 10 s after SIG$1"
	wait "$MG_PID" || status=$?
	[ "$status" = "$2" ] || fail "SIG$1: exit $status, not $2: $(cat "$ERR")"
}

# server_idle: no session of migrate is left, and none of this database runs
# a statement of migrate's (the cancelled one ended with the client).
server_idle() {
	wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE datname = current_database() AND application_name LIKE 'migrate%')"
	# a backend that is going away leaves pg_stat_activity a moment before it
	# lets go of its locks: a held run lock is one still there after 10 s
	wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory')" ||
		fail "the run lock is still held"
}

migrate_waits() {
	echo "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE a.application_name LIKE 'migrate%' AND NOT l.granted)"
}

# ---- (a) during a backfill ----
new_db backfill
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a int NOT NULL);
SQL
expect_exit 0 mg up
sql -c "INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g" >/dev/null
migration 0002_widen.sql <<'SQL'
-- migrate:expand
ALTER TABLE t ALTER COLUMN a TYPE bigint;
SQL
mg_bg up --batch-size 100 --batch-delay 20ms
wait_for "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'migrate'
	AND tablename = 'backfills') AND (SELECT count(*) > 0 FROM migrate.backfills)"
stop_mg INT 130
expect_contains "$ERR" "interrupted (SIGINT): expand of 2_widen stopped at step"
expect_contains "$ERR" "'migrate up' resumes it"
expect_eq "phase after the signal" "$(phase_of 2)" expanding
server_idle
[ "$(q "SELECT rows FROM migrate.backfills")" -lt 20000 ] || fail "the backfill ran to its end"
expect_exit 0 mg up
expect_eq "phase after the rerun" "$(phase_of 2)" contracted
expect_eq "column type" "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
	WHERE attrelid = 't'::regclass AND attname = 'a'")" bigint
expect_eq "rows" "$(q "SELECT count(*) FILTER (WHERE a = id) FROM t")" 20000

# ---- (b) during a lock wait: SIGTERM, the phase rolled back ----
new_db lockwait
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text);
SQL
expect_exit 0 mg up
migration 0002_add.sql <<'SQL'
ALTER TABLE t ADD COLUMN b text;
CREATE TABLE u (id int);
SQL
db_state before.state
bg holder "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.application_name = 'holder' AND l.granted AND l.mode = 'AccessExclusiveLock')"
mg_bg --lock-timeout 20s up
wait_for "$(migrate_waits)"
stop_mg TERM 143
expect_contains "$ERR" "interrupted (SIGTERM): expand of 2_add was rolled back"
expect_contains "$ERR" "'migrate up' runs it again"
expect_contains "$ERR" "canceling statement due to user request"
# nothing of migrate's is queued behind the holder any more (its backend
# goes away within moments of the client)
wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.application_name LIKE 'migrate%')"
server_idle
end_session holder
db_state after.state
expect_same before.state after.state "an interrupted transaction left something behind"
expect_exit 0 mg up
expect_eq "phase after the rerun" "$(phase_of 2)" contracted

# ---- (c) during CREATE INDEX CONCURRENTLY (waiting for an old snapshot) ----
new_db concurrent
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a int);
SQL
expect_exit 0 mg up
sql -c "INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g" >/dev/null
migration 0002_idx.sql <<'SQL'
CREATE INDEX CONCURRENTLY t_a_idx ON t (a);
CREATE INDEX CONCURRENTLY t_id_a_idx ON t (id, a);
SQL
bg snapshot "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM t; SELECT pg_sleep(60); COMMIT"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
	WHERE application_name = 'snapshot' AND query LIKE '%pg_sleep%')"
mg_bg up
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
	JOIN pg_stat_activity a ON a.pid = p.pid WHERE a.application_name LIKE 'migrate%'
	AND a.wait_event_type = 'Lock')"
stop_mg INT 130
expect_contains "$ERR" "interrupted (SIGINT): expand of 2_idx stopped at step 1 of 2"
server_idle
end_session snapshot
expect_exit 0 mg up
expect_eq "phase after the rerun" "$(phase_of 2)" contracted
expect_eq "valid indexes" "$(q "SELECT string_agg(c.relname || ':' || i.indisvalid, ','
	ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	WHERE i.indrelid = 't'::regclass AND NOT i.indisprimary")" "t_a_idx:true,t_id_a_idx:true"

# ---- (d) revert interrupted in a lock wait, then rerun ----
bg holder "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.application_name = 'holder' AND l.granted AND l.mode = 'AccessExclusiveLock')"
"$MIGRATE" --db "$CONN" --dir "$MIG" --lock-timeout 20s revert --to 1 >"$OUT" 2>"$ERR" &
MG_PID=$!
BACKGROUND+=("$MG_PID")
wait_for "$(migrate_waits)"
stop_mg INT 130
expect_contains "$ERR" "interrupted (SIGINT): revert-"
expect_contains "$ERR" "'migrate revert' resumes at step 1"
server_idle
end_session holder
expect_exit 0 mg revert --to 1
expect_eq "phase after the reverted rerun" "$(phase_of 2)" pending
pass
