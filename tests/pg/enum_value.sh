#!/usr/bin/env bash
# ALTER TYPE ... ADD VALUE: lint does not call it irreversible; revert leaves
# the value in place (PostgreSQL cannot remove it, the code reverted to does
# not use it) and says so, in its output, in revert --dry-run and in plan;
# the revert's other steps still run; applying the migration again after
# that revert works.
. "$(dirname "$0")/lib.sh"

NOTE="note: leaves enum value 'happy' in type \"mood\": PostgreSQL cannot drop an enum value; harmless"
new_db
migration 0001_mood.sql <<'SQL'
-- migrate:expand
CREATE TYPE mood AS ENUM ('calm');
CREATE TABLE feelings (id int PRIMARY KEY, m mood);
SQL
migration 0002_add_value.sql <<'SQL'
-- migrate:expand
ALTER TYPE mood ADD VALUE 'happy';
ALTER TABLE feelings ADD COLUMN since date;
SQL
expect_exit 0 "$MIGRATE" lint "$MIG"
expect_not_contains "$OUT" "irreversible"
expect_exit 0 mg up --to 1

# not applied yet: the derived revert says it leaves the value
expect_exit 0 mg plan 2
expect_contains "$OUT" "-- revert-expand (derived from the database as it is now):"
expect_contains "$OUT" "-- $NOTE"
expect_contains "$OUT" 'ALTER TABLE "feelings" DROP COLUMN'

expect_exit 0 mg up
expect_eq "values after up" "$(q "SELECT enum_range(NULL::mood)::text")" "{calm,happy}"
expect_eq "column after up" "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 'feelings'::regclass AND attname = 'since'")" 1

# applied: the recorded revert says it too, as a note and not as SQL to run
expect_exit 0 mg plan 2
expect_contains "$OUT" "-- revert-expand (as recorded):"
expect_contains "$OUT" "-- $NOTE"
expect_not_contains "$OUT" "leaves enum value 'happy' in type \"mood\": PostgreSQL cannot drop an enum value; harmless, the code reverted to does not use it;"

db_state "$T/before"
expect_exit 0 mg revert --to 1 --dry-run
expect_contains "$OUT" "would revert-expand 2_add_value (1 step)"
expect_contains "$OUT" "  $NOTE"
db_state "$T/after"
expect_same "$T/before" "$T/after" "revert --dry-run changed the database"

expect_exit 0 mg revert --to 1
expect_contains "$OUT" "reverting expand of 2_add_value ..."
expect_contains "$OUT" "  $NOTE"
expect_eq "history after revert" \
	"$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted"
expect_eq "revert leaves the value" "$(q "SELECT enum_range(NULL::mood)::text")" "{calm,happy}"
expect_eq "revert drops the column" "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 'feelings'::regclass AND attname = 'since' AND NOT attisdropped")" 0

expect_exit 0 mg up
expect_eq "values after up again" "$(q "SELECT enum_range(NULL::mood)::text")" "{calm,happy}"
expect_eq "history after up again" \
	"$(q "SELECT string_agg(version || ':' || phase, ',' ORDER BY version) FROM migrate.history")" \
	"1:contracted,2:contracted"

# RENAME VALUE is turned around, with no note
migration 0003_rename_value.sql <<'SQL'
-- migrate:expand
-- migrate:allow rename-enum-value -- nothing reads the label yet
ALTER TYPE mood RENAME VALUE 'calm' TO 'serene';
SQL
expect_exit 0 mg up
expect_eq "values after rename" "$(q "SELECT enum_range(NULL::mood)::text")" "{serene,happy}"
expect_exit 0 mg revert --to 2
expect_not_contains "$OUT" "leaves enum value"
expect_eq "values after the rename's revert" "$(q "SELECT enum_range(NULL::mood)::text")" "{calm,happy}"
pass
