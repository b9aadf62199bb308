#!/usr/bin/env bash
# The reports pipelines read: SARIF 2.1.0 (validated for shape), JUnit XML (a
# testsuite per stage, a testcase per migration), GitHub workflow commands
# and the job summary appended to $GITHUB_STEP_SUMMARY, JSON, and --report
# files written beside the main format.
. "$(dirname "$0")/lib.sh"

# validate_sarif FILE: the parts of SARIF 2.1.0 code scanning relies on
validate_sarif() {
	python3 - "$1" <<'PY' || fail "$1 is not valid SARIF 2.1.0"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == "2.1.0" and "sarif-2.1.0" in s["$schema"], s.get("version")
assert isinstance(s["runs"], list) and len(s["runs"]) == 1
run = s["runs"][0]
driver = run["tool"]["driver"]
assert driver["name"] == "migrate" and driver["version"]
rules = driver["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)), "rule ids repeat"
for r in rules:
    assert r["shortDescription"]["text"] and r["help"]["text"], r
    assert r["defaultConfiguration"]["level"] in ("error", "warning", "note"), r
for res in run["results"]:
    assert res["ruleId"] in ids, res["ruleId"]
    assert rules[res["ruleIndex"]]["id"] == res["ruleId"], res
    assert res["level"] in ("error", "warning", "note"), res
    assert res["message"]["text"].strip(), res
    assert res["properties"]["stage"] in ("lint", "replay", "round-trip", "lock-trace", "drift")
    for loc in res.get("locations", []):
        pl = loc["physicalLocation"]
        uri = pl["artifactLocation"]["uri"]
        assert uri and not uri.startswith("/") and " " not in uri, uri
        assert pl["region"]["startLine"] >= 1 and pl["region"]["startColumn"] >= 1, pl
print(len(run["results"]))
PY
}

# junit_summary FILE: "suite:tests:failures:skipped ..." after checking the counts
junit_summary() {
	python3 - "$1" <<'PY' || fail "$1 is not the JUnit XML it should be"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("name") == "migrate check"
out = []
total = failures = 0
for suite in root.findall("testsuite"):
    cases = suite.findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert int(suite.get("tests")) == len(cases), suite.get("name")
    assert int(suite.get("failures")) == len(failed), suite.get("name")
    assert int(suite.get("skipped")) == len(skipped), suite.get("name")
    float(suite.get("time"))
    for c in cases:
        assert c.get("classname") == "migrate check." + suite.get("name"), c.get("classname")
        f = c.find("failure")
        if f is not None:
            assert f.get("message") and f.get("type") and f.text, c.get("name")
    total += len(cases)
    failures += len(failed)
    out.append("%s:%d:%d:%d" % (suite.get("name"), len(cases), len(failed), len(skipped)))
assert int(root.get("tests")) == total and int(root.get("failures")) == failures
print(" ".join(out))
for suite in root.findall("testsuite"):
    for c in suite.findall("testcase"):
        if c.find("failure") is not None:
            print("FAILED %s %s" % (suite.get("name"), c.get("name")))
PY
}

# no database needed: a finding that is about no file
mkdir m0
printf -- '-- migrate:expand\nCREATE TABLE t (id bigint PRIMARY KEY);\n' >m0/0001_t.sql
expect_exit 1 "$MIGRATE" check --dir m0 --shadow-db "host=$T/nowhere dbname=x" --format sarif
cp "$OUT" nofile.sarif
[ "$(validate_sarif nofile.sarif)" = 1 ] || fail "one result expected"
python3 -c "
import json, sys
r = json.load(open('nofile.sarif'))['runs'][0]['results'][0]
assert r['ruleId'] == 'shadow-unavailable' and 'locations' not in r, r
" || fail "shadow-unavailable is about no file"
expect_exit 1 "$MIGRATE" check --dir m0 --shadow-db "host=$T/nowhere dbname=x" --format junit
cp "$OUT" nofile.xml
junit_summary nofile.xml >summary.txt
expect_contains summary.txt "replay:2:1:1"
expect_contains summary.txt "FAILED replay shadow-unavailable"
expect_contains summary.txt "round-trip:1:0:1"

need_pg
shadow=$(new_db shadow)
events_hidden_rewrite m
cat >m/0003_add_kind.sql <<'SQL'
-- migrate:expand
ALTER TABLE events ADD COLUMN kind text;

-- migrate:revert-expand
SELECT 1;
SQL

printf '# earlier step\n' >summary.md
GITHUB_STEP_SUMMARY="$T/summary.md" expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow" \
	--format github --report "sarif=$T/out.sarif" --report "junit=$T/out.xml" --report "json=$T/out.json"
expect_match "$OUT" "^::error file=m/0002_widen_amount.sql,line=2,col=1,title=migrate check lock-trace%3A lock-rewrite::expand: rewrote table events \(inside a DO block\)"
expect_match "$OUT" "^::error file=m/0003_add_kind.sql,line=4,col=1,title=migrate check round-trip%3A revert-incomplete::.*%0Aleft behind: column public.events.kind \(text\)%0Ahelp: "
expect_match "$OUT" "^::warning file=m/0002_widen_amount.sql,line=2,col=[0-9]+,title=migrate check lint%3A dynamic-sql::"
expect_match "$OUT" "^lock-trace +failed "
expect_match "$OUT" "^check FAILED: "

# the job summary is appended, not written over
expect_contains summary.md "# earlier step"
expect_contains summary.md "## migrate check: **failed**"
expect_contains summary.md "| lock-trace | **failed** |"
expect_contains summary.md "| drift | skipped |"
expect_contains summary.md '- **error** `lock-rewrite` (lock-trace) `m/0002_widen_amount.sql:2`: expand: rewrote table events'
expect_contains summary.md "  left behind: column public.events.kind (text)"

[ "$(validate_sarif out.sarif)" = 4 ] || fail "four SARIF results expected"
python3 - out.sarif <<'PY' || fail "SARIF results are not located"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
got = sorted((r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"])
assert got == [("dynamic-sql", "warning", "m/0002_widen_amount.sql", 2),
               ("lock-rewrite", "error", "m/0002_widen_amount.sql", 2),
               ("reapply-failed", "error", "m/0003_add_kind.sql", 2),
               ("revert-incomplete", "error", "m/0003_add_kind.sql", 4)], got
PY

junit_summary out.xml >summary.txt
expect_contains summary.txt "lint:3:0:0 replay:3:0:0 round-trip:3:1:0 lock-trace:3:1:0 drift:3:0:3"
expect_contains summary.txt "FAILED lock-trace 0002_widen_amount.sql"
expect_contains summary.txt "FAILED round-trip 0003_add_kind.sql"

python3 -c "import json; r = json.load(open('out.json')); assert r['passed'] is False" ||
	fail "the JSON report does not say the gate failed"

# the same report on stdout as on --report
expect_exit 1 "$MIGRATE" check --dir m --shadow-db "$shadow" --format sarif
[ "$(validate_sarif "$OUT")" = 4 ] || fail "four SARIF results expected on stdout"
pass
