#!/usr/bin/env bash
# Locks: a table lock held by another session past every retry (exit 3, the
# database as it was), the app's queries never queued behind a waiting
# migration for longer than its lock timeout, the run lock held by another
# migrate (exit 4, naming it), and two runs started together.
. "$(dirname "$0")/lib.sh"

# holds_lock APP MODE GRANTED: the session APP holds (t) or waits for (f) MODE on t.
holds_lock() {
	echo "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE a.application_name = '$1' AND l.relation = 't'::regclass
		AND l.mode = '$2' AND l.granted = $3)"
}

# now_ms: a clock in milliseconds.
now_ms() { date +%s%3N; }

new_db
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text);
SQL
expect_exit 0 mg up
sql -c "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 100) g" >/dev/null
migration 0002_add.sql <<'SQL'
ALTER TABLE t ADD COLUMN b text;
SQL
db_state before.state

# ---- a session holds ACCESS EXCLUSIVE on t past every retry ----
bg holder "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT"
holder_pid=$BG_PID
wait_for "$(holds_lock holder AccessExclusiveLock true)"
# an app query stuck behind the holder (not behind migrate)
PGAPPNAME=app psql "$CONN" -X -q -At -c "SET statement_timeout = '30s'" \
	-c "SELECT count(*) FROM t" >"$T/app.out" 2>&1 &
app_pid=$!
BACKGROUND+=("$app_pid")
wait_for "$(holds_lock app AccessShareLock false)"
start=$(now_ms)
expect_exit 3 mg --lock-timeout 200ms up --retries 2
elapsed=$(($(now_ms) - start))
expect_contains "$ERR" "lock timeout"
expect_contains "$OUT" "retry 1 of 2"
expect_contains "$OUT" "retry 2 of 2"
expect_not_contains "$OUT" "retry 3"
# three waits of 200 ms and two backoffs, not the holder's 60 s
if [ "$elapsed" -lt 600 ] || [ "$elapsed" -ge 15000 ]; then
	fail "gave up after ${elapsed} ms"
fi
[ "$(q "SELECT count(*) FROM migrate.events WHERE version = 2 AND outcome = 'failed'")" = 1 ] ||
	fail "no failed event for the lock timeout"
# once the holder goes, the app's query completes: migrate left nothing queued
end_session holder
wait "$holder_pid" 2>/dev/null
for _ in $(seq 100); do
	kill -0 "$app_pid" 2>/dev/null || break
	sleep 0.05
done
wait "$app_pid" || fail "the app's query failed: $(cat "$T/app.out")"
expect_eq "the app's query" "$(cat "$T/app.out")" "100"
# (the snapshot reads t, so it waits for the holder too)
db_state held.state
expect_same before.state held.state "a run that gave up on a lock changed the database"

# ---- the lock queue: a long reader holds ACCESS SHARE on t ----
# Reads alone never wait for it; an ALTER that waits for ACCESS EXCLUSIVE
# queues, and every later read queues behind the ALTER.
bg reader "BEGIN; SELECT count(*) FROM t; SELECT pg_sleep(60); COMMIT"
wait_for "$(holds_lock reader AccessShareLock true)"
# app_read: one app query with a 1 s statement timeout; its exit status
app_read() {
	PGAPPNAME=app psql "$CONN" -X -q -At -v ON_ERROR_STOP=1 -c "SET statement_timeout = '1s'" \
		-c "SELECT count(*) FROM t" >"$T/app.out" 2>&1
}
app_read || fail "a read waited on a reader: $(cat "$T/app.out")"
# the control: without lock_timeout, an ALTER stalls the app's reads
bg naive "SET statement_timeout = '20s'; ALTER TABLE t ADD COLUMN naive int"
wait_for "$(holds_lock naive AccessExclusiveLock false)"
if app_read; then
	fail "the control failed: a read did not queue behind a waiting ALTER"
fi
expect_contains "$T/app.out" "statement timeout"
end_session naive
wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'naive')"

# migrate waits at most its lock timeout each time, so reads get through
mg --lock-timeout 200ms up --retries 3 >"$T/mg.out" 2>"$T/mg.err" &
mg_pid=$!
BACKGROUND+=("$mg_pid")
wait_for "$(holds_lock 'migrate up' AccessExclusiveLock false)"
reads=0
while kill -0 "$mg_pid" 2>/dev/null; do
	app_read || fail "an app read was stuck behind the waiting migration: $(cat "$T/app.out")"
	reads=$((reads + 1))
done
rc=0
wait "$mg_pid" || rc=$?
[ "$rc" = 3 ] || fail "migrate up behind a long reader exited $rc: $(cat "$T/mg.err")"
[ "$reads" -ge 3 ] || fail "only $reads app reads ran while migrate retried"
db_state queue.state
expect_same before.state queue.state "runs that gave up on a lock changed the database"
# the reader ends: now it goes through
end_session reader
expect_exit 0 mg --lock-timeout 200ms up --retries 3
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'b'")" = 1 ] ||
	fail "column b missing after the lock was free"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'naive'")" = 0 ] ||
	fail "the control ALTER went through"

# ---- another migrate holds the run lock ----
migration 0003_c.sql <<'SQL'
ALTER TABLE t ADD COLUMN c text;
SQL
db_state runlock.state
bg other-migrate "SELECT pg_advisory_lock(hashtextextended('migrate:' || 'migrate', 0)); SELECT pg_sleep(60)"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.application_name = 'other-migrate' AND l.locktype = 'advisory' AND l.granted)"
start=$(now_ms)
expect_exit 4 mg up --lock-wait 1s
elapsed=$(($(now_ms) - start))
if [ "$elapsed" -lt 900 ] || [ "$elapsed" -ge 10000 ]; then
	fail "waited ${elapsed} ms for a 1 s --lock-wait"
fi
expect_contains "$ERR" "another migrate holds the lock"
expect_contains "$ERR" "'other-migrate'"
# what the holder does now, and that its client may be gone (it runs a statement)
expect_contains "$ERR" "holder: active for "
expect_contains "$ERR" "SELECT pg_sleep(60)"
expect_contains "$ERR" "SELECT pg_cancel_backend("
expect_exit 4 mg revert --lock-wait 500ms
expect_contains "$ERR" "'other-migrate'"
db_state runlock.now
expect_same runlock.state runlock.now "runs refused by the run lock changed the database"
end_session other-migrate
wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'other-migrate')"
# an idle holder: a client that is still connected
PGAPPNAME=other-idle psql "$CONN" -X -q -c "SELECT pg_advisory_lock(hashtextextended('migrate:' || 'migrate', 0))" \
	-c '\! sleep 30' >"$T/.bg_idle.out" 2>&1 &
BACKGROUND+=("$!")
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.application_name = 'other-idle' AND l.locktype = 'advisory' AND l.granted
	AND a.state = 'idle')"
expect_exit 4 mg up --lock-wait 200ms
expect_contains "$ERR" "holder: idle for "
expect_contains "$ERR" "its client is still connected"
end_session other-idle
wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'other-idle')"
expect_exit 0 mg up --lock-wait 5s
[ "$(phase_of 3)" = contracted ] || fail "0003 not applied once the run lock was free"

# ---- two runs started together apply each migration exactly once ----
new_db together
migration 0001_a.sql <<'SQL'
CREATE TABLE a (id bigint PRIMARY KEY, v text);
SELECT pg_sleep(0.3);
SQL
migration 0002_b.sql <<'SQL'
CREATE TABLE b (id bigint PRIMARY KEY);
CREATE INDEX CONCURRENTLY a_v_idx ON a (v);
SQL
migration 0003_c.sql <<'SQL'
ALTER TABLE a ADD COLUMN w text;
SQL
mg up >"$T/one.out" 2>"$T/one.err" &
one=$!
mg up >"$T/two.out" 2>"$T/two.err" &
two=$!
BACKGROUND+=("$one" "$two")
rc1=0 rc2=0
wait "$one" || rc1=$?
wait "$two" || rc2=$?
[ "$rc1.$rc2" = 0.0 ] ||
	fail "concurrent runs exited $rc1 and $rc2: $(cat "$T/one.err" "$T/two.err")"
expect_eq "history" "$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:contracted,3:contracted"
# (a run of both phases may finish an empty contract with its expand, in one event)
expect_eq "applied once" \
	"$(q "SELECT string_agg(version || ':' || phase || ':' || n, ',' ORDER BY version, phase) FROM (SELECT version, phase, count(*) n FROM migrate.events WHERE command = 'up' AND outcome = 'ok' AND phase = 'expand' GROUP BY 1, 2) e")" \
	"1:expand:1,2:expand:1,3:expand:1"
[ "$(q "SELECT count(*) FROM (SELECT 1 FROM migrate.events WHERE command = 'up' GROUP BY version, phase HAVING count(*) > 1) e")" = 0 ] ||
	fail "a phase was applied twice: $(q "SELECT string_agg(version || ':' || phase || ':' || outcome, ',' ORDER BY id) FROM migrate.events")"
[ "$(q "SELECT count(*) FROM migrate.events WHERE outcome <> 'ok'")" = 0 ] || fail "a concurrent run failed a phase"
[ "$(q "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('a_v_idx') AND indisvalid")" = 1 ] ||
	fail "the index is missing or invalid"
[ "$(cat "$T/one.out" "$T/two.out" | grep -c '^expanding ')" = 3 ] ||
	fail "the phases were not applied exactly once between the two runs: $(cat "$T/one.out" "$T/two.out")"
pass
