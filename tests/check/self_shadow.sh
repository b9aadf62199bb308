#!/usr/bin/env bash
# Without a shadow database check starts a temporary PostgreSQL server itself
# (initdb on a unix socket in a private directory; as the postgres user when
# run as root), runs every stage on it, and stops and removes it at the end,
# also when the gate fails. Within the time a pipeline can afford on every
# push: under 10 s for the example's migrations.
. "$(dirname "$0")/lib.sh"

copy_example m
start=$(date +%s%N)
expect_exit 0 "$MIGRATE" check --dir m
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
if grep -qF "no PostgreSQL server programs (initdb)" "$OUT"; then
	echo "skipped: no initdb on this machine" >&2
	exit 77
fi
expect_match "$OUT" "^replay +passed .*on a temporary PostgreSQL server \(.*, in .*migrate-check\.[A-Za-z0-9]+\)"
expect_match "$OUT" "^round-trip +passed "
expect_match "$OUT" "^lock-trace +passed "
server_dir=$(grep -oE 'in [^ ]*migrate-check\.[A-Za-z0-9]+\)' "$OUT" | head -1 | sed 's/^in //; s/)$//')
[ -n "$server_dir" ] || fail "no server directory in the output"
[ ! -e "$server_dir" ] || fail "the temporary server's directory $server_dir is still there"
if pgrep -f -- "-D $server_dir/data" >/dev/null 2>&1; then
	fail "the temporary server in $server_dir still runs"
fi
echo "the gate on migrations-example with its own server: ${elapsed_ms} ms"
# the budget holds on an idle machine; with more runnable work than cores
# (other suites in parallel) the time says nothing about migrate
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
cores=$(nproc 2>/dev/null || echo 1)
if [ "$elapsed_ms" -ge 10000 ]; then
	if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l < c) }'; then
		fail "the gate took ${elapsed_ms} ms on migrations-example (budget: 10 s)"
	fi
	echo "note: over 10 s, on a machine with load $load on $cores cores" >&2
fi

# a failing gate stops its server too
mkdir bad
printf -- '-- migrate:expand\nCREATE TABLE t (id bigint PRIMARY KEY);\n' >bad/0001_t.sql
printf -- '-- migrate:expand\nSELECT no_such_function();\n' >bad/0002_broken.sql
expect_exit 1 "$MIGRATE" check --dir bad
expect_contains "$OUT" "bad/0002_broken.sql:2:8: error[replay-failed]: expand failed: function no_such_function() does not exist"
server_dir=$(grep -oE 'in [^ ]*migrate-check\.[A-Za-z0-9]+\)' "$OUT" | head -1 | sed 's/^in //; s/)$//')
[ -n "$server_dir" ] && [ ! -e "$server_dir" ] || fail "the failed gate left $server_dir"
pass
