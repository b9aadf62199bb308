#!/usr/bin/env bash
# kill -9 after every database call. MIGRATE_TEST_CRASH_AFTER_CALLS=N makes
# migrate SIGKILL itself right after its N-th call to the database returned.
# For each phase of a set that holds every planner row and every contract
# path (tests/pg/sweep/: expand, contract, then revert of both), the run is
# killed after call 1, 2, ... until a run completes without being killed;
# after each kill the same command runs again and must end where a clean run
# ends: the same catalogue, the same rows (a checksum of every table) and the
# same history and trash.
#
# CI runs a sample: every SWEEP_STRIDE-th call (default 3), from a start that
# differs per phase, and always the run that completes. MIGRATE_TEST_SWEEP=full
# kills after every call (see tests/pg/meson.build).
. "$(dirname "$0")/lib.sh"

KILLED=137 # 128 + SIGKILL
STRIDE=${SWEEP_STRIDE:-3}
[ "${MIGRATE_TEST_SWEEP:-}" = full ] && STRIDE=1

# migrate_gone: the killed run's server session has ended (its locks are free).
migrate_gone() {
	wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name LIKE 'migrate %' AND datname = current_database())"
}

# copy_db FROM TO: TO is a fresh copy of FROM (CREATE DATABASE ... TEMPLATE).
copy_db() {
	DATABASES+=("$2")
	psql "$MIGRATE_TEST_PG" -X -q -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE \"$2\" TEMPLATE \"$1\"" >/dev/null || fail "cannot copy $1 to $2"
}

drop_db() {
	psql "$MIGRATE_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
}

# The clean run: the start of each phase kept as a template, its end as a state.
new_db clean
cp "$SRCDIR/tests/pg/sweep/"*.sql "$MIG/"
CLEAN=$DB
expect_exit 0 mg up --to 1
copy_db "$CLEAN" "${CLEAN}_t1"
PHASES=("up --phase expand" "up --phase contract" "revert --to 1")
for p in 0 1 2; do
	# shellcheck disable=SC2086 # the command's words
	expect_exit 0 mg ${PHASES[$p]}
	db_state "$T/state$p"
	[ "$p" = 2 ] || copy_db "$CLEAN" "${CLEAN}_t$((p + 2))"
done

for p in 0 1 2; do
	cmd=${PHASES[$p]}
	template="${CLEAN}_t$((p + 1))"
	n=$((1 + p % STRIDE))
	kills=0
	while :; do
		DB="t_${TEST_NAME}_run_$$"
		# shellcheck disable=SC2034 # read by mg and q (lib.sh)
		CONN="$MIGRATE_TEST_PG dbname=$DB"
		copy_db "$template" "$DB"
		# shellcheck disable=SC2086
		MIGRATE_TEST_CRASH_AFTER_CALLS=$n mg $cmd >"$T/killed.out" 2>"$T/killed.err"
		rc=$?
		if [ "$rc" = 0 ]; then
			db_state "$T/run"
			expect_same "$T/state$p" "$T/run" "'$cmd' run through (the sweep's last run, $n calls)"
			drop_db "$DB"
			break
		fi
		[ "$rc" = "$KILLED" ] || {
			cat "$T/killed.err" >&2
			fail "'$cmd' killed after call $n: exit $rc, not killed"
		}
		kills=$((kills + 1))
		migrate_gone
		mg status --format json >"$OUT" 2>"$ERR" ||
			{ cat "$ERR" >&2; fail "'$cmd' killed after call $n: status fails"; }
		# shellcheck disable=SC2086
		mg $cmd >"$OUT" 2>"$ERR" || {
			cat "$OUT" "$ERR" >&2
			fail "'$cmd' killed after call $n: the rerun fails (exit $?)"
		}
		db_state "$T/run"
		expect_same "$T/state$p" "$T/run" "'$cmd' killed after call $n, then run again"
		drop_db "$DB"
		n=$((n + STRIDE))
	done
	echo "'$cmd': killed $kills times, every ${STRIDE} call(s), completes after $n calls" >&2
	[ "$kills" -gt 0 ] || fail "'$cmd' was never killed"
done
pass
