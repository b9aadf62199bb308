#!/usr/bin/env bash
# The example app's migrations lint clean, however they are named.
. "$(dirname "$0")/lib.sh"

n_files=$(find "$EXAMPLE" -maxdepth 1 -name '*.sql' | wc -l)
[ "$n_files" -ge 10 ] || fail "migrations-example holds $n_files migrations, expected 10 or more"
summary="$n_files files,"

expect_exit 0 "$MIGRATE" lint "$EXAMPLE"
expect_contains "$OUT" "$summary"
expect_contains "$OUT" ": 0 errors, 0 warnings"
expect_not_contains "$OUT" "help:"
expect_empty "$ERR"

# a trailing slash, and one thread
expect_exit 0 "$MIGRATE" lint --jobs 1 "$EXAMPLE/"
expect_contains "$OUT" ": 0 errors, 0 warnings"

# JSON: the shape DESIGN.md promises, with no findings
expect_exit 0 "$MIGRATE" lint --format json "$EXAMPLE"
json_check "$OUT" "d['findings'] == [] and d['files'] == $n_files and d['statements'] > $n_files"
json_check "$OUT" "sorted(d) == ['files', 'findings', 'statements']"

# --dir instead of a path, after and before the verb, and --dir=DIR
expect_exit 0 "$MIGRATE" lint --dir "$EXAMPLE"
expect_contains "$OUT" "$summary"
expect_exit 0 "$MIGRATE" --dir "$EXAMPLE" lint
expect_contains "$OUT" "$summary"
expect_exit 0 "$MIGRATE" --dir="$EXAMPLE" lint --format json
json_check "$OUT" "d['files'] == $n_files and d['findings'] == []"
expect_exit 0 "$MIGRATE" --quiet --db sqlite:unused.db --lock-timeout 5s --dir "$EXAMPLE" lint
[ ! -e unused.db ] || fail "'migrate lint' created the database"

# the [migrations] dir of migrate.conf, when no path and no --dir is given
printf '[migrations]\ndir = %s\n' "$EXAMPLE" >migrate.conf
expect_exit 0 "$MIGRATE" lint
expect_contains "$OUT" "$summary"
rm migrate.conf

# the default directory is ./migrations
cp -r "$EXAMPLE" migrations
expect_exit 0 "$MIGRATE" lint
expect_contains "$OUT" "$summary"
# files named one by one, in any order, lint as the same set
# shellcheck disable=SC2046
expect_exit 0 "$MIGRATE" lint $(find migrations -name '*.sql' | sort -r)
expect_contains "$OUT" "$summary"
expect_contains "$OUT" ": 0 errors, 0 warnings"

# the style rules are off by default; the example is clean under them too
cat >migrate.conf <<'CONF'
[lint]
enable = prefer-bigint, prefer-text, prefer-timestamptz, prefer-identity, prefer-jsonb, no-char
CONF
expect_exit 0 "$MIGRATE" lint
expect_contains "$OUT" ": 0 errors, 0 warnings"

# with no migrations directory at all
rm -rf migrations migrate.conf
expect_exit 2 "$MIGRATE" lint
expect_contains "$ERR" "migrations"

pass
