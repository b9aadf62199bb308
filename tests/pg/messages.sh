#!/usr/bin/env bash
# What a failure tells the user: a failed statement's file:line:column,
# SQLSTATE, the server's DETAIL and HINT as 'detail:' and 'hint:' lines, and
# what became of the phase (rolled back, or where a phase run step by step
# stopped and that 'migrate up' resumes it); a lock timeout names the session
# that held the lock; a permission error says what migrate was doing. Each
# failure exits 3 and leaves the database and its history as they were.
. "$(dirname "$0")/lib.sh"

ROLE="mg_limited_$$"
cleanup_messages() {
	cleanup
	psql "$MIGRATE_TEST_PG" -X -q -c "DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1
}
trap cleanup_messages EXIT

new_db
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, a text UNIQUE);
CREATE TABLE u (id bigint PRIMARY KEY, b text);
SQL
expect_exit 0 mg up
sql -c "INSERT INTO t VALUES (1, 'x')" >/dev/null

# ---- failing statements, one table row each ----
mkdir "$T/cases"
cat >"$T/cases/unique.sql" <<'SQL'
-- migrate:expand
ALTER TABLE t ADD COLUMN c text;
INSERT INTO t VALUES (2, 'x');
-- migrate:revert-expand
DELETE FROM t WHERE id = 2;
ALTER TABLE t DROP COLUMN c;
SQL
cat >"$T/cases/hint.sql" <<'SQL'
-- migrate:expand
ALTER TABLE t ADD COLUMN c text;
UPDATE t
   SET c = 'é' || lower(1, 2);
-- migrate:revert-expand
ALTER TABLE t DROP COLUMN c;
SQL
cat >"$T/cases/not_null.sql" <<'SQL'
-- migrate:expand
CREATE TABLE u2 (id int, a text NOT NULL);
INSERT INTO u2 VALUES (1, NULL);
SQL
# file | exit | first line of the error (after $MIG/; columns count bytes:
# the é of hint.sql is two) | lines that must follow (@-separated)
while IFS='|' read -r file want first rest; do
	[ -n "$file" ] || continue
	cp "$T/cases/$file" "$MIG/0002_case.sql"
	db_state before.state
	events=$(q "SELECT count(*) FROM migrate.events")
	expect_exit "$want" mg up
	expect_eq "first line of the error for $file" "$(head -1 "$ERR")" "$MIG/$first"
	IFS='@' read -ra lines <<<"$rest"
	for line in "${lines[@]}"; do
		grep -qxF -- "$line" "$ERR" || fail "$file: stderr lacks the line '$line'"
	done
	# the server's hint is a hint, not migrate's help
	expect_not_contains "$ERR" "help: No function"
	expect_not_contains "$ERR" "help: Key ("
	db_state after.state
	expect_same before.state after.state "the failed phase of $file changed the database"
	expect_eq "failed events after $file" \
		"$(q "SELECT count(*) FROM migrate.events WHERE outcome = 'failed' AND version = 2 AND id > $events")" 1
	rm "$MIG/0002_case.sql"
done <<'TABLE'
unique.sql|3|0002_case.sql:3:1: error: duplicate key value violates unique constraint "t_a_key" (SQLSTATE 23505)|  detail: Key (a)=(x) already exists.@  note: expand of 2_case was rolled back: nothing of it was applied and the history is unchanged
hint.sql|3|0002_case.sql:4:20: error: function lower(integer, integer) does not exist (SQLSTATE 42883)|  hint: No function matches the given name and argument types. You might need to add explicit type casts.@  note: expand of 2_case was rolled back: nothing of it was applied and the history is unchanged
not_null.sql|3|0002_case.sql:3:1: error: null value in column "a" of relation "u2" violates not-null constraint (SQLSTATE 23502)|  detail: Failing row contains (1, null).@  note: expand of 2_case was rolled back: nothing of it was applied and the history is unchanged
TABLE

# ---- permission errors (42501) say what migrate was doing ----
psql "$MIGRATE_TEST_PG" -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE $ROLE LOGIN" >/dev/null ||
	fail "cannot create role $ROLE"
# limited ARGS...: migrate as the limited role
limited() {
	"$MIGRATE" --db "$CONN user=$ROLE" --dir "$MIG" "$@"
}
migration 0002_v.sql <<'SQL'
ALTER TABLE t ADD COLUMN v text;
SQL
db_state before.state

# creating the history: a database of its own, where the role may not create a schema
new_db fresh
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY);
SQL
expect_exit 3 limited up
expect_eq "first line" "$(head -1 "$ERR")" \
	"migrate up: error: cannot create its history schema \"migrate\": permission denied for database $DB (SQLSTATE 42501)"
expect_contains "$ERR" "  help: the role \"$ROLE\" needs CREATE on the database, or the schema made for it first: CREATE SCHEMA \"migrate\" AUTHORIZATION \"$ROLE\""
expect_eq "schemas after the refused run" "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'migrate'")" 0
expect_eq "tables after the refused run" "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 't'")" 0

# back to the first database: the role may read and write the history but
# does not own t, so the statement itself fails
DB=t_${TEST_NAME}_$$
CONN="$MIGRATE_TEST_PG dbname=$DB"
MIG="$T/m"
sql -c "GRANT USAGE ON SCHEMA migrate TO $ROLE;
	GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA migrate TO $ROLE" >/dev/null
expect_exit 3 limited up
expect_eq "first line" "$(head -1 "$ERR")" \
	"$MIG/0002_v.sql:1:1: error: must be owner of table t (SQLSTATE 42501)"
expect_contains "$ERR" "  help: the role \"$ROLE\" lacks a right this statement needs: grant it, or run migrate as the owner of the objects it changes"
expect_contains "$ERR" "  note: expand of 2_v was rolled back: nothing of it was applied and the history is unchanged"
db_state after.state
expect_same before.state after.state "a statement refused for a right changed the database"

# writing the history: the statement may run (the role owns the table it
# creates), the history is read only for it
migration 0002_v.sql <<'SQL'
CREATE TABLE mine (id bigint PRIMARY KEY);
SQL
sql -c "GRANT CREATE ON SCHEMA public TO $ROLE;
	REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA migrate FROM $ROLE" >/dev/null
db_state before.state
expect_exit 3 limited up
expect_eq "first line" "$(head -1 "$ERR")" \
	"migrate up: error: cannot write its history (migrate.history): permission denied for table history (SQLSTATE 42501)"
expect_contains "$ERR" "  help: the role \"$ROLE\" needs USAGE on schema \"migrate\" and SELECT, INSERT, UPDATE, DELETE on its tables"
expect_contains "$ERR" "  note: expand of 2_v was rolled back: nothing of it was applied and the history is unchanged"
db_state after.state
expect_same before.state after.state "a run that could not write its history changed the database"
expect_eq "table mine" "$(q "SELECT to_regclass('mine') IS NULL")" t

# taking the run lock
sql -c "REVOKE EXECUTE ON FUNCTION pg_try_advisory_lock(bigint) FROM PUBLIC" >/dev/null
expect_exit 3 limited up
expect_eq "first line" "$(head -1 "$ERR")" \
	"migrate up: error: cannot take the run lock: permission denied for function pg_try_advisory_lock (SQLSTATE 42501)"
expect_contains "$ERR" "  help: the role \"$ROLE\" needs EXECUTE on pg_try_advisory_lock"
db_state after.state
expect_same before.state after.state "a run refused the run lock changed the database"
sql -c "GRANT EXECUTE ON FUNCTION pg_try_advisory_lock(bigint) TO PUBLIC" >/dev/null
rm "$MIG/0002_v.sql"

# ---- a lock held past the last retry names the session that held it ----
# (the password in the URL must never show; the server trusts local sessions)
lock_mg() {
	"$MIGRATE" --db "$CONN password=sekrit-$$" --dir "$MIG" --lock-timeout 200ms "$@"
}
# hold NAME: a session named NAME holds ACCESS EXCLUSIVE on t; its backend pid in HOLDER
hold() {
	bg "$1" "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20)"
	wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE a.application_name = '$1' AND l.relation = 't'::regclass AND l.granted)"
	HOLDER=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'")
}
release() {
	end_session "$1"
	wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '$1')"
}

migration 0002_lock.sql <<'SQL'
ALTER TABLE t ADD COLUMN w text;
SQL
db_state before.state
hold mg-holder
expect_exit 3 lock_mg up --retries 0
expect_eq "first line" "$(head -1 "$ERR")" \
	"$MIG/0002_lock.sql:1:1: error: canceling statement due to lock timeout (SQLSTATE 55P03)"
expect_match "$ERR" "^  blocked by: pid $HOLDER 'mg-holder' \(user [^,]+, active, AccessExclusiveLock on t, its transaction open for [0-9]+\.[0-9] s\): BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep\(20\)$"
expect_contains "$ERR" "  note: expand of 2_lock was rolled back: nothing of it was applied and the history is unchanged"
expect_contains "$ERR" "  help: the lock was still held after 1 try of --lock-timeout 200 ms: run again once it is released, or raise --lock-timeout or --retries"
expect_not_contains "$ERR" "sekrit"
release mg-holder
db_state after.state
expect_same before.state after.state "a run that gave up on a lock changed the database"

# a phase run step by step stops at the step that waited, and 'migrate up' resumes it
migration 0002_lock.sql <<'SQL'
ALTER TABLE u ADD COLUMN z text;
ALTER TABLE t ADD COLUMN w text;
CREATE INDEX CONCURRENTLY u_b_idx ON u (b);
SQL
hold mg-holder
expect_exit 3 lock_mg up --retries 1
expect_eq "first line" "$(head -1 "$ERR")" \
	"$MIG/0002_lock.sql:2:1: error: canceling statement due to lock timeout (SQLSTATE 55P03)"
expect_match "$ERR" "^  blocked by: pid $HOLDER 'mg-holder' "
expect_contains "$ERR" "  note: expand of 2_lock (run step by step) stopped at step 2 of 3: the 1 before it are applied and recorded; 'migrate up' resumes at step 2, 'migrate revert' undoes what was applied"
expect_contains "$ERR" "after 2 tries of --lock-timeout 200 ms"
expect_eq "history" "$(q "SELECT phase || ' ' || steps_done FROM migrate.history WHERE version = 2")" "expanding 1"
release mg-holder
expect_exit 0 lock_mg up
expect_contains "$OUT" "resuming after step 1 of 3"
expect_eq "phase" "$(phase_of 2)" contracted
expect_eq "column w" "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'w'")" 1

# revert likewise. The expand held CONCURRENTLY, so its revert runs step by
# step too: it stops at the step that waited, the history unchanged, and
# runs again from its first step
expect_exit 0 lock_mg revert
expect_eq "phase" "$(phase_of 2)" expanded
history_state before.history
hold mg-holder
expect_exit 3 lock_mg revert --retries 0
expect_match "$ERR" "^  blocked by: pid $HOLDER 'mg-holder' "
expect_match "$ERR" "^  note: revert-expand of 2_lock \(run step by step\) stopped at step [0-9] of 3: the steps before it are undone, the history still shows it expanded; 'migrate revert' goes on from there$"
expect_not_contains "$ERR" "sekrit"
history_state after.history
expect_same before.history after.history "a revert that gave up on a lock changed the history"
release mg-holder
expect_exit 0 lock_mg revert
expect_eq "phase" "$(phase_of 2)" pending
expect_eq "column w" "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'w'")" 0
# a revert in one transaction is rolled back whole
rm "$MIG/0002_lock.sql"
migration 0002_y.sql <<'SQL'
ALTER TABLE t ADD COLUMN y text;
SQL
expect_exit 0 lock_mg up
expect_exit 0 lock_mg revert
db_state before.state
hold mg-holder
expect_exit 3 lock_mg revert --retries 0
expect_eq "first line" "$(head -1 "$ERR")" \
	"$MIG/0002_y.sql:1:1: error: canceling statement due to lock timeout (SQLSTATE 55P03)"
expect_match "$ERR" "^  blocked by: pid $HOLDER 'mg-holder' \(user [^,]+, active, AccessExclusiveLock on t, "
expect_contains "$ERR" "  note: revert-expand of 2_y was rolled back: it is still expanded"
release mg-holder
db_state after.state
expect_same before.state after.state "a revert that gave up on a lock changed the database"
pass
