#!/usr/bin/env bash
# The everyday verbs: `new` scaffolds the next migration, `status` in text
# and JSON, `up --to`, `up --phase`, `revert --steps`, and the dry runs that
# change nothing.
. "$(dirname "$0")/lib.sh"

new_db

# ---- new: the next number, the section markers ----
# a new project gets timestamps unless told otherwise; these tests want numbers
expect_exit 0 mg new --sequential create_users
expect_eq "first file" "$(cat "$OUT")" "$MIG/0001_create_users.sql"
[ -f "$MIG/0001_create_users.sql" ] || fail "new did not create the file it printed"
expect_match "$MIG/0001_create_users.sql" '^-- migrate:expand$'
expect_match "$MIG/0001_create_users.sql" '^-- migrate:contract$'
[ "$(grep -n '^-- migrate:expand$' "$MIG/0001_create_users.sql" | cut -d: -f1)" -lt \
	"$(grep -n '^-- migrate:contract$' "$MIG/0001_create_users.sql" | cut -d: -f1)" ] ||
	fail "expand does not come before contract"
# an empty scaffold lints clean and applies as nothing
expect_exit 0 "$MIGRATE" lint "$MIG"
cat >"$MIG/0001_create_users.sql" <<'SQL'
-- migrate:expand
CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text);

-- migrate:contract
SQL
expect_exit 0 mg new add_x
expect_eq "second file" "$(cat "$OUT")" "$MIG/0002_add_x.sql"
cat >"$MIG/0002_add_x.sql" <<'SQL'
-- migrate:expand
ALTER TABLE users ADD COLUMN x text;
CREATE INDEX CONCURRENTLY users_x_idx ON users (x);

-- migrate:contract
ALTER TABLE users DROP COLUMN legacy;
SQL
expect_exit 0 mg new drop_x_default
cat >"$MIG/0003_drop_x_default.sql" <<'SQL'
-- migrate:expand
ALTER TABLE users ALTER COLUMN x SET DEFAULT 'x';

-- migrate:contract
COMMENT ON COLUMN users.x IS 'the x';
SQL
# numbers are compared as numbers, and the width is kept
touch "$T/keep"
expect_exit 2 mg new 'Bad-Slug'
expect_contains "$ERR" "slug"
[ "$(find "$MIG" -newer "$T/keep" -name '*.sql' | wc -l)" = 0 ] || fail "a refused 'new' created a file"
mkdir "$T/wide"
touch "$T/wide/009_a.sql" "$T/wide/010_b.sql"
expect_exit 0 "$MIGRATE" --dir "$T/wide" new c
expect_eq "after 010" "$(cat "$OUT")" "$T/wide/0011_c.sql"
mkdir "$T/stamps"
touch "$T/stamps/20240101120000_a.sql"
expect_exit 0 "$MIGRATE" --dir "$T/stamps" new b
[[ "$(cat "$OUT")" =~ /20[0-9]{12}_b\.sql$ ]] || fail "timestamps stay timestamps: $(cat "$OUT")"

# ---- status before anything is applied ----
expect_exit 0 mg status
expect_match "$OUT" '^VERSION +NAME +PHASE'
expect_match "$OUT" '^1 +create_users +pending'
expect_match "$OUT" '^3 +drop_x_default +pending'
expect_exit 0 mg status --format json
json_check "$OUT" "[(m['version'], m['name'], m['phase'], m['expanded_at'], m['contracted_at'], m['drift']) for m in d['migrations']] == [(1, 'create_users', 'pending', None, None, False), (2, 'add_x', 'pending', None, None, False), (3, 'drop_x_default', 'pending', None, None, False)]"
[ "$(q "SELECT to_regnamespace('migrate') IS NULL")" = t ] || fail "status wrote to the database"

# ---- dry runs change nothing ----
db_state empty.state
expect_exit 0 mg up --dry-run
expect_contains "$OUT" "would expand 1_create_users"
expect_contains "$OUT" "would contract 2_add_x"
db_state dry.state
expect_same empty.state dry.state "up --dry-run"

# ---- up --to, up --phase ----
expect_exit 0 mg up --to 1
expect_eq "up --to 1" "$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted"
sql -c "INSERT INTO users (id, email, legacy) VALUES (1, 'a@example.com', 'L1'), (2, 'b@example.com', NULL)" >/dev/null
expect_exit 0 mg up --phase expand --to 2
expect_eq "up --phase expand --to 2" "$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:expanded"
[ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name IN ('x', 'legacy')")" = 2 ] ||
	fail "expand of 0002 did not add x, or removed legacy"
expect_exit 0 mg status
expect_match "$OUT" '^2 +add_x +expanded +20[0-9-]+T[0-9:]+Z +-'
expect_match "$OUT" '^3 +drop_x_default +pending'
expect_exit 0 mg up --phase contract
expect_eq "up --phase contract" "$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:contracted"
expect_exit 0 mg up
expect_exit 0 mg status --format json
json_check "$OUT" "[m['phase'] for m in d['migrations']] == ['contracted'] * 3" \
	"all(m['expanded_at'] <= m['contracted_at'] for m in d['migrations'])"
expect_exit 0 mg up
expect_contains "$OUT" "nothing to apply"

# ---- revert --dry-run changes nothing; revert --steps goes phase by phase ----
db_state full.state
expect_exit 0 mg revert --dry-run --steps 3
expect_contains "$OUT" "would revert-contract 3_drop_x_default"
expect_contains "$OUT" "would revert-expand 3_drop_x_default"
expect_contains "$OUT" "would revert-contract 2_add_x"
expect_exit 0 mg revert --dry-run --to 0
expect_contains "$OUT" "would revert-expand 1_create_users"
db_state full.dry
expect_same full.state full.dry "revert --dry-run"
expect_exit 0 mg revert
expect_eq "revert (one phase)" "$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:contracted,3:expanded"
[ "$(q "SELECT col_description('users'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'x')) IS NULL")" = t ] ||
	fail "reverting 0003's contract left the comment"
expect_exit 0 mg revert --steps 2
expect_eq "revert --steps 2" "$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:expanded"
expect_eq "legacy back" "$(q "SELECT string_agg(id || '=' || coalesce(legacy, 'NULL'), ',' ORDER BY id) FROM users")" \
	"1=L1,2=NULL"
expect_exit 0 mg status --format json
json_check "$OUT" "[m['phase'] for m in d['migrations']] == ['contracted', 'expanded', 'pending']" \
	"d['migrations'][1]['contracted_at'] is None and d['migrations'][2]['expanded_at'] is None"
expect_exit 0 mg revert --to 0
expect_exit 0 mg revert
expect_contains "$OUT" "nothing to revert"
snapshot zero.snap
[ "$(wc -l <zero.snap)" = 1 ] || fail "revert --to 0 left objects: $(cat zero.snap)"
pass
