#!/usr/bin/env bash
# migrate purge: what contracts kept in migrate_trash (a dropped table, a
# dropped column's values, a dropped serial column's sequence) stays until it
# is older than --older-than; then it goes, and the contract it came from can
# no longer be reverted (revert says why). Also: a dropped serial column comes
# back from the trash with its own sequence, and rows inserted after the
# contract take the column's default (the sequence moves once for each).
. "$(dirname "$0")/lib.sh"

new_db
migration 0001_setup.sql <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, b text NOT NULL DEFAULT 'b0', n bigserial);
CREATE TABLE old_things (id bigint PRIMARY KEY);
INSERT INTO t (id, b) SELECT g, 'v' || g FROM generate_series(1, 5) g;
INSERT INTO old_things VALUES (1), (2);
SQL
migration 0002_contract.sql <<'SQL'
-- migrate:contract
ALTER TABLE t DROP COLUMN b;
ALTER TABLE t DROP COLUMN n;
DROP TABLE old_things;
SQL
expect_exit 0 mg up --to 1
data_snapshot before
expect_exit 0 mg up
trash_objects() {
	q "SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text, ' ' ORDER BY c.relname), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'migrate_trash' AND c.relkind IN ('r', 'S')"
}
expect_eq "the trash after contract" "$(trash_objects)" "s2_t_n:S v2_old_things:r v2_t_b:r v2_t_n:r"
expect_eq "its registry" "$(q "SELECT string_agg(name || ':' || kind, ' ' ORDER BY name) FROM migrate.trash")" \
	"s2_t_n:sequence v2_old_things:table v2_t_b:column v2_t_n:column"

# a row the app inserts after the contract: revert gives it the defaults
sql -c "INSERT INTO t (id) VALUES (99)" >/dev/null || fail "insert after contract failed"
expect_exit 0 mg revert --steps 1
expect_eq "the late row's columns" "$(q "SELECT b || ' ' || n FROM t WHERE id = 99")" "b0 6"
expect_eq "the sequence moved once" "$(q "SELECT last_value FROM t_n_seq")" 6
expect_eq "the sequence belongs to its column again" "$(q "SELECT pg_get_serial_sequence('t', 'n')")" public.t_n_seq
expect_eq "the trash after revert" "$(trash_objects)" ""
sql -c "DELETE FROM t WHERE id = 99; SELECT setval('t_n_seq', 5)" >/dev/null
data_snapshot reverted
expect_same before reverted "reverting the contract did not give the start back"

# ---- purge ----
expect_exit 0 mg up
expect_exit 2 mg purge --older-than soon
expect_contains "$ERR" "--older-than takes a duration"
expect_exit 2 mg purge
expect_contains "$ERR" "--older-than DURATION is required"
# nothing is old enough yet
expect_exit 0 mg purge --older-than 1h
expect_contains "$OUT" "0 trash objects purged"
expect_eq "the trash after a purge of nothing" "$(trash_objects)" "s2_t_n:S v2_old_things:r v2_t_b:r v2_t_n:r"
expect_exit 0 mg purge --older-than 0s
expect_contains "$OUT" "purged s2_t_n"
expect_contains "$OUT" "4 trash objects purged; the contracts they came from can no longer be reverted"
expect_eq "the trash after purge" "$(trash_objects)" ""
expect_eq "its registry after purge" "$(q "SELECT count(*) FROM migrate.trash")" 0
expect_eq "the purge in the events" \
	"$(q "SELECT outcome || ' ' || detail FROM migrate.events WHERE command = 'purge'")" "ok 4 trash objects"
# the contract cannot come back without its data: revert says so, changes nothing
db_state purged
expect_exit 3 mg revert --steps 1
expect_contains "$ERR" "was purged on"
expect_contains "$ERR" "write the revert by hand"
db_state purged_after_revert
expect_same purged purged_after_revert "a refused revert changed the database"
expect_eq "phase after the refused revert" "$(phase_of 2)" contracted
pass
