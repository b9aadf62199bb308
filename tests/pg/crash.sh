#!/usr/bin/env bash
# kill -9 in the middle of a phase. MIGRATE_TEST_CRASH_AFTER=N makes
# `migrate up` SIGKILL itself after N statements of a phase. A phase in one
# transaction leaves nothing behind; a phase run statement by statement
# (CONCURRENTLY) is marked interrupted, resumes, and leaves no invalid index.
. "$(dirname "$0")/lib.sh"

KILLED=137 # 128 + SIGKILL

# migrate_gone: the killed run's server session has ended (its locks are free).
migrate_gone() {
	wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name LIKE 'migrate %' AND datname = current_database())"
}

no_invalid_index() {
	[ "$(q "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 0 ] ||
		fail "$1: invalid index left: $(q "SELECT string_agg(indexrelid::regclass::text, ' ') FROM pg_index WHERE NOT indisvalid")"
}

# ---- (a) a phase in one transaction, killed after its second statement ----
new_db tx
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text);
SQL
migration 0002_grow.sql <<'SQL'
-- migrate:expand
CREATE TABLE u (id bigint PRIMARY KEY);
ALTER TABLE t ADD COLUMN b text;
COMMENT ON TABLE t IS 'grown';
CREATE TABLE w (id bigint PRIMARY KEY);
SQL
expect_exit 0 mg up --to 1
sql -c "INSERT INTO t VALUES (1, 'x'), (2, 'y')" >/dev/null
db_state tx.before
MIGRATE_TEST_CRASH_AFTER=2 expect_exit $KILLED mg up
migrate_gone
db_state tx.killed
expect_same tx.before tx.killed "a transactional phase killed midway left something behind"
expect_exit 0 mg status --format json
json_check "$OUT" "[(m['version'], m['phase'], m.get('interrupted', False)) for m in d['migrations']] == [(1, 'contracted', False), (2, 'pending', False)]"
expect_exit 0 mg up
expect_eq "after the next run" \
	"$(q "SELECT (to_regclass('u') IS NOT NULL) || ' ' || (to_regclass('w') IS NOT NULL) || ' ' || obj_description('t'::regclass, 'pg_class')")" \
	"true true grown"
expect_eq "history" "$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:contracted"

# ---- (b) a phase with CONCURRENTLY, killed after each of its statements ----
CIC_SETUP="CREATE TABLE t (id bigint PRIMARY KEY, a text, b text);"
CIC_CHANGE="-- migrate:expand
CREATE INDEX CONCURRENTLY t_a_idx ON t (a);
ALTER TABLE t ADD COLUMN c text;
CREATE INDEX CONCURRENTLY t_b_idx ON t (b);
CREATE INDEX CONCURRENTLY ON t (c);
"
# cic_killed_after N: the phase above, killed after its statement N, then resumed.
cic_killed_after() {
	local n=$1
	expect_exit 0 mg up --to 1
	sql -c "INSERT INTO t SELECT g, 'a' || g, 'b' || g FROM generate_series(1, 500) g" >/dev/null
	data_snapshot "cic$n.before"
	MIGRATE_TEST_CRASH_AFTER=$n expect_exit $KILLED mg up
	migrate_gone
	no_invalid_index "killed after statement $n"
	expect_exit 0 mg status --format json
	json_check "$OUT" "d['migrations'][1]['version'] == 2" \
		"d['migrations'][1].get('interrupted') is True" \
		"d['migrations'][1]['phase'] == 'pending'"
	expect_exit 0 mg status
	expect_match "$OUT" "^2 .*interrupted"
	expect_exit 0 mg up
	expect_contains "$OUT" "resuming"
	no_invalid_index "resumed after statement $n"
	expect_eq "indexes resumed after statement $n" \
		"$(q "SELECT count(*) || ' ' || bool_and(indisvalid) FROM pg_index WHERE indrelid = 't'::regclass")" \
		"4 true"
	[ "$(phase_of 2)" = contracted ] || fail "resumed after statement $n: 0002 is $(phase_of 2)"
	expect_exit 0 mg revert --to 1
	data_snapshot "cic$n.after"
	expect_same "cic$n.before" "cic$n.after" "revert after a resumed phase (killed after statement $n)"
}
# n = 4 is an unnamed index, killed after it was built but before the history
# recorded it: it is given the name PostgreSQL would choose, so the resumed
# run recognises it instead of building a second one.
for n in 1 2 3 4; do
	new_db "cic$n"
	echo "$CIC_SETUP" >"$MIG/0001_t.sql"
	echo "$CIC_CHANGE" >"$MIG/0002_index.sql"
	cic_killed_after "$n"
done

# ---- an interrupted phase reverted instead of resumed ----
# revert_interrupted N: killed after statement N, then reverted.
revert_interrupted() {
	local n=$1
	expect_exit 0 mg up --to 1
	data_snapshot "revert$n.before"
	MIGRATE_TEST_CRASH_AFTER=$n expect_exit $KILLED mg up
	migrate_gone
	expect_exit 0 mg revert
	expect_contains "$OUT" "interrupted"
	data_snapshot "revert$n.after"
	expect_same "revert$n.before" "revert$n.after" "revert of a phase killed after statement $n"
	[ "$(q "SELECT count(*) FROM migrate.history WHERE version = 2")" = 0 ] || fail "0002 still in the history"
}
new_db revert2
echo "$CIC_SETUP" >"$MIG/0001_t.sql"
echo "$CIC_CHANGE" >"$MIG/0002_index.sql"
revert_interrupted 2
new_db revert3
echo "$CIC_SETUP" >"$MIG/0001_t.sql"
echo "$CIC_CHANGE" >"$MIG/0002_index.sql"
# killed right after a concurrent build, before the history recorded it: its
# undo was recorded before it ran, so revert removes the index too
revert_interrupted 3

# ---- a concurrent build cut off midway leaves an invalid index: cleaned up ----
new_db cut
echo "$CIC_SETUP" >"$MIG/0001_t.sql"
echo "$CIC_CHANGE" >"$MIG/0002_index.sql"
expect_exit 0 mg up --to 1
sql -c "INSERT INTO t SELECT g, 'a' || g, 'b' || g FROM generate_series(1, 500) g" >/dev/null
data_snapshot cut.before
# an open transaction: the build waits for it before it can finish
bg old-transaction "BEGIN; SELECT txid_current(); SELECT pg_sleep(60)"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'old-transaction' AND backend_xid IS NOT NULL)"
mg up >"$T/cut.out" 2>"$T/cut.err" &
mg_pid=$!
BACKGROUND+=("$mg_pid")
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p JOIN pg_stat_activity a ON a.pid = p.pid
	WHERE a.application_name = 'migrate up' AND p.phase LIKE 'waiting%')"
# kill -9, and the server session with it (a dead client's build would go on)
kill -9 "$mg_pid"
end_session "migrate up"
wait "$mg_pid" 2>/dev/null
# what mongo-c-driver keeps in shared memory dies with no one to remove it:
# a later process with the same pid would warn about it on stderr
rm -f "/dev/shm/mongoc-$mg_pid"
end_session old-transaction
migrate_gone
[ "$(q "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 1 ] ||
	fail "the simulation did not leave an invalid index"
expect_exit 0 mg up
no_invalid_index "resumed after a build cut off midway"
expect_eq "indexes after the resumed build" \
	"$(q "SELECT count(*) || ' ' || bool_and(indisvalid) FROM pg_index WHERE indrelid = 't'::regclass")" \
	"4 true"
expect_exit 0 mg revert --to 1
data_snapshot cut.after
expect_same cut.before cut.after "revert after a build cut off midway"

# ---- a concurrent build that fails: exit 3, no invalid index left ----
new_db dup
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, email text);
SQL
expect_exit 0 mg up
sql -c "INSERT INTO t VALUES (1, 'a@example.com'), (2, 'a@example.com')" >/dev/null
migration 0002_unique.sql <<'SQL'
-- migrate:expand
CREATE INDEX CONCURRENTLY t_id_email_idx ON t (id, email);
CREATE UNIQUE INDEX CONCURRENTLY t_email_key ON t (email);
SQL
db_state dup.before
expect_exit 3 mg up
expect_contains "$ERR" "$MIG/0002_unique.sql:3:"
expect_contains "$ERR" "could not create unique index"
no_invalid_index "a failed unique build"
[ "$(q "SELECT count(*) FROM migrate.events WHERE version = 2 AND outcome = 'failed'")" = 1 ] ||
	fail "no failed event for the unique build"
# the duplicates fixed, the next run finishes the phase; revert takes it all back
sql -c "UPDATE t SET email = 'b@example.com' WHERE id = 2" >/dev/null
expect_exit 0 mg up
expect_eq "indexes after the fixed build" \
	"$(q "SELECT count(*) || ' ' || bool_and(indisvalid) FROM pg_index WHERE indrelid = 't'::regclass")" \
	"3 true"
expect_exit 0 mg revert --to 1
sql -c "UPDATE t SET email = 'a@example.com' WHERE id = 2" >/dev/null
db_state dup.after
expect_same dup.before dup.after "revert after a failed, then fixed, unique build"

# ---- a contract killed right after its DROP INDEX CONCURRENTLY ----
# The drop committed by itself before the history recorded it: the next run
# does not drop it again, and revert still builds it back.
new_db dropidx
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text, b text);
CREATE INDEX t_a_idx ON t (a);
SQL
migration 0002_drop.sql <<'SQL'
-- migrate:contract
DROP INDEX CONCURRENTLY t_a_idx;
ALTER TABLE t DROP COLUMN b;
SQL
expect_exit 0 mg up --to 1
sql -c "INSERT INTO t SELECT g, 'a' || g, 'b' || g FROM generate_series(1, 50) g" >/dev/null
data_snapshot dropidx.before
MIGRATE_TEST_CRASH_AFTER=1 expect_exit $KILLED mg up
migrate_gone
expect_eq "index after the kill" "$(q "SELECT to_regclass('t_a_idx') IS NULL")" t
expect_exit 0 mg up
expect_contains "$OUT" "resuming after step 0 of 2"
[ "$(phase_of 2)" = contracted ] || fail "0002 is $(phase_of 2) after the resumed contract"
expect_eq "undo of the drop recorded once" \
	"$(q "SELECT count(*) FROM migrate.history, jsonb_array_elements(revert_contract) s
		WHERE version = 2 AND s->>'sql' LIKE 'CREATE INDEX%'")" 1

# ---- a revert step by step, killed after each of its database calls ----
# Its undo builds the index back CONCURRENTLY, so it runs step by step: killed
# anywhere, status shows an interrupted revert, up refuses, and the next
# revert resumes and ends where a clean one does.
expect_exit 0 mg revert --to 1
data_snapshot dropidx.reverted
expect_same dropidx.before dropidx.reverted "a clean revert of the resumed contract"
killed_revert=0
for n in $(seq 1 60); do
	expect_exit 0 mg up
	MIGRATE_TEST_CRASH_AFTER_CALLS=$n mg revert --to 1 >"$OUT" 2>"$ERR"
	rc=$?
	[ "$rc" = 0 ] && break
	[ "$rc" = "$KILLED" ] || fail "revert killed after call $n: exit $rc"
	migrate_gone
	if [ "$(q "SELECT steps_done < 0 FROM migrate.history WHERE version = 2")" = t ]; then
		killed_revert=$((killed_revert + 1))
		expect_exit 0 mg status --format json
		json_check "$OUT" "d['migrations'][1]['interrupted'] is True" \
			"d['migrations'][1]['interrupted_command'] == 'revert'"
		expect_exit 2 mg up
		expect_contains "$ERR" "the revert of 2_drop was interrupted"
	fi
	expect_exit 0 mg revert --to 1
	data_snapshot "dropidx.killed$n"
	expect_same dropidx.before "dropidx.killed$n" "a revert killed after call $n, then run again"
	no_invalid_index "a revert killed after call $n"
done
[ "$killed_revert" -gt 0 ] || fail "no kill left an interrupted revert (the test proves nothing)"
pass
