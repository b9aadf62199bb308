#!/usr/bin/env bash
# Bad usage and bad input stop the gate with exit 2 and a clear word, before
# any database is touched; --help describes every stage and option.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$MIGRATE" check --help
for word in "usage: migrate check" lint replay round-trip lock-trace drift --shadow-db \
	MIGRATE_SHADOW_DB --db --format "sarif" "junit" "github" --report GITHUB_STEP_SUMMARY \
	"exit status"; do
	expect_contains "$OUT" "$word"
done
expect_not_contains "$OUT" "not built"
expect_exit 0 "$MIGRATE" --help
expect_match "$OUT" "^  check +The CI gate"
expect_not_contains "$OUT" "(not built yet)"

copy_example m
expect_exit 2 "$MIGRATE" check --dir m --format yaml
expect_contains "$ERR" "unknown format 'yaml'"
expect_exit 2 "$MIGRATE" check --dir m --frobnicate
expect_contains "$ERR" "unknown option '--frobnicate'"
expect_exit 2 "$MIGRATE" check --dir m --report sarif
expect_contains "$ERR" "--report takes FORMAT=FILE"
expect_exit 2 "$MIGRATE" check --dir m --report xml=out.xml
expect_exit 2 "$MIGRATE" check --dir m extra
expect_contains "$ERR" "unexpected argument 'extra'"
expect_exit 2 "$MIGRATE" check --dir missing-dir
expect_contains "$ERR" "no migrations directory 'missing-dir'"

# the shadow database is destroyed: it may not be the shared one
expect_exit 2 "$MIGRATE" check --dir m --db "host=/nonexistent dbname=x" \
	--shadow-db "host=/nonexistent dbname=x"
expect_contains "$ERR" "must not be the shared database"

# unparseable SQL is bad input, named at its line
mkdir bad
printf -- '-- migrate:expand\nCREATE TABLE t (id bigint PRIMARY KEY);\nALTER TABLE t ADD COLUMN;\n' \
	>bad/0001_broken.sql
expect_exit 2 "$MIGRATE" check --dir bad --shadow-db "host=/nonexistent dbname=x"
expect_contains "$ERR" "bad/0001_broken.sql:3:"
pass
