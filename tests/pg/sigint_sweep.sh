#!/usr/bin/env bash
# SIGINT at random points: for each phase of the set of crash_sweep.sh (every
# planner row and every contract path, tests/pg/sweep/: expand, contract,
# then revert of both), the run gets SIGINT after a random delay within the
# time a clean run of that phase takes, several times. Each interrupted run
# must exit 130 (or 0, when it finished first), `status` must work, and the
# same command run again must end where a clean run ends: the same catalogue,
# the same rows (a checksum of every table) and the same history and trash.
# The delays come from a seeded generator: the seed is printed, and
# MIGRATE_TEST_SEED=N runs the same delays again (the points they hit still
# depend on the machine's speed). MIGRATE_TEST_SIGINT_ITERATIONS: runs per
# phase (default 6).
. "$(dirname "$0")/lib.sh"

SEED=${MIGRATE_TEST_SEED:-$(($(date +%s) % 32768))}
ITERATIONS=${MIGRATE_TEST_SIGINT_ITERATIONS:-6}
echo "seed: $SEED (MIGRATE_TEST_SEED=$SEED repeats it)" >&2
RANDOM=$SEED

migrate_gone() {
	wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name LIKE 'migrate %' AND datname = current_database())"
}

copy_db() {
	DATABASES+=("$2")
	psql "$MIGRATE_TEST_PG" -X -q -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE \"$2\" TEMPLATE \"$1\"" >/dev/null || fail "cannot copy $1 to $2"
}

drop_db() {
	psql "$MIGRATE_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
}

now_ms() { date +%s%3N; }

# small batches with a pause between them: the phases last long enough for
# the signal to land in a backfill, a restore, a concurrent build or a DDL
OPTS="--batch-size 50 --batch-delay 5ms"

new_db clean
cp "$SRCDIR/tests/pg/sweep/"*.sql "$MIG/"
CLEAN=$DB
expect_exit 0 mg up --to 1
copy_db "$CLEAN" "${CLEAN}_t1"
PHASES=("up --phase expand" "up --phase contract" "revert --to 1")
DURATION=()
for p in 0 1 2; do
	t0=$(now_ms)
	# shellcheck disable=SC2086 # the command's words
	expect_exit 0 mg ${PHASES[$p]} $OPTS
	DURATION[$p]=$(($(now_ms) - t0))
	db_state "$T/state$p"
	[ "$p" = 2 ] || copy_db "$CLEAN" "${CLEAN}_t$((p + 2))"
done

interrupted_total=0
for p in 0 1 2; do
	cmd=${PHASES[$p]}
	template="${CLEAN}_t$((p + 1))"
	interrupted=0
	for i in $(seq 1 "$ITERATIONS"); do
		delay_ms=$(((RANDOM * 32768 + RANDOM) % (DURATION[p] + 1)))
		DB="t_${TEST_NAME}_run_$$"
		# shellcheck disable=SC2034 # read by mg and q (lib.sh)
		CONN="$MIGRATE_TEST_PG dbname=$DB"
		copy_db "$template" "$DB"
		# the binary itself in the background (a function would run in a
		# subshell, which ignores SIGINT, and the signal would not reach it)
		# shellcheck disable=SC2086
		"$MIGRATE" --db "$CONN" --dir "$MIG" $cmd $OPTS >"$T/int.out" 2>"$T/int.err" &
		pid=$!
		BACKGROUND+=("$pid")
		sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
		kill -INT "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		what="'$cmd' with SIGINT after $delay_ms ms (seed $SEED, run $i)"
		case $rc in
		0) ;;
		130) interrupted=$((interrupted + 1)) ;;
		*)
			cat "$T/int.out" "$T/int.err" >&2
			fail "$what: exit $rc, not 130 or 0"
			;;
		esac
		migrate_gone
		# a backend going away leaves pg_stat_activity a moment before its locks
		wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
		mg status --format json >"$OUT" 2>"$ERR" ||
			{ cat "$ERR" >&2; fail "$what: status fails"; }
		# shellcheck disable=SC2086
		mg $cmd $OPTS >"$OUT" 2>"$ERR" || {
			cat "$T/int.err" "$OUT" "$ERR" >&2
			fail "$what: the rerun fails (exit $?)"
		}
		db_state "$T/run"
		expect_same "$T/state$p" "$T/run" "$what, then run again"
		drop_db "$DB"
	done
	echo "'$cmd' (${DURATION[$p]} ms clean): $interrupted of $ITERATIONS runs interrupted" >&2
	interrupted_total=$((interrupted_total + interrupted))
done
# a sweep whose signals all came after the end proves nothing
[ "$interrupted_total" -gt 0 ] || fail "no run was interrupted (seed $SEED)"
pass
