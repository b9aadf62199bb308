#!/usr/bin/env bash
# ALTER TYPE ... ADD VALUE: lint does not call it irreversible; revert leaves
# the value in place (PostgreSQL cannot remove it, the code reverted to does
# not use it), and applying the migration again after that revert works.
. "$(dirname "$0")/lib.sh"

new_db
migration 0001_mood.sql <<'SQL'
-- migrate:expand
CREATE TYPE mood AS ENUM ('calm');
SQL
migration 0002_add_value.sql <<'SQL'
-- migrate:expand
ALTER TYPE mood ADD VALUE 'happy';
SQL
expect_exit 0 "$MIGRATE" lint "$MIG"
expect_exit 0 mg up
expect_eq "values after up" "$(q "SELECT enum_range(NULL::mood)::text")" "{calm,happy}"
expect_exit 0 mg revert --to 1
expect_eq "history after revert" \
	"$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted"
expect_eq "revert leaves the value" "$(q "SELECT enum_range(NULL::mood)::text")" "{calm,happy}"
expect_exit 0 mg up
expect_eq "values after up again" "$(q "SELECT enum_range(NULL::mood)::text")" "{calm,happy}"
expect_eq "history after up again" \
	"$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:contracted"
pass
