#!/usr/bin/env bash
# In-flight conflicts found before anything runs: branch B expands an index
# on users.email (and a new column) on the shared database; branch A, whose
# checkout has neither, renames that column, or constrains B's new column.
# up applies nothing (exit 1, database unchanged), lint --db and check --db
# report it at the statement, naming B's migration, its object and what each
# does; lint without a database and changes B does not touch stay quiet; an
# allow comment lets it through. A migration of this checkout that is only
# expanded is in flight too, until up contracts it first.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../pg/lib.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

new_db shadow
shadow=$CONN
new_db shared
# shellcheck disable=SC2034 # read by at (lib.sh)
URL=$CONN
main=$(checkout main)
a=$(checkout a)
b=$(checkout b)
for dir in "$main" "$a" "$b"; do
	add "$dir" 0001_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);'
done
expect_exit 0 at "$main" up
add "$b" 0002_b_email_idx.sql <<<$'-- migrate:expand\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nALTER TABLE users ADD COLUMN nick text;\n-- migrate:contract\n'
expect_exit 0 at "$b" up --phase expand
[ "$(phase_of 2)" = expanded ] || fail "B's 0002 is $(phase_of 2), not expanded"

# A renames the column B's index is on: up refuses before anything runs
add "$a" 0003_a_mail.sql <<<$'-- migrate:expand\nALTER TABLE users\n  RENAME COLUMN email TO mail;\n'
db_state before
expect_exit 1 at "$a" up
expect_contains "$ERR" "0003_a_mail.sql:2:13: error[in-flight-conflict]"
expect_contains "$ERR" "error[in-flight-conflict]: this statement renames column users.email, which 2_b_email_idx (in flight: expanded on the database, not in this checkout) uses column users.email (index users_email_idx)"
expect_contains "$ERR" "lint found 1 error: nothing was applied"
db_state after
diff -u before after >state.diff || fail "a refused up changed the database: $(cat state.diff)"
[ "$(phase_of 3)" = pending ] || fail "0003 is $(phase_of 3) after the refusal"
expect_exit 1 at "$a" up --phase expand
expect_contains "$ERR" "in-flight-conflict"

# lint --db and check --db say the same; lint without a database as ever
expect_exit 1 "$MIGRATE" lint --dir "$a" --db "$URL"
expect_contains "$OUT" "0003_a_mail.sql:2:13: error[in-flight-conflict]"
expect_exit 0 "$MIGRATE" lint --dir "$a"
expect_not_contains "$OUT" "in-flight-conflict"
expect_exit 1 "$MIGRATE" check --dir "$a" --db "$URL" --shadow-db "$shadow" --format json
json_check "$OUT" "[f['rule'] for s in d['stages'] if s['name'] == 'lint' for f in s['findings'] if f['severity'] == 'error'] == ['in-flight-conflict'] and [s['status'] for s in d['stages'] if s['name'] == 'lint'] == ['failed']"
expect_exit 0 "$MIGRATE" check --dir "$a" --shadow-db "$shadow"

# constraining the column B added (B's undo is all the history knows of it) conflicts too
add "$a" 0003_a_mail.sql <<<$'-- migrate:expand\nALTER TABLE users ADD CONSTRAINT users_nick_key UNIQUE (nick);\n'
expect_exit 1 at "$a" up
expect_contains "$ERR" "this statement constrains column users.nick, which 2_b_email_idx (in flight: expanded on the database, not in this checkout) creates column users.nick"
[ "$(q "SELECT count(*) FROM pg_constraint WHERE conname = 'users_nick_key'")" = 0 ] ||
	fail "the refused constraint was added"

# a change of something B does not touch goes on
add "$a" 0003_a_mail.sql <<<$'-- migrate:expand\nALTER TABLE users ADD COLUMN phone text;\n'
expect_exit 0 at "$a" up --phase expand
[ "$(phase_of 3)" = expanded ] || fail "0003 is $(phase_of 3), not expanded"

# an allow comment lets a conflict through, as for any rule
add "$a" 0004_a_nick.sql <<<$'-- migrate:expand\n-- migrate:allow in-flight-conflict -- agreed with B\nCREATE UNIQUE INDEX CONCURRENTLY users_nick_key ON users (nick);\n'
expect_exit 0 at "$a" up --phase expand
[ "$(q "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'users_nick_key' AND i.indisvalid")" = 1 ] ||
	fail "the allowed unique index was not built"

# this checkout's own 0003, only expanded, is in flight for a later one that constrains its column
add "$a" 0005_a_phone.sql <<<$'-- migrate:expand\nALTER TABLE users ADD CONSTRAINT phone_short CHECK (length(phone) < 20) NOT VALID;\n'
expect_exit 1 at "$a" up --phase expand
expect_contains "$ERR" "which 3_a_mail (in flight: expanded on the database) creates column users.phone"
[ "$(phase_of 5)" = pending ] || fail "0005 is $(phase_of 5) after the refusal"
expect_exit 1 "$MIGRATE" lint --dir "$a" --db "$URL"
expect_contains "$OUT" "0005_a_phone.sql:2:"
# plain up contracts 0003 before 0005 expands: nothing in flight of this checkout is in the way
expect_exit 0 at "$a" up
[ "$(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")" = "1:contracted 2:expanded 3:contracted 4:contracted 5:contracted" ] ||
	fail "history after up: $(q "SELECT string_agg(version || ':' || phase, ' ' ORDER BY version) FROM migrate.history")"
[ "$(q "SELECT count(*) FROM pg_constraint WHERE conname = 'phone_short'")" = 1 ] ||
	fail "0005's constraint is missing"

pass
