#!/usr/bin/env bash
# --help, --version and every verb's --help: exit 0, text on stdout.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$MIGRATE" --help
expect_contains "$OUT" "usage: migrate"
for verb in lint up revert status plan check new purge; do
	expect_contains "$OUT" "  $verb "
done
expect_empty "$ERR"

expect_exit 0 "$MIGRATE" -h
expect_contains "$OUT" "usage: migrate"

expect_exit 0 "$MIGRATE" --version
expect_match "$OUT" '^migrate [0-9]+\.[0-9]+\.[0-9]+ \(PostgreSQL [0-9]+ grammar, libpg_query from PostgreSQL [0-9]+\.[0-9]+\)$'

for verb in lint up revert status plan check new purge; do
	expect_exit 0 "$MIGRATE" "$verb" --help
	expect_contains "$OUT" "usage: migrate $verb"
	expect_contains "$OUT" "--dir DIR"
	expect_empty "$ERR"
	expect_exit 0 "$MIGRATE" help "$verb"
	expect_contains "$OUT" "usage: migrate $verb"
done

expect_exit 0 "$MIGRATE" lint --help
for flag in --format --raw --jobs --list-rules; do
	expect_contains "$OUT" "$flag"
done

# --help wins wherever it stands, even after other flags
expect_exit 0 "$MIGRATE" lint --format json --help
expect_contains "$OUT" "usage: migrate lint"
expect_exit 0 "$MIGRATE" --dir somewhere lint --help
expect_contains "$OUT" "usage: migrate lint"

pass
