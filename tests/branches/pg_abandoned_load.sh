#!/usr/bin/env bash
# An abandoned branch's migration reverted alone while the app runs: branch
# A expanded a column and a concurrent index on the shared database, branch
# B a table after it; A's migration is reverted by version under a pgbench
# load on the same table, with 0 aborted clients and every write of the app
# kept; B's migration stays.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../pg/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

pgbench=$(command -v pgbench || echo "$(pg_config --bindir 2>/dev/null)/pgbench")
if [ ! -x "$pgbench" ]; then
	echo "skipped: no pgbench (postgresql-contrib)" >&2
	exit 77
fi

new_db shared
# shellcheck disable=SC2034 # read by at (lib.sh)
URL=$CONN
a=$(checkout a)
b=$(checkout b)
for dir in "$a" "$b"; do
	add "$dir" 0001_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, email text, hits integer NOT NULL DEFAULT 0);'
done
expect_exit 0 at "$a" up
q "INSERT INTO users (id, email) SELECT g, 'u' || g || '@x' FROM generate_series(1, 20000) g" >/dev/null
add "$a" 0002_a_nick.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN nick text;\nCREATE INDEX CONCURRENTLY users_nick_idx ON users (nick);\n-- migrate:contract\n'
add "$b" 0003_b_orders.sql <<<$'-- migrate:expand\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n-- migrate:contract\n'
expect_exit 0 at "$a" up --phase expand
expect_exit 0 at "$b" up --phase expand
q "UPDATE users SET nick = 'n' || id WHERE id <= 100" >/dev/null

# the app, as main knows it: users without A's column
cat >"$T/app.sql" <<'SQL'
\set id random(1, 20000)
UPDATE users SET hits = hits + 1 WHERE id = :id;
SELECT email FROM users WHERE id = :id;
SQL
"$pgbench" -n -c 4 -j 2 -T 6 -f "$T/app.sql" "$CONN" >"$T/pgbench.out" 2>&1 &
bench=$!
BACKGROUND+=("$bench")
# revert A's migration alone while the load runs
sleep 1
expect_exit 0 at "$a" revert 2
expect_contains "$OUT" "reverting expand of 2_a_nick"
wait "$bench"
bench_rc=$?
cat "$T/pgbench.out" >&2
[ "$bench_rc" = 0 ] || fail "pgbench exited $bench_rc"
if grep -q "aborted" "$T/pgbench.out"; then
	fail "pgbench clients aborted: $(grep aborted "$T/pgbench.out")"
fi
# pgbench 15 counts the transactions that failed (a client that fails aborts)
if grep -q "^number of failed transactions" "$T/pgbench.out"; then
	grep -q "^number of failed transactions: 0 " "$T/pgbench.out" || fail "failed transactions"
fi
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$T/pgbench.out")
[ -n "$processed" ] && [ "$processed" -gt 0 ] || fail "pgbench processed no transaction"
# every write of the app is there
[ "$(q "SELECT sum(hits) FROM users")" = "$processed" ] ||
	fail "app writes: $(q "SELECT sum(hits) FROM users") hits for $processed transactions"
[ "$(q "SELECT count(*) FROM users")" = 20000 ] || fail "rows lost"

# A's objects gone, B's migration stays
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nick'")" = 0 ] ||
	fail "nick not reverted"
[ "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_nick_idx'")" = 0 ] || fail "users_nick_idx not reverted"
[ "$(q "SELECT to_regclass('orders') IS NOT NULL")" = t ] || fail "B's table lost"
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 3:expanded" ] ||
	fail "history: $(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")"
pass
