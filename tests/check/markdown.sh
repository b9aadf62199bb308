#!/usr/bin/env bash
# --format markdown, the pull-request comment: a marker line the workflow
# finds its comment by, the stage table, the lock trace table, each
# migration's plan as it ran and its revert proof (the verdict of the round
# trip and the revert steps the shadow database's history recorded), and the
# findings. The Markdown is checked for shape: tables whose rows have as many
# cells as their header, fences that close.
. "$(dirname "$0")/lib.sh"

# md_shape FILE: tables and fences well formed; prints the headings in order
md_shape() {
	python3 - "$1" <<'PY' || fail "$1 is not well-formed Markdown"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "<!-- migrate-check -->", lines[0]
def cells(row):
    row = re.sub(r"\\\|", "", row.strip())
    return len(row.strip("|").split("|"))
fence = None
width = None
for i, l in enumerate(lines, 1):
    s = l.strip()
    m = re.match(r"(`{3,})", s)
    if fence:
        if m and s == fence:
            fence = None
        continue
    if m:
        fence = m.group(1)
        continue
    if s.startswith("|"):
        if width is None:
            width = cells(s)
        else:
            assert cells(s) == width, "line %d: %d cells, header has %d" % (i, cells(s), width)
    else:
        width = None
    if s.startswith("#"):
        print(s)
assert fence is None, "a fence is not closed"
PY
}

usage_exit() {
	expect_exit 2 "$MIGRATE" check --dir m0 "$@"
	expect_contains "$ERR" "$2"
}

mkdir m0
printf -- '-- migrate:expand\nCREATE TABLE t (id bigint PRIMARY KEY);\n' >m0/0001_t.sql
expect_exit 2 "$MIGRATE" check --dir m0 --format markdwn
expect_contains "$ERR" "unknown format 'markdwn'"
expect_exit 2 "$MIGRATE" check --dir m0 --report markdown=
expect_contains "$ERR" "--report takes FORMAT=FILE (formats: text, json, github, sarif, junit, markdown)"

# no shadow database: the comment still says what failed, and no migration replayed
expect_exit 1 "$MIGRATE" check --dir m0 --shadow-db "host=$T/nowhere dbname=x" --format markdown
cp "$OUT" noshadow.md
md_shape noshadow.md >headings.txt
expect_contains noshadow.md "## migrate check: **failed**"
expect_contains noshadow.md "| replay | **failed** |"
expect_contains noshadow.md "Nothing was traced."
expect_contains noshadow.md "Not replayed."
expect_contains noshadow.md '- **error** `shadow-unavailable` (replay): '

need_pg
shadow=$(new_db shadow)
events_hidden_rewrite m
cat >m/0003_add_kind.sql <<'SQL'
-- migrate:expand
ALTER TABLE events ADD COLUMN kind text;
CREATE INDEX CONCURRENTLY events_kind ON events (kind);

-- migrate:contract
ALTER TABLE events DROP COLUMN note;
SQL
cat >m/0004_add_flag.sql <<'SQL'
-- migrate:expand
ALTER TABLE events ADD COLUMN flag boolean;

-- migrate:revert-expand
SELECT 1;
SQL

expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow" --format markdown --report "markdown=$T/report.md" \
	--report "json=$T/report.json"
cp "$OUT" out.md
md_shape out.md >headings.txt
cat >want-headings.txt <<'TXT'
## migrate check: **failed**
### Lock trace
### Migrations
#### `m/0001_create_events.sql`
#### `m/0002_widen_amount.sql`
#### `m/0003_add_kind.sql`
#### `m/0004_add_flag.sql`
### Findings
TXT
expect_same headings.txt want-headings.txt "the comment's sections"
# the file of --report is the same report (times aside)
sed -E 's/[0-9.]+ m?s\b/T/g' out.md >a.md
sed -E 's/[0-9.]+ m?s\b/T/g' report.md >b.md
expect_same a.md b.md "--report markdown=FILE differs from --format markdown"

# the lock trace table: the rewrite hidden in the DO block, as the JSON report has it
expect_match out.md '^\| `m/0002_widen_amount.sql:2` ` DO \$\$ BEGIN EXECUTE .* \| expand \| ` events ` \| \*\*ACCESS EXCLUSIVE\*\* \| [0-9.]+ m?s \| \*\*yes\*\* \| '
python3 - report.json out.md <<'PY' || fail "the lock trace table does not hold the traced locks"
import json, re, sys
trace = json.load(open(sys.argv[1]))["lock_trace"]
want = sorted((t["file"], t["line"], t["phase"], l["table"]) for t in trace for l in t["locks"])
rows = []
section = None
for line in open(sys.argv[2]):
    if line.startswith("### "):
        section = line.strip()
    m = re.match(r"\| `([^`:]+):(\d+)` `+ .* ` \| (\w+) \| ` (\S+) ` \|", line)
    if section == "### Lock trace" and m:
        rows.append((m.group(1), int(m.group(2)), m.group(3), m.group(4)))
assert want and sorted(rows) == want, (rows, want)
PY

# each migration's plan as it ran: the CONCURRENTLY alone, the rest in a transaction
awk '/^#### `m\/0003_add_kind.sql`/{on=1; next} /^#### /{on=0} on' out.md >m3.md
expect_match m3.md '^\| expand \| 2 \| ` ALTER TABLE events ADD COLUMN kind text ` \| in a transaction \|$'
expect_match m3.md '^\| expand \| 3 \| ` CREATE INDEX CONCURRENTLY events_kind ON events USING btree \(kind\) ` \| alone, outside a transaction \|$'
expect_match m3.md '^\| contract \| 6 \| ` ALTER TABLE events DROP note ` \| in a transaction \|$'
# its revert proof: both round trips held, with the steps the revert ran
expect_contains m3.md "- expand, revert, expand: the catalogue came back as it was, and again as after it"
expect_contains m3.md "- contract, revert, contract: the catalogue came back as it was, and again as after it"
expect_contains m3.md '<details><summary>the revert of expand: 2 steps</summary>'
expect_contains m3.md '  DROP INDEX CONCURRENTLY IF EXISTS "events_kind"'
expect_contains m3.md '  ALTER TABLE "events" DROP COLUMN IF EXISTS "kind"'
expect_contains m3.md '  ALTER TABLE "events" ADD COLUMN "note" text'

awk '/^#### `m\/0001_create_events.sql`/{on=1; next} /^#### /{on=0} on' out.md >m1.md
expect_contains m1.md '  DROP TABLE "events"'
expect_contains m1.md "- contract, revert, contract: nothing to undo: the contract changed nothing"

# a revert that does not undo its expand: the proof says it failed, the finding says why
awk '/^#### `m\/0004_add_flag.sql`/{on=1; next} /^#### /{on=0} on' out.md >m4.md
expect_contains m4.md "- expand, revert, expand: **failed** (see the findings)"
expect_contains m4.md '  SELECT 1'
expect_contains out.md '- **error** `revert-incomplete` (round-trip) `m/0004_add_flag.sql:4`: '
expect_contains out.md "  left behind: column public.events.flag (boolean)"

# the revert steps were read from the shadow's history: the shadow is left empty
expect_eq "tables left on the shadow database" \
	"$(q "$shadow" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 0
pass
