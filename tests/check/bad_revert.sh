#!/usr/bin/env bash
# A hand-written revert that does not undo everything fails the round trip
# (exit 1) at the revert section's line, and shows what it left behind; one
# that removes too much shows that too. The migrations after it are still
# checked on a shadow database built again.
. "$(dirname "$0")/lib.sh"
need_pg

shadow=$(new_db shadow)
mkdir m
cat >m/0001_create_orders.sql <<'SQL'
-- migrate:expand
CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new');
CREATE INDEX orders_status_idx ON orders (status);
SQL
cat >m/0002_add_note.sql <<'SQL'
-- migrate:expand
ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);

-- migrate:revert-expand
-- forgets the column
DROP INDEX CONCURRENTLY orders_note_idx;
SQL
cat >m/0003_add_priority.sql <<'SQL'
-- migrate:expand
ALTER TABLE orders ADD COLUMN priority integer;

-- migrate:revert-expand
ALTER TABLE orders DROP COLUMN priority;
DROP INDEX orders_status_idx;
SQL
cat >m/0004_add_source.sql <<'SQL'
-- migrate:expand
ALTER TABLE orders ADD COLUMN source text;
SQL

expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow"
expect_match "$OUT" "^round-trip +failed "
expect_contains "$OUT" "m/0002_add_note.sql:5:1: error[revert-incomplete]: the hand-written revert-expand did not bring the schema back to what it was before expand: 1 difference"
expect_contains "$OUT" "left behind: column public.orders.note (text)"
expect_contains "$OUT" "m/0003_add_priority.sql:4:1: error[revert-incomplete]:"
expect_contains "$OUT" "removed: index public.orders_status_idx (CREATE INDEX orders_status_idx ON public.orders USING btree (status))"
# expand cannot run again while the column is left behind
expect_contains "$OUT" "m/0002_add_note.sql:2:1: error[reapply-failed]: expand after revert-expand failed: column \"note\" of relation \"orders\" already exists"
# the last migration was still replayed and round-tripped
expect_contains "$OUT" "4 migrations expanded and contracted"
expect_contains "$OUT" "2 of 4 migrations: expand, revert"
expect_not_contains "$OUT" "0004_add_source.sql:2:1: error"
pass
