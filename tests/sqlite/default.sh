#!/usr/bin/env bash
# The embedded default: with no database named anywhere (no --db, no
# DATABASE_URL, no .env, no migrate.conf), migrate uses the SQLite file
# migrate.db in the current directory, creates it, and says so on stderr.
. "$(dirname "$0")/lib.sh"

mkdir -p migrations
cp "$EXAMPLE"/0001_*.sql "$EXAMPLE"/0002_*.sql migrations/
[ ! -e migrate.db ] || fail "migrate.db before the test"

expect_exit 0 "$MIGRATE" up --phase expand
expect_contains "$ERR" "no database named (--db, DATABASE_URL, .env, migrate.conf): using the embedded default sqlite:migrate.db"
[ -f migrate.db ] || fail "migrate.db was not created"
expect_eq "tables" "$(sqlite3 migrate.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\_migrate\_%' ESCAPE '\' ORDER BY name)")" "accounts users"
expect_eq "history" "$(sqlite3 migrate.db "SELECT group_concat(version || phase, ',') FROM _migrate_history")" "1expanded,2expanded"

expect_exit 0 "$MIGRATE" status
expect_contains "$ERR" "using the embedded default sqlite:migrate.db"
expect_exit 0 "$MIGRATE" status --quiet
[ ! -s "$ERR" ] || fail "--quiet still announced the default: $(cat "$ERR")"

expect_exit 0 "$MIGRATE" up --phase contract
expect_exit 0 "$MIGRATE" revert --to 0
expect_eq "reverted" "$(sqlite3 migrate.db "SELECT count(*) FROM sqlite_master WHERE name IN ('users', 'accounts')")" 0

# a database named anywhere wins, and is not announced
echo "DATABASE_URL=sqlite:from-env.db" >.env
expect_exit 0 "$MIGRATE" up
[ -f from-env.db ] || fail ".env's sqlite:from-env.db was not used"
grep -q "embedded default" "$ERR" && fail "announced the default with .env naming a database"
expect_exit 0 "$MIGRATE" --db sqlite:flag.db up
[ -f flag.db ] || fail "--db sqlite:flag.db was not used"
pass
