#!/usr/bin/env bash
# The restores that used to run as one table-wide UPDATE under the table's
# lock now run in keyset batches too: a type change with USING, a DROP
# COLUMN on a table whose primary key has two columns, and a primary key's own
# type change. The app writes after the contract, and again while the revert
# is stopped between two batches (killed); the revert, run again, gives every
# row its newest value and the rows nobody touched the values they held.
. "$(dirname "$0")/lib.sh"

CASE=batched
new_db batched
migration 0001_setup.sql <<'SQL'
CREATE TABLE u (id bigint PRIMARY KEY, s text NOT NULL, n int);
INSERT INTO u SELECT g, 'x' || g, g FROM generate_series(1, 1000) g;
CREATE TABLE k (a int, b text, v text, d text NOT NULL DEFAULT 'dd', PRIMARY KEY (a, b));
CREATE INDEX k_d_idx ON k (d);
INSERT INTO k SELECT g % 10, 'b' || g, 'v' || g, 'd' || g FROM generate_series(1, 1000) g;
CREATE TABLE p (id int PRIMARY KEY, x text);
INSERT INTO p SELECT g, 'x' || g FROM generate_series(1, 1000) g;
CREATE TABLE c (id int PRIMARY KEY, p_id int CONSTRAINT c_p_fk REFERENCES p);
INSERT INTO c SELECT g, g FROM generate_series(1, 100) g;
SQL
migration 0002_change.sql <<'SQL'
-- migrate:expand
ALTER TABLE u ALTER COLUMN s TYPE integer USING length(s);
ALTER TABLE p ALTER COLUMN id TYPE bigint;
-- migrate:contract
ALTER TABLE k DROP COLUMN d;
SQL
expect_exit 0 mg up --to 1
expect_exit 0 mg up --phase expand --batch-size 300
snapshot "$T/batched.expanded"
expect_exit 0 mg up --phase contract
[ "$(phase_of 2)" = contracted ] || fail "0002 is $(phase_of 2) after contract"
expect_q "the USING's trash keeps the new column's values" \
	"SELECT count(*) FROM migrate_trash.v2_u_s WHERE s__v2 = length(s)" 1000

# the new app, after the contract
sql >/dev/null <<'SQL' || fail "the app's writes after the contract failed"
UPDATE u SET s = 5000 + id WHERE id % 7 = 0;
UPDATE u SET n = -n WHERE id % 5 = 0;
INSERT INTO u (id, s) VALUES (5001, 42);
DELETE FROM u WHERE id % 11 = 0;
INSERT INTO k (a, b, v) VALUES (1, 'new', 'vn');
DELETE FROM k WHERE b = 'b13';
UPDATE p SET x = 'new' || id WHERE id % 3 = 0;
UPDATE p SET id = 7000 WHERE id = 999;
INSERT INTO p (id, x) VALUES (5001, 'ins');
SQL

# every restore in batches, no long lock left
expect_exit 0 mg revert --dry-run
expect_contains "$OUT" "in keyset batches along \"a\", \"b\""
expect_contains "$OUT" "in keyset batches along \"id__v2\""
expect_eq "restores in batches" "$(grep -c -- '-- restore: keyset batches' "$OUT")" 3
expect_not_contains "$OUT" "long lock"

# killed after every two batches of 100 (each run resumes where the last one
# stopped) until the restore of u.s is cut off midway; the app writes, the
# revert runs again
in_u_restore="SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'u'::regclass AND attname = 's' AND atttypid = 'text'::regtype) AND EXISTS (SELECT FROM migrate.backfills WHERE version = 2 AND unit < -1 AND last_key IS NOT NULL)"
kills=0
while [ "$(q "$in_u_restore")" = f ]; do
	MIGRATE_TEST_CRASH_AFTER_BATCHES=2 expect_exit $KILLED mg revert --batch-size 100
	kills=$((kills + 1))
	[ "$kills" -le 20 ] || fail "the revert never got to the restore of u.s"
done
[ "$(phase_of 2)" = contracted ] || fail "0002 is $(phase_of 2) after the killed revert"
expect_q "u.s restored in part" "SELECT count(*) FILTER (WHERE s IS NULL) > 0 AND count(*) FILTER (WHERE s IS NOT NULL) > 0 FROM u" t
expect_q "the rows written next are not restored yet" "SELECT count(*) FROM u WHERE id IN (996, 997, 998) AND s IS NULL" 3
# the rows the restores have not reached yet: another column, then the old one
sql >/dev/null <<'SQL' || fail "the app's writes during the revert failed"
UPDATE u SET n = 100000 + id WHERE id IN (996, 997);
UPDATE u SET s = 'during' WHERE id = 998;
SQL
expect_exit 0 mg revert --batch-size 100
expect_contains "$OUT" "resuming after step"
[ "$(phase_of 2)" = expanded ] || fail "0002 is $(phase_of 2) after the revert"
no_leftovers "after the revert"
expect_q "the revert's own triggers are gone" \
	"SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'migrate_unsync%'" 0

# USING: the old value where the new column still holds what it held at the
# contract, the new column cast back where the app changed it
expect_q "s's type" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'u'::regclass AND attname = 's'" text
expect_q "rows nobody changed" \
	"SELECT count(*) FROM u WHERE id <= 1000 AND id % 7 <> 0 AND id <> 998 AND s IS DISTINCT FROM 'x' || id" 0
expect_q "rows whose new column the app changed" \
	"SELECT count(*) FROM u WHERE id % 7 = 0 AND s IS DISTINCT FROM (5000 + id)::text" 0
expect_q "a row the app wrote while the revert stood" "SELECT s || ' ' || s__v2 FROM u WHERE id = 998" "during 6"
expect_q "rows whose other column the app wrote while the revert stood" \
	"SELECT string_agg(s || ' ' || s__v2 || ' ' || n, ',' ORDER BY id) FROM u WHERE id IN (996, 997)" \
	"x996 4 100996,x997 4 100997"
expect_q "new column of the rows nobody changed" \
	"SELECT count(*) FROM u WHERE id <= 1000 AND id % 7 <> 0 AND id <> 998 AND s__v2 IS DISTINCT FROM length(s)" 0
expect_q "a row inserted after the contract" "SELECT s FROM u WHERE id = 5001" 42
expect_q "the other column" \
	"SELECT count(*) FROM u WHERE id NOT IN (996, 997) AND n IS DISTINCT FROM CASE WHEN id > 1000 THEN NULL WHEN id % 5 = 0 THEN -id ELSE id END" 0
expect_q "s NOT NULL again" "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'u'::regclass AND attname = 's'" t

# the key of two columns: d back from the trash, the default for new rows
expect_q "d of the rows that were there" \
	"SELECT count(*) FROM k WHERE b <> 'new' AND d IS DISTINCT FROM 'd' || substr(b, 2)" 0
expect_q "d of a row inserted after the contract" "SELECT d FROM k WHERE b = 'new'" dd
expect_q "a row deleted after the contract" "SELECT count(*) FROM k WHERE b = 'b13'" 0
expect_q "d's index" "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('k_d_idx') AND indisvalid" 1

# the primary key's type change: the key back, its values the newest
expect_q "id's type" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'p'::regclass AND attname = 'id'" integer
expect_q "rows where id and its shadow differ" "SELECT count(*) FROM p WHERE id IS DISTINCT FROM id__v2" 0
expect_q "ids" "SELECT count(*) || ' ' || max(id) FILTER (WHERE id < 5000) FROM p" "1001 1000"
expect_q "a key changed and a row inserted after the contract" \
	"SELECT string_agg(id || '=' || x, ',' ORDER BY id) FROM p WHERE id > 1000" "5001=ins,7000=new999"
expect_q "the primary key" "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'p'::regclass AND contype = 'p'" "PRIMARY KEY (id)"
expect_q "the foreign key, validated" "SELECT convalidated FROM pg_constraint WHERE conname = 'c_p_fk'" t
snapshot "$T/batched.reverted"
expect_same "$T/batched.expanded" "$T/batched.reverted" "the catalogue after reverting the contract"

expect_exit 0 mg revert --batch-size 100
[ "$(phase_of 2)" = pending ] || fail "0002 is $(phase_of 2) after reverting expand"
expect_q "the trash after reverting both phases" "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrate_trash'" 0
pass
