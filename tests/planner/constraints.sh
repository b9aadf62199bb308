#!/usr/bin/env bash
# The planner's lock-free forms of indexes and constraints, each through
# expand, contract and both reverts: CREATE INDEX becomes CONCURRENTLY; ADD
# FOREIGN KEY / CHECK become NOT VALID plus VALIDATE; ADD UNIQUE / PRIMARY
# KEY build the index concurrently and attach it with USING INDEX; SET NOT
# NULL becomes a validated check in expand and the real NOT NULL in contract.
. "$(dirname "$0")/lib.sh"

# ---- CREATE INDEX → CONCURRENTLY ----
start_case index "
CREATE TABLE t (id bigint PRIMARY KEY, a int, b text);
INSERT INTO t SELECT g, g % 17, 'b' || g FROM generate_series(1, 2000) g;" "
CREATE INDEX t_a_idx ON t (a);
CREATE UNIQUE INDEX t_b_key ON t (b) WHERE b IS NOT NULL;
CREATE INDEX ON t (lower(b), a);"
expand_case
expect_planned '^CREATE INDEX CONCURRENTLY t_a_idx ON t'
expect_planned '^CREATE UNIQUE INDEX CONCURRENTLY t_b_key ON t'
expect_planned '^CREATE INDEX CONCURRENTLY ON t'
expect_not_planned '^CREATE (UNIQUE )?INDEX [^C]'
expect_in index.expanded "index CREATE INDEX t_lower_a_idx ON public.t USING btree (lower(b), a)"
finish_case

# ---- CREATE INDEX on a partitioned table: ON ONLY, each partition
# concurrently, then ATTACH; named as PostgreSQL names them ----
start_case partitioned "
CREATE TABLE kinds (k text PRIMARY KEY);
INSERT INTO kinds SELECT 'k' || g FROM generate_series(0, 6) g;
CREATE TABLE ev (id bigint, at date, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE ev_2027 PARTITION OF ev FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
INSERT INTO ev SELECT g, date '2026-06-01' + g % 400, 'k' || g % 7 FROM generate_series(1, 2000) g;" "
CREATE INDEX ev_kind_idx ON ev (kind);
CREATE UNIQUE INDEX ON ev (at, id);
ALTER TABLE ev ADD CONSTRAINT ev_kind_fk FOREIGN KEY (kind) REFERENCES kinds (k);"
expand_case
expect_planned '^CREATE INDEX ev_kind_idx ON ONLY ev USING btree \(kind\)$'
expect_planned '^CREATE INDEX CONCURRENTLY ev_2026_kind_idx ON public.ev_2026 USING btree \(kind\)$'
expect_planned '^ALTER INDEX "ev_kind_idx" ATTACH PARTITION "public"."ev_2027_kind_idx"$'
expect_planned '^CREATE UNIQUE INDEX ev_at_id_idx ON ONLY ev'
expect_not_planned 'CONCURRENTLY [a-z_]* ON (public\.)?ev '
expect_in partitioned.expanded "index CREATE INDEX ev_kind_idx ON ONLY public.ev USING btree (kind)"
expect_planned '^ALTER TABLE public.ev_2027 ADD CONSTRAINT ev_kind_fk FOREIGN KEY \(kind\) REFERENCES kinds ?\(k\) NOT VALID$'
expect_planned '^ALTER TABLE "public"."ev_2027" VALIDATE CONSTRAINT "ev_kind_fk"$'
expect_planned '^ALTER TABLE ev ADD CONSTRAINT ev_kind_fk FOREIGN KEY \(kind\) REFERENCES kinds ?\(k\)$'
if sql -c "INSERT INTO ev VALUES (9001, '2026-07-01', 'nope')" >/dev/null 2>&1; then
	fail "partitioned: a row without a kind got in"
fi
expect_q "every index valid" "SELECT count(*) FROM pg_index WHERE NOT indisvalid" 0
finish_case

# ADD UNIQUE on a partitioned table: PostgreSQL takes no USING INDEX there, refused
echo "ALTER TABLE ev ADD CONSTRAINT ev_kind_at_key UNIQUE (kind, at);" >"$MIG/0003_unique.sql"
expect_exit 0 mg up --phase expand --to 2
data_snapshot partitioned.before_unique
expect_exit 2 mg up --phase expand
expect_contains "$ERR" "0003_unique.sql:1:1: error: 'ev' is partitioned: PostgreSQL takes no ADD CONSTRAINT ... USING INDEX on it, so ADD UNIQUE is not planned"
data_snapshot partitioned.after_unique
expect_same partitioned.before_unique partitioned.after_unique "partitioned: a refused plan changed the database"

# a partition partitioned itself: refused, nothing built
NO_REFERENCE=1 start_case subpartitioned "
CREATE TABLE ev (id bigint, at date, kind text) PARTITION BY RANGE (at);
CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
  PARTITION BY LIST (kind);
CREATE TABLE ev_2026_a PARTITION OF ev_2026 FOR VALUES IN ('a');" "
CREATE INDEX ev_kind_idx ON ev (kind);"
expect_exit 2 mg up --phase expand
expect_contains "$ERR" "0002_change.sql:2:1: error: partition 'ev_2026' of 'ev' is partitioned itself"
data_snapshot subpartitioned.after
expect_same subpartitioned.before subpartitioned.after "subpartitioned: a refused plan changed the database"

# ---- an index and a constraint whose names need quotes keep them ----
read -r -d '' QUOTED_CHANGE <<'SQL' || true
CREATE INDEX "Note Idx" ON "T" ("Note");
ALTER TABLE "T" ADD CONSTRAINT "Note-Check" CHECK ("Note" <> 'x');
ALTER TABLE "T" ADD CONSTRAINT "FooKey" UNIQUE ("Id", "Note");
CREATE INDEX "order" ON "T" ("Note", "Id");
SQL
start_case quoted_names '
CREATE TABLE "T" ("Id" bigint PRIMARY KEY, "Note" text);
INSERT INTO "T" SELECT g, $$n$$ || g FROM generate_series(1, 500) g;' "
$QUOTED_CHANGE"
expand_case
expect_planned '^CREATE INDEX CONCURRENTLY "Note Idx" ON "T"'
expect_planned '^ALTER TABLE "T" ADD CONSTRAINT "Note-Check" CHECK'
expect_planned '^CREATE INDEX CONCURRENTLY "order" ON "T"'
finish_case

# ---- ADD FOREIGN KEY → NOT VALID + VALIDATE ----
start_case fk "
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE child (id bigint PRIMARY KEY, pid bigint, other bigint);
INSERT INTO parent SELECT g FROM generate_series(1, 10) g;
INSERT INTO child SELECT g, g % 10 + 1, g % 5 + 1 FROM generate_series(1, 1000) g;" "
ALTER TABLE child ADD CONSTRAINT child_pid_fkey FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE CASCADE;
ALTER TABLE child ADD FOREIGN KEY (other) REFERENCES parent;"
expand_case
expect_planned '^ALTER TABLE child ADD CONSTRAINT child_pid_fkey FOREIGN KEY .* NOT VALID$'
expect_planned 'VALIDATE CONSTRAINT "child_pid_fkey"'
expect_planned 'ADD CONSTRAINT child_other_fkey FOREIGN KEY .* NOT VALID$'
expect_planned 'VALIDATE CONSTRAINT "child_other_fkey"'
expect_in fk.expanded "constraint public.child child_other_fkey FOREIGN KEY (other) REFERENCES parent(id)"
finish_case

# a row that breaks the key: VALIDATE fails, the phase stops there, revert cleans up
NO_REFERENCE=1 start_case fk_broken "
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE child (id bigint PRIMARY KEY, pid bigint);
INSERT INTO parent VALUES (1);
INSERT INTO child VALUES (1, 1), (2, 99);" "
ALTER TABLE child ADD CONSTRAINT child_pid_fkey FOREIGN KEY (pid) REFERENCES parent (id);"
expect_exit 3 mg up --phase expand
expect_contains "$ERR" "child_pid_fkey"
expect_exit 0 mg revert --to 1
data_snapshot fk_broken.reverted
expect_same fk_broken.before fk_broken.reverted "a failed VALIDATE did not revert to the start"

# ---- ADD CHECK → NOT VALID + VALIDATE ----
start_case check "
CREATE TABLE t (id bigint PRIMARY KEY, qty int, price numeric);
INSERT INTO t SELECT g, g, g * 1.5 FROM generate_series(1, 1000) g;" "
ALTER TABLE t ADD CONSTRAINT t_qty_positive CHECK (qty > 0);
ALTER TABLE t ADD CONSTRAINT t_price_sane CHECK (price >= 0 AND price < qty * 10);"
expand_case
expect_planned '^ALTER TABLE t ADD CONSTRAINT t_qty_positive CHECK \(qty > 0\) NOT VALID$'
expect_planned 'VALIDATE CONSTRAINT "t_price_sane"'
finish_case

# ---- ADD UNIQUE → concurrent unique index + USING INDEX ----
start_case unique "
CREATE TABLE t (id bigint PRIMARY KEY, code text, a int, b int);
INSERT INTO t SELECT g, 'c' || g, g % 100, g / 100 FROM generate_series(1, 2000) g;" "
ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE (code);
ALTER TABLE t ADD UNIQUE (a, b);"
expand_case
expect_planned '^CREATE UNIQUE INDEX CONCURRENTLY "t_code_key" ON "t" \("code"\)$'
expect_planned 'ADD CONSTRAINT "t_code_key" UNIQUE USING INDEX "t_code_key"'
expect_planned 'ADD CONSTRAINT "t_a_b_key" UNIQUE USING INDEX "t_a_b_key"'
expect_in unique.expanded "constraint public.t t_a_b_key UNIQUE (a, b)"
finish_case

# ---- ADD PRIMARY KEY on a NOT NULL column and on a nullable one ----
start_case pk "
CREATE TABLE t (id bigint NOT NULL, note text);
INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 1000) g;" "
ALTER TABLE t ADD PRIMARY KEY (id);"
expand_case
expect_planned '^CREATE UNIQUE INDEX CONCURRENTLY "t_pkey" ON "t" \("id"\)$'
expect_planned 'ADD CONSTRAINT "t_pkey" PRIMARY KEY USING INDEX "t_pkey"'
expect_not_planned 'CHECK'
finish_case

start_case pk_nullable "
CREATE TABLE t (code text, note text);
INSERT INTO t SELECT 'c' || g, 'n' || g FROM generate_series(1, 1000) g;" "
ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (code);"
expand_case
# the NOT NULL that PRIMARY KEY implies comes from a validated check, not a scan under lock
expect_planned 'CHECK \("code" IS NOT NULL\) NOT VALID'
expect_in pk_nullable.expanded "constraint public.t t_pkey PRIMARY KEY (code)"
expect_in pk_nullable.expanded "column public.t.code text not null"
finish_case

# ---- SET NOT NULL → validated check, then SET NOT NULL in contract ----
start_case not_null "
CREATE TABLE t (id bigint PRIMARY KEY, status text DEFAULT 'new');
INSERT INTO t SELECT g, 's' || g FROM generate_series(1, 1000) g;" "
ALTER TABLE t ALTER COLUMN status SET NOT NULL;"
expand_case
expect_planned 'ADD CONSTRAINT "t_status_not_null_v2" CHECK \("status" IS NOT NULL\) NOT VALID'
expect_in not_null.expanded "column public.t.status text default 'new'::text"
expect_in not_null.expanded "constraint public.t t_status_not_null_v2 CHECK ((status IS NOT NULL))"
# during the transition a NULL is refused already, the default still applies
if sql -c "INSERT INTO t (id, status) VALUES (5000, NULL)" >/dev/null 2>&1; then
	fail "not_null: a NULL got in while the check stands"
fi
sql -c "INSERT INTO t (id) VALUES (5000); DELETE FROM t WHERE id = 5000" >/dev/null ||
	fail "not_null: an insert relying on the default was refused"
finish_case

pass
