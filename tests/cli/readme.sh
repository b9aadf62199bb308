#!/usr/bin/env bash
# README.md describes the binary as it is: the rule table, the commands that
# are built, the configuration example and the output examples.
# shellcheck disable=SC2016 # sed and awk scripts: $ is theirs, not a variable
. "$(dirname "$0")/lib.sh"

README="$SRCDIR/README.md"
[ -f "$README" ] || fail "no README.md at the top of the source tree"

# ---- the rule table: exactly the catalogue, as the code describes it ----
expect_exit 0 "$MIGRATE" lint --list-rules
cp "$OUT" list
migration 0001_x.sql <<<'SELECT 1;'
expect_exit 0 "$MIGRATE" lint --format sarif 0001_x.sql
cp "$OUT" sarif.json
: >"$OUT"
python3 - "$README" list sarif.json <<'PY' || fail "README.md's rule table does not match the code"
import json, re, sys
readme = open(sys.argv[1]).read().splitlines()
rows = [l for l in readme if re.match(r"^\| `[a-z0-9-]+` \| [a-z]+ \| (error|warning|planned|off) \|", l)]
meta = {r["id"]: r for r in json.load(open(sys.argv[3]))["runs"][0]["tool"]["driver"]["rules"]}
esc = lambda text: text.replace("|", "\\|")
ok = True
for line in open(sys.argv[2]):
    rid, kind, sev, summary = re.match(r"^(\S+) +(\S+) +(\S+) +(.*)$", line.rstrip("\n")).groups()
    want = "| `%s` | %s | %s | %s | %s |" % (rid, kind, sev, esc(summary), esc(meta[rid]["help"]["text"]))
    if want not in rows:
        print("README.md: expected the row\n  " + want, file=sys.stderr)
        ok = False
if len(rows) != len(meta):
    print("README.md lists %d rules, the code has %d" % (len(rows), len(meta)), file=sys.stderr)
    ok = False
sys.exit(0 if ok else 1)
PY

# ---- the rules reported as planned in expand: those of rules.c's *_PLANNED rows ----
grep -oE '^[[:space:]]*[A-Z_]+_PLANNED\("[a-z0-9-]+"' "$SRCDIR/src/lint/rules.c" |
	sed -E 's/^[^"]*"//; s/"$//' | sort >plannable
[ -s plannable ] || fail "found no *_PLANNED rules in src/lint/rules.c"
tr '\n' ' ' <"$README" | sed -nE 's/.*<!-- planned-rules -->(.*)<!-- \/planned-rules -->.*/\1/p' |
	grep -oE '`[a-z0-9-]+`' | tr -d '`' | sort >planned.readme
diff -u plannable planned.readme >planned.diff ||
	fail "README.md's list of planned rules differs from rules.c: $(cat planned.diff)"

# ---- the status table: built or not, as `migrate --help` says ----
"$MIGRATE" --help >help.txt
verbs=$(sed -nE 's/^  ([a-z]+) +[A-Z].*$/\1/p' help.txt)
[ -n "$verbs" ] || fail "no commands found in 'migrate --help'"
for verb in $verbs; do
	if grep -qE "^  $verb .*\\(not built yet\\)$" help.txt; then
		state="not built yet"
	else
		state="works"
	fi
	grep -qF "| \`migrate $verb\` | $state |" "$README" ||
		fail "README.md's status table lacks '| \`migrate $verb\` | $state |'"
done

# ---- the usage blocks: each verb's options, as its --help's usage line has them ----
for verb in $verbs; do
	"$MIGRATE" "$verb" --help >"help.$verb" || fail "'migrate $verb --help' failed"
done
# shellcheck disable=SC2086 # one argument per verb
python3 - "$README" $verbs <<'PY' || fail "README.md's usage blocks differ from the verbs' usage lines"
import re, sys
readme, verbs = open(sys.argv[1]).read().splitlines(), sys.argv[2:]
common = {"--db", "--url", "--env-file", "--dir", "--lock-timeout", "--config", "--quiet",
          "--verbose", "--help"}
def options(lines):
    return {o for l in lines for o in re.findall(r"--[a-z][a-z-]*", l)} - common
# in README's plain ``` blocks: the lines that start with "migrate VERB", and their
# continuation lines (indented, starting with '[')
found, fence, current = {v: [] for v in verbs}, None, None
for l in readme:
    if l.startswith("```"):
        fence = None if fence is not None else l[3:]
        current = None
        continue
    if fence != "":
        continue
    m = re.match(r"^migrate ([a-z]+)\b", l)
    if m:
        current = m.group(1)
        if current in found:
            found[current].append(l)
    elif current in found and re.match(r"^ +\[", l):
        found[current].append(l)
    else:
        current = None
ok = True
for v in verbs:
    help = open("help." + v).read().split("\n\n")[0]  # "usage: ..." up to the first blank line
    want = options(help.splitlines())
    if not found[v]:
        print("README.md has no usage block line for 'migrate %s'" % v, file=sys.stderr)
        ok = False
        continue
    got = options(found[v])
    if got != want:
        print("README.md's usage of 'migrate %s' lists %s; its --help lists %s"
              % (v, sorted(got), sorted(want)), file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
PY

# ---- the configuration examples are accepted as written, all in one file (their dirs pointed here) ----
migration m/0001_create_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY, legacy_login text);'
migration m/0002_drop_login.sql <<<'ALTER TABLE users DROP COLUMN legacy_login;'
sed -n '/^```ini$/,/^```$/p' "$README" | grep -v '^```' | sed -E 's|^dir = [^ ]+|dir = m|' >migrate.conf
grep -q '^\[target "' migrate.conf || fail "no [target] example found in README.md"
grep -q '^\[rules\]' migrate.conf || fail "no INI example found in README.md"
expect_exit 1 "$MIGRATE" lint
expect_contains "$OUT" "m/0002_drop_login.sql:1:1: error[drop-column]"
rm migrate.conf

# ---- the text and JSON examples are what lint prints for their input ----
mkdir -p ex/migrations
cat >ex/migrations/0001_create_users.sql <<'SQL'
CREATE TABLE users (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	email text NOT NULL,
	legacy_login text
);
SQL
cat >ex/migrations/0002_users_email_index.sql <<'SQL'
-- migrate:expand
ALTER TABLE users ADD COLUMN phone text;
ALTER TABLE users DROP COLUMN legacy_login;
CREATE INDEX users_email_idx ON users (email);
SQL
(cd ex && "$MIGRATE" lint >../text.out) && fail "the README's example input lints clean"
# the block that follows "$ migrate lint" in README.md
awk '/^\$ migrate lint$/ {p = 1; next} p && /^```$/ {exit} p' "$README" >text.readme
[ -s text.readme ] || fail "no '\$ migrate lint' example found in README.md"
diff -u text.readme text.out >text.diff || fail "README.md's text example differs from the output: $(cat text.diff)"
(cd ex && "$MIGRATE" lint --format json >../json.out) && fail "the README's example input lints clean"
# the first json block after "--format json` prints one object"
awk '/--format json` prints one object/ {p = 1} p && /^```json$/ {q = 1; next} q && /^```$/ {exit} q' \
	"$README" >json.readme
python3 - json.readme json.out <<'PY' || fail "README.md's JSON example is not what lint prints"
import json, sys
doc, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
# the README shows the first finding only
assert doc["findings"][0] == out["findings"][0], (doc["findings"][0], out["findings"][0])
assert (doc["files"], doc["statements"]) == (out["files"], out["statements"])
PY

pass
