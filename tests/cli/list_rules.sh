#!/usr/bin/env bash
# --list-rules prints the whole catalogue of src/lint/rules.c, one rule a line.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$MIGRATE" lint --list-rules
expect_empty "$ERR"
cp "$OUT" list

# every rule id in rules.c is listed, and nothing else
# (rows are written with a macro, KIND("id", ...), or as {.id = "id", ...})
grep -oE '^[[:space:]]*([A-Z_]+\(|\{ *\.id = )"[a-z0-9-]+"' "$SRCDIR/src/lint/rules.c" |
	sed -E 's/^[^"]*"//; s/"$//' | sort >expected
awk '{print $1}' list | sort >listed
[ -s expected ] || fail "found no rules in src/lint/rules.c"
diff -u expected listed >diff.txt || fail "--list-rules and rules.c differ: $(cat diff.txt)"

# each line: id, kind, default severity (or off), summary
bad=$(grep -vE '^[a-z0-9-]+ +[a-z]+ +(error|warning|planned|off) +[^ ]' list || true)
[ -z "$bad" ] || fail "lines of --list-rules not in 'id kind severity summary' form: $bad"
grep -qE '^drop-column +breaking +error ' list || fail "drop-column is not a breaking error"
grep -qE '^prefer-text +style +off ' list || fail "prefer-text is not an off-by-default style rule"

# SARIF names the same rules
migration 0001_x.sql <<<'SELECT 1;'
expect_exit 0 "$MIGRATE" lint --format sarif 0001_x.sql
cp "$OUT" sarif.json
: >"$OUT"
json_check sarif.json "sorted(r['id'] for r in d['runs'][0]['tool']['driver']['rules']) == open('listed').read().split()"

pass
