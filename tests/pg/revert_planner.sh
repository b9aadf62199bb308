#!/usr/bin/env bash
# Hand-written reverts beside the planner, and a contract DROP TABLE of a
# table another table's foreign key references.
. "$(dirname "$0")/lib.sh"

# ---- a hand-written revert-expand for a planned SET NOT NULL ----
# The section undoes the statement as written; the CHECK ... NOT VALID the
# planner added goes too: old-app inserts of NULL work again, and the
# migration applies again after the revert.
new_db hand
migration 0001_t.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, name text);
SQL
migration 0002_not_null.sql <<'SQL'
-- migrate:expand
ALTER TABLE t ALTER COLUMN name SET NOT NULL;

-- migrate:revert-expand
ALTER TABLE t ALTER COLUMN name DROP NOT NULL;
SQL
expect_exit 0 mg up --to 1
sql -c "INSERT INTO t VALUES (1, 'a'), (2, 'b')" >/dev/null
data_snapshot hand.before
expect_exit 0 mg up --phase expand
[ "$(q "SELECT count(*) FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'c'")" = 1 ] ||
	fail "the planner added no check (the test would prove nothing)"
expect_exit 0 mg plan 2
expect_contains "$OUT" "ALTER TABLE t ALTER COLUMN name DROP NOT NULL;"
expect_match "$OUT" "DROP CONSTRAINT IF EXISTS"
expect_exit 0 mg revert
expect_eq "checks after revert" \
	"$(q "SELECT count(*) FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'c'")" 0
data_snapshot hand.after
expect_same hand.before hand.after "revert of a planned SET NOT NULL with a hand-written revert"
sql -c "INSERT INTO t VALUES (3, NULL)" >/dev/null
sql -c "DELETE FROM t WHERE id = 3" >/dev/null
expect_exit 0 mg up
expect_eq "name after the second up" "$(q "SELECT is_nullable FROM information_schema.columns WHERE table_name = 't' AND column_name = 'name'")" NO
# and through contract and both reverts
expect_exit 0 mg revert --to 1
data_snapshot hand.after2
expect_same hand.before hand.after2 "revert --to 1 after the second up"

# ---- contract DROP TABLE of a referenced table ----
fk_setup() {
	new_db "$1"
	migration 0001_t.sql <<'SQL'
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint CONSTRAINT child_parent_fk REFERENCES parent);
CREATE TABLE selfref (id bigint PRIMARY KEY, up bigint REFERENCES selfref);
INSERT INTO parent VALUES (1);
INSERT INTO child VALUES (1, 1);
SQL
	expect_exit 0 mg up
}
fk_setup fk
migration 0002_drop.sql <<'SQL'
-- migrate:contract
-- migrate:allow drop-table -- no app reads it
DROP TABLE parent;
SQL
db_state fk.before
expect_exit 2 mg up
expect_eq "message" "$(head -1 "$ERR")" \
	"$MIG/0002_drop.sql:3:1: error: table 'parent' is referenced by foreign key 'child_parent_fk' of 'child': nothing was applied"
expect_contains "$ERR" "help: drop the key first, in the same migration: ALTER TABLE child DROP CONSTRAINT child_parent_fk"
db_state fk.after
expect_same fk.before fk.after "a refused DROP TABLE of a referenced table"

# the key dropped first: accepted, reverted, purged
fk_setup fkok
migration 0002_drop.sql <<'SQL'
-- migrate:contract
ALTER TABLE child DROP CONSTRAINT child_parent_fk;
DROP TABLE parent;
DROP TABLE selfref;
SQL
data_snapshot fkok.before
expect_exit 0 mg up
expect_eq "parent gone" "$(q "SELECT to_regclass('parent') IS NULL")" t
expect_exit 0 mg revert --to 1
data_snapshot fkok.after
expect_same fkok.before fkok.after "revert of a DROP TABLE after its key"
expect_exit 0 mg up
expect_exit 0 mg purge --older-than 0s

# the referencing table dropped in the same statement: accepted
fk_setup fkboth
migration 0002_drop.sql <<'SQL'
-- migrate:contract
DROP TABLE child, parent;
SQL
expect_exit 0 mg up
expect_exit 0 mg purge --older-than 0s
pass
