#!/usr/bin/env bash
# A file the grammar cannot parse (syntax newer than the build's libpg_query,
# or simply broken) is reported at file:line:column as a syntax-error finding,
# every other file is still linted and reported, and the exit status is 2. The
# objects an unparsed file names are unknown from then on: later files are not
# judged on what the catalogue knew before it. Commands that apply refuse it.
. "$(dirname "$0")/lib.sh"

grammar=$("$MIGRATE" --version | sed -nE 's/.*\(PostgreSQL ([0-9]+) grammar.*/\1/p')
[ -n "$grammar" ] || fail "migrate --version names no grammar"

migration m/0001_base.sql <<'SQL'
CREATE TABLE accounts (id bigint PRIMARY KEY, name text, email text NOT NULL);
SQL
# virtual generated columns are PostgreSQL 18 syntax; the DROP NOT NULL after
# it is what the catalogue must not miss
migration m/0002_virtual.sql <<'SQL'
-- migrate:expand
ALTER TABLE accounts ADD COLUMN name_upper text GENERATED ALWAYS AS (upper(name)) VIRTUAL;
ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;
SQL
migration m/0003_broken.sql <<'SQL'
-- migrate:expand
SELECT 1;

-- migrate:contract
CREATE TABEL junk (id int);
SQL
migration m/0004_later.sql <<'SQL'
-- migrate:expand
ALTER TABLE accounts DROP COLUMN name;
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
SQL

if [ "$grammar" -lt 18 ]; then
	expect_exit 2 "$MIGRATE" lint m
	expect_contains "$OUT" "m/0002_virtual.sql:2:"
	expect_match "$OUT" "^m/0002_virtual.sql:2:[0-9]+: error\[syntax-error\]: syntax error in expand section: "
	expect_contains "$OUT" 'm/0003_broken.sql:5:8: error[syntax-error]: syntax error in contract section: syntax error at or near "TABEL"'
	expect_contains "$OUT" "m/0004_later.sql:2:1: error[drop-column]:"
	# email was NOT NULL before 0002, which the catalogue could not read: SET NOT NULL is judged
	expect_match "$OUT" "^m/0004_later.sql:3:1: [a-z]+\[set-not-null\]:"
	expect_contains "$OUT" "4 files, 3 statements: 3 errors, 0 warnings, 1 planned; 2 files could not be parsed"
	# each is on stderr too, as bad input always is
	expect_match "$ERR" "^m/0002_virtual.sql:2:[0-9]+: error: syntax error in expand section"
	expect_contains "$ERR" 'm/0003_broken.sql:5:8: error: syntax error in contract section: syntax error at or near "TABEL"'

	expect_exit 2 "$MIGRATE" lint --format json m
	cp "$OUT" report.json
	json_check report.json \
		"[(f['file'], f['rule'], f['severity']) for f in d['findings']] == [('m/0002_virtual.sql', 'syntax-error', 'error'), ('m/0003_broken.sql', 'syntax-error', 'error'), ('m/0004_later.sql', 'drop-column', 'error'), ('m/0004_later.sql', 'set-not-null', 'planned')]" \
		"d['findings'][1]['line'] == 5 and d['findings'][1]['column'] == 8" \
		"d['files'] == 4 and d['statements'] == 3"
	expect_exit 2 "$MIGRATE" lint --format sarif m
	cp "$OUT" report.sarif
	json_check report.sarif "[r['ruleId'] for r in d['runs'][0]['results']] == ['syntax-error', 'syntax-error', 'drop-column', 'set-not-null']"
	expect_exit 2 "$MIGRATE" lint --format github m
	expect_contains "$OUT" "::error file=m/0003_broken.sql,line=5,col=8,title=syntax-error::"
	expect_contains "$OUT" "::error file=m/0004_later.sql,line=2,col=1,title=drop-column::"
fi

# without the file the catalogue could not read, email is known NOT NULL: no set-not-null
rm m/0002_virtual.sql
expect_exit 2 "$MIGRATE" lint m
expect_contains "$OUT" "m/0004_later.sql:2:1: error[drop-column]:"
expect_not_contains "$OUT" "set-not-null"
expect_contains "$OUT" "3 files, 3 statements: 2 errors, 0 warnings; 1 file could not be parsed"
# -q prints the report: it has findings
expect_exit 2 "$MIGRATE" -q lint m
expect_contains "$OUT" "syntax-error"

# a clean set but for one unparseable file: still exit 2 (not 1, not 0)
mkdir only
cp m/0003_broken.sql only/
expect_exit 2 "$MIGRATE" lint only
expect_contains "$OUT" "1 file, 0 statements: 1 error, 0 warnings; 1 file could not be parsed"

# syntax-error is not a rule to turn off
printf '[rules]\nsyntax-error = off\n' >migrate.conf
expect_exit 2 "$MIGRATE" lint m
expect_contains "$ERR" "migrate.conf:2:1: error: rule 'syntax-error' cannot be changed"
expect_empty "$OUT"
rm migrate.conf

# the commands that apply refuse it before anything runs (nothing created)
expect_exit 2 "$MIGRATE" up --db sqlite:app.db --dir m
expect_contains "$ERR" 'm/0003_broken.sql:5:8: error: syntax error in contract section'
[ ! -e app.db ] || fail "up created the database despite the syntax error"
expect_exit 2 "$MIGRATE" plan --db sqlite:app.db --dir m
expect_contains "$ERR" 'm/0003_broken.sql:5:8: error:'
[ ! -e app.db ] || fail "plan created the database"
# check stops at lint, before it looks for a shadow database
expect_exit 2 "$MIGRATE" check --dir m --shadow-db "host=/nonexistent dbname=x"
expect_contains "$ERR" 'm/0003_broken.sql:5:8: error:'

pass
