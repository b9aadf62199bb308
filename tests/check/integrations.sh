#!/usr/bin/env bash
# checks/: the integrations users drop into their pipelines. The GitHub
# Actions workflow, the GitLab CI template and .pre-commit-hooks.yaml parse
# (with a small YAML reader: PyYAML is not everywhere) into the structure
# their CI expects, every migrate command they run exists with the options
# they pass, and (with a server) their check steps run as written. The
# pre-commit hook really runs in a git repository: it lints what is staged,
# not the working tree, and stops a commit with a lint error.
. "$(dirname "$0")/lib.sh"

CHECKS="$SRCDIR/checks"
WORKFLOW="$CHECKS/github/migrate-check.yml"
GITLAB="$CHECKS/gitlab/migrate-check.gitlab-ci.yml"
HOOK="$CHECKS/pre-commit/migrate-lint-staged"
HOOKS_YAML="$SRCDIR/.pre-commit-hooks.yaml"
for f in "$WORKFLOW" "$GITLAB" "$HOOK" "$HOOKS_YAML"; do
	[ -f "$f" ] || fail "missing $f"
done
[ -x "$HOOK" ] || fail "$HOOK is not executable"

cat >yamlmini.py <<'PY'
"""A reader for the YAML these files use: block mappings and sequences,
plain and quoted scalars, | and > block scalars, comments."""
import re


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _strip_comment(s):
    quote = None
    for i, c in enumerate(s):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'" and (i == 0 or s[i - 1] in " [,:"):
            quote = c
        elif c == "#" and (i == 0 or s[i - 1] == " "):
            return s[:i].rstrip()
    return s.rstrip()


def _scalar(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] == '"':
        return v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(v) >= 2 and v[0] == v[-1] == "'":
        return v[1:-1].replace("''", "'")
    if v in ("true", "false"):
        return v == "true"
    if re.fullmatch(r"-?[0-9]+", v):
        return int(v)
    if v in ("", "~", "null"):
        return None
    return v


def _split_key(t):
    if t and t[0] in "\"'":
        return None
    m = re.match(r"([^ #][^:]*?):(?: (.*)|)$", t)
    return (m.group(1), m.group(2) or "") if m else None


class Reader:
    def __init__(self, text):
        self.lines = text.split("\n")
        self.i = 0

    def _skip(self):
        while self.i < len(self.lines):
            t = self.lines[self.i].strip()
            if t and not t.startswith("#"):
                return True
            self.i += 1
        return False

    def node(self, ind):
        self._skip()
        t = self.lines[self.i].strip()
        return self.seq(ind) if t == "-" or t.startswith("- ") else self.map(ind)

    def map(self, ind):
        d = {}
        while self._skip():
            line = self.lines[self.i]
            t = line.strip()
            if _indent(line) != ind or t.startswith("- ") or t == "-":
                if _indent(line) > ind:
                    raise ValueError("bad indentation at line %d" % (self.i + 1))
                break
            kv = _split_key(_strip_comment(t))
            if not kv:
                raise ValueError("not a key at line %d: %s" % (self.i + 1, t))
            self.i += 1
            if kv[0] in d:
                raise ValueError("duplicate key %s" % kv[0])
            d[kv[0]] = self.value(kv[1], ind)
        return d

    def seq(self, ind):
        out = []
        while self._skip():
            line = self.lines[self.i]
            t = line.strip()
            if _indent(line) != ind or not (t == "-" or t.startswith("- ")):
                break
            item = t[2:] if t != "-" else ""
            if item and _split_key(_strip_comment(item)):
                self.lines[self.i] = " " * (ind + 2) + item
                out.append(self.map(ind + 2))
            else:
                self.i += 1
                out.append(self.value(item, ind))
        return out

    def value(self, rest, ind):
        rest = _strip_comment(rest).strip()
        if rest and rest[0] in "|>":
            return self.block(rest, ind)
        if rest:
            return _scalar(rest)
        if not self._skip():
            return None
        line = self.lines[self.i]
        t = line.strip()
        if _indent(line) > ind:
            return self.node(_indent(line))
        if _indent(line) == ind and (t == "-" or t.startswith("- ")):
            return self.seq(ind)
        return None

    def block(self, style, ind):
        body = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and _indent(line) <= ind:
                break
            body.append(line)
            self.i += 1
        while body and not body[-1].strip():
            body.pop()
        strip = min(_indent(l) for l in body if l.strip())
        body = [l[strip:] for l in body]
        if style.startswith(">"):
            text = " ".join(l.strip() for l in body if l.strip())
        else:
            text = "\n".join(body)
        return text if style.endswith("-") else text + "\n"


def load(path):
    r = Reader(open(path).read())
    data = r.node(0)
    if r._skip():
        raise ValueError("unread line %d: %s" % (r.i + 1, r.lines[r.i]))
    return data
PY

python3 - "$WORKFLOW" "$GITLAB" "$HOOKS_YAML" "$SRCDIR" <<'PY' || fail "the integrations do not have the structure their CI expects"
import os, sys
sys.path.insert(0, ".")
import yamlmini

workflow, gitlab, hooks, src = sys.argv[1:]
w = yamlmini.load(workflow)
g = yamlmini.load(gitlab)
h = yamlmini.load(hooks)

# where PyYAML is installed, it reads the same
try:
    import yaml
except ImportError:
    yaml = None
if yaml:
    for path, mine in ((workflow, w), (gitlab, g), (hooks, h)):
        theirs = yaml.safe_load(open(path))
        if isinstance(theirs, dict) and True in theirs:  # YAML 1.1 reads the key `on` as true
            theirs["on"] = theirs.pop(True)
        assert theirs == mine, path

# GitHub Actions: pull requests, a PostgreSQL service, check, SARIF upload
assert "migrations/**" in w["on"]["pull_request"]["paths"], w["on"]
assert w["permissions"]["security-events"] == "write"
job = w["jobs"]["check"]
assert job["services"]["postgres"]["image"].startswith("postgres:")
assert "pg_isready" in job["services"]["postgres"]["options"]
steps = job["steps"]
assert steps[0]["uses"].startswith("actions/checkout@")
check = [s for s in steps if "migrate check" in (s.get("run") or "")]
assert len(check) == 1, steps
assert check[0]["env"]["MIGRATE_SHADOW_DB"].startswith("postgres://")
assert "--report sarif=migrate-check.sarif" in check[0]["run"]
assert "--format github" in check[0]["run"]
upload = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
assert len(upload) == 1 and upload[0]["with"]["sarif_file"] == "migrate-check.sarif", upload
assert upload[0]["if"].startswith("always()")
assert steps.index(check[0]) < steps.index(upload[0])
# the Markdown report posted as a pull-request comment, updated in place
assert w["permissions"]["pull-requests"] == "write"
assert "--report markdown=migrate-check.md" in check[0]["run"]
comment = [s for s in steps if s.get("uses", "").startswith("actions/github-script@")]
assert len(comment) == 1, comment
comment = comment[0]
assert comment["if"].startswith("always()") and "pull_request" in comment["if"], comment["if"]
assert steps.index(check[0]) < steps.index(comment)
script = comment["with"]["script"]
assert 'readFileSync("migrate-check.md"' in script, script
assert "createComment" in script and "updateComment" in script, script
open("comment-marker.txt", "w").write(script.split('const marker = "')[1].split('"')[0] + "\n")
open("comment-script.js", "w").write("(async () => {\n" + script + "\n})();\n")

# GitLab: merge requests, a PostgreSQL service, check, a JUnit report
job = g["migrate-check"]
assert job["services"][0]["name"].startswith("postgres:")
assert job["variables"]["MIGRATE_SHADOW_DB"].startswith("postgres://")
assert any("merge_request_event" in r["if"] for r in job["rules"])
script = "\n".join(job["script"])
assert "migrate check" in script and "--report junit=migrate-check.xml" in script
assert job["artifacts"]["when"] == "always"
assert job["artifacts"]["reports"]["junit"] == "migrate-check.xml"

# pre-commit: the hook this repository offers
assert isinstance(h, list) and h[0]["id"] == "migrate-lint", h
assert h[0]["language"] == "script" and h[0]["pass_filenames"] is False
entry = os.path.join(src, h[0]["entry"])
assert os.access(entry, os.X_OK), entry

# the scripts, for the next steps of this test
open("workflow-check.sh", "w").write(check[0]["run"])
open("gitlab-check.sh", "w").write(script + "\n")
PY

# the comment step's script is JavaScript node reads (it only runs on GitHub)
if command -v node >/dev/null; then
	node --check comment-script.js 2>"$ERR" || fail "the comment script does not parse: $(cat "$ERR")"
fi

# every migrate command they run exists, with the options and formats they use
python3 - "$MIGRATE" workflow-check.sh gitlab-check.sh "$HOOK" <<'PY' || fail "an integration runs a migrate command that does not exist"
import re, subprocess, sys
migrate = sys.argv[1]
seen = 0
for path in sys.argv[2:]:
    text = open(path).read().replace("\\\n", " ")
    text = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("#"))
    # a command: at the start of a line or after &&, ;, | or $(
    for m in re.finditer(r'(?:^[ \t]*|&&[ \t]*|;[ \t]*|\|[ \t]*|\$\([ \t]*)'
                         r'(?:migrate|"\$migrate")[ \t]+([a-z]+)([^\n;|&]*)', text, re.M):
        verb, args = m.group(1), m.group(2)
        help = subprocess.run([migrate, verb, "--help"], capture_output=True, text=True)
        assert help.returncode == 0 and "not built" not in help.stdout, (path, verb)
        for flag in re.findall(r"(--[a-z][a-z-]*)", args):
            assert flag in help.stdout, (path, verb, flag)
        for fmt in re.findall(r"--(?:format|report)[ =]([a-z]+)", args):
            assert re.search(r"\b%s\b" % fmt, help.stdout), (path, verb, fmt)
        seen += 1
assert seen >= 3, seen
PY

# ---- the pre-commit hook in a real repository ----
git_q() { git -c init.defaultBranch=main "$@" >/dev/null 2>&1; }
mkdir repo
cd repo || fail "no repo"
git_q init || fail "git init failed"
git config user.email check@example.com
git config user.name check
copy_example migrations
echo "# app" >README.md
git add . && git_q commit -m "the app" || fail "first commit failed"
cp "$HOOK" .git/hooks/pre-commit
head=$(git rev-parse HEAD)

# a migration that breaks running app versions, staged: the commit stops
cat >migrations/0017_drop_users_phone.sql <<'SQL'
-- migrate:expand
-- the app still reads phone
ALTER TABLE users DROP COLUMN phone;
SQL
git add migrations/0017_drop_users_phone.sql
expect_exit 1 git commit -m "drop phone"
# (git shows a hook's output on stderr)
expect_contains "$ERR" "migrations/0017_drop_users_phone.sql:3:1: error[drop-column]"
expect_contains "$ERR" "pre-commit: migrate lint found problems in the staged migrations"
[ "$(git rev-parse HEAD)" = "$head" ] || fail "the commit went through"

# fixed in the working tree but not staged: still stopped, the index is what gets committed
cat >migrations/0017_drop_users_phone.sql <<'SQL'
-- migrate:contract
ALTER TABLE users DROP COLUMN phone;
SQL
expect_exit 1 git commit -m "drop phone"
expect_contains "$ERR" "error[drop-column]"

# staged: it goes through
git add migrations/0017_drop_users_phone.sql
expect_exit 0 git commit -m "drop phone in contract"
[ "$(git rev-parse HEAD)" != "$head" ] || fail "the fixed commit did not go through"

# a commit without migrations is not held up by a bad unstaged one
printf -- '-- migrate:expand\nALTER TABLE users DROP COLUMN email;\n' >migrations/0018_bad.sql
echo "more" >>README.md
git add README.md
expect_exit 0 git commit -m "docs"

# the staged migrate.conf decides: its directory and its rule settings
rm migrations/0018_bad.sql
git mv migrations db-migrations >/dev/null
printf '[migrations]\ndir = db-migrations\n\n[rules]\ndrop-column = off\n' >migrate.conf
printf -- '-- migrate:expand\nALTER TABLE users DROP COLUMN email;\n' >db-migrations/0018_drop_email.sql
git add migrate.conf db-migrations
expect_exit 0 git commit -m "rule off on purpose"
cd "$T" || fail "no T"

# ---- with a server: the check steps run as written ----
pass_unless_pg
mkdir -p bin ws
ln -s "$MIGRATE" bin/migrate
copy_example ws/migrations
shadow=$(new_db shadow)
(cd ws && PATH="$T/bin:$PATH" MIGRATE_SHADOW_DB="$shadow" MIGRATIONS_DIR=migrations \
	SHARED_DATABASE_URL="" bash -e ../workflow-check.sh) >"$OUT" 2>"$ERR" ||
	fail "the workflow's check step failed"
expect_match "$OUT" "^check passed: "
[ -s ws/migrate-check.sarif ] && [ -s ws/migrate-check.xml ] || fail "the workflow's reports are missing"
python3 -c "import json, sys; assert json.load(open('ws/migrate-check.sarif'))['version'] == '2.1.0'" ||
	fail "the workflow's SARIF does not parse"
[ -s ws/migrate-check.md ] || fail "the workflow's Markdown report is missing"
# the comment step finds its earlier comment by the first line migrate writes
head -n 1 ws/migrate-check.md >first-line.txt
expect_same first-line.txt comment-marker.txt "the comment's marker is not the report's first line"
expect_contains ws/migrate-check.md "## migrate check: passed"
(cd ws && PATH="$T/bin:$PATH" MIGRATE_SHADOW_DB="$shadow" MIGRATIONS_DIR=migrations \
	bash -e ../gitlab-check.sh) >"$OUT" 2>"$ERR" || fail "the GitLab template's script failed"
python3 -c "import xml.etree.ElementTree as ET; assert ET.parse('ws/migrate-check.xml').getroot().tag == 'testsuites'" ||
	fail "the GitLab template's JUnit does not parse"
pass
