#!/usr/bin/env bash
# ALTER TYPE ... ADD VALUE in the round trip: revert leaves the value (it
# cannot be dropped) and check accepts that; a revert that changes the type
# otherwise (here: renames an old value away) still fails the round trip.
. "$(dirname "$0")/lib.sh"
need_pg

shadow=$(new_db shadow)
mkdir m
cat >m/0001_mood.sql <<'SQL'
-- migrate:expand
CREATE TYPE mood AS ENUM ('calm', 'it''s fine');
SQL
cat >m/0002_add_value.sql <<'SQL'
-- migrate:expand
ALTER TYPE mood ADD VALUE 'happy' BEFORE 'calm';
SQL
expect_exit 0 "$MIGRATE" check --dir m --shadow-db "$shadow"
expect_match "$OUT" "^round-trip +passed "
expect_contains "$OUT" "2 of 2 migrations: expand, revert, expand, contract, revert, contract"

cat >m/0002_add_value.sql <<'SQL'
-- migrate:expand
ALTER TYPE mood ADD VALUE 'happy';

-- migrate:revert-expand
ALTER TYPE mood RENAME VALUE 'calm' TO 'zen';
SQL
expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow"
expect_match "$OUT" "^round-trip +failed "
expect_contains "$OUT" "m/0002_add_value.sql:4:1: error[revert-incomplete]"
expect_contains "$OUT" "changed: type public.mood: was enum ('calm', 'it''s fine'), now enum ('zen', 'it''s fine', 'happy')"
pass
