#!/usr/bin/env bash
# Through PgBouncer: in session mode migrate works as on a direct connection;
# in transaction mode, where the run lock (a session advisory lock) and SET
# lock_timeout would not survive the transaction, up and revert refuse at
# once (exit 2, nothing run) and say to connect directly or in session mode.
. "$(dirname "$0")/lib.sh"

PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
if [ ! -x "$PGBOUNCER" ]; then
	echo "skipped: no pgbouncer (apt-get install pgbouncer)" >&2
	exit 77
fi
new_db
# the server's socket as this side sees it (a server in a chroot knows another path)
SOCKDIR=$(sed -nE 's/.*(^| )host=([^ ]+).*/\2/p' <<<"$MIGRATE_TEST_PG")
[ -n "$SOCKDIR" ] || SOCKDIR=$(psql "$MIGRATE_TEST_PG" -X -At -c "SELECT split_part(current_setting('unix_socket_directories'), ',', 1)")
PORT=$(psql "$MIGRATE_TEST_PG" -X -At -c "SHOW port")
chmod 755 "$T"

# start_bouncer MODE: a PgBouncer on a socket in $T/MODE, pool_mode MODE, for $DB;
# BCONN is the conninfo that reaches the database through it.
start_bouncer() {
	local dir="$T/$1" bport=$((6400 + $$ % 500))
	[ "$1" = transaction ] && bport=$((bport + 500))
	mkdir -p "$dir"
	cat >"$dir/pgbouncer.ini" <<INI
[databases]
$DB = host=$SOCKDIR port=$PORT dbname=$DB user=postgres

[pgbouncer]
listen_addr =
listen_port = $bport
unix_socket_dir = $dir
auth_type = any
pool_mode = $1
default_pool_size = 4
query_wait_timeout = 15
max_client_conn = 50
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
	[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
	as_postgres "$PGBOUNCER" -d "$dir/pgbouncer.ini" || fail "pgbouncer ($1) did not start"
	BOUNCERS+=("$dir/pgbouncer.pid")
	BCONN="host=$dir port=$bport dbname=$DB user=postgres"
	for _ in $(seq 50); do
		psql "$BCONN" -X -At -c "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "pgbouncer ($1) does not answer: $(cat "$dir/pgbouncer.log")"
}
BOUNCERS=()
stop_bouncers() {
	local p
	for p in "${BOUNCERS[@]}"; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	cleanup
}
trap stop_bouncers EXIT

migration 0001_items.sql <<'SQL'
-- migrate:expand
CREATE TABLE items (id bigint PRIMARY KEY, name text);
SQL
migration 0002_items_idx.sql <<'SQL'
-- migrate:expand
CREATE INDEX items_name_idx ON items (name);
SQL

# ---- session mode: as today ----
start_bouncer session
SESSION=$BCONN
expect_exit 0 "$MIGRATE" --db "$SESSION" --dir "$MIG" up
expect_contains "$OUT" "expanding 2_items_idx"
expect_eq "index built" "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass")" t
expect_eq "history" "$(q "SELECT string_agg(phase, ',' ORDER BY version) FROM migrate.history")" "contracted,contracted"
expect_exit 0 "$MIGRATE" --db "$SESSION" --dir "$MIG" status
expect_exit 0 "$MIGRATE" --db "$SESSION" --dir "$MIG" revert --to 1
expect_eq "reverted" "$(q "SELECT to_regclass('items_name_idx') IS NULL")" t
# the run lock holds through the pooler: a second run waits, then exit 4
psql "$SESSION" -X -q -c "SELECT pg_advisory_lock(hashtextextended('migrate:' || 'migrate', 0)), pg_sleep(30)" >/dev/null 2>&1 &
BACKGROUND+=($!)
HERE="database = (SELECT oid FROM pg_database WHERE datname = current_database())"
wait_for "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND $HERE"
expect_exit 4 "$MIGRATE" --db "$SESSION" --dir "$MIG" up --lock-wait 300ms
# the server session still sleeps with the lock after its client went: end it
q "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND $HERE" >/dev/null
wait_for "SELECT count(*) = 0 FROM pg_locks WHERE locktype = 'advisory' AND $HERE"

# ---- transaction mode: refused before anything runs ----
start_bouncer transaction
TRANS=$BCONN
before=$(q "SELECT count(*) || ' ' || coalesce(max(id), 0) FROM migrate.events")
for verb in up revert; do
	expect_exit 2 "$MIGRATE" --db "$TRANS" --dir "$MIG" "$verb"
	expect_contains "$ERR" "connection pooler in transaction or statement mode"
	expect_contains "$ERR" "connect to PostgreSQL directly, or through the pooler in session mode"
done
expect_eq "nothing run" "$(q "SELECT to_regclass('items_name_idx') IS NULL")" t
expect_eq "no event written" "$(q "SELECT count(*) || ' ' || coalesce(max(id), 0) FROM migrate.events")" "$before"
expect_eq "no lock left" "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND $HERE")" 0
# reading needs no lock: status works through it
expect_exit 0 "$MIGRATE" --db "$TRANS" --dir "$MIG" status
expect_match "$OUT" "pending|expanded"
# the same database, directly: up runs
expect_exit 0 "$MIGRATE" --db "$CONN" --dir "$MIG" up
expect_eq "applied directly" "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass")" t
pass
