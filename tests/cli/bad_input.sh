#!/usr/bin/env bash
# Input that cannot be linted exits 2 with file:line:column on stderr. A
# file that cannot be loaded prints nothing on stdout; one that cannot be
# parsed is also a syntax-error finding of the report (tests/cli/syntax.sh).
. "$(dirname "$0")/lib.sh"

# a syntax error, reported where libpg_query points, in the file's lines
migration bad/0001_typo.sql <<'SQL'
-- migrate:expand
CREATE TABLE t (id bigint);

ALTER TABLE t ADD COLUMN note text;
ALTER TABEL t ADD COLUMN other text;
SQL
expect_exit 2 "$MIGRATE" lint bad
expect_contains "$ERR" "bad/0001_typo.sql:5:7: error:"
expect_contains "$ERR" 'syntax error at or near "TABEL"'
expect_contains "$OUT" "bad/0001_typo.sql:5:7: error[syntax-error]:"
# the same from every output format
for format in json github sarif; do
	expect_exit 2 "$MIGRATE" lint --format "$format" bad
	expect_contains "$ERR" "bad/0001_typo.sql:5:7: error:"
	expect_contains "$OUT" "syntax-error"
done
rm -r bad

# a syntax error in the contract section points into that section
migration bad/0001_contract.sql <<'SQL'
-- migrate:expand
SELECT 1;

-- migrate:contract
ALTER TABLE t DROP COLUMN;
SQL
expect_exit 2 "$MIGRATE" lint bad/0001_contract.sql
expect_match "$ERR" "^bad/0001_contract.sql:5:[0-9]+: error: .*contract"
expect_contains "$ERR" "syntax error"
rm -r bad

# an unterminated string: the error points into the file, not past it
migration bad/0001_quote.sql <<'SQL'
-- migrate:expand
COMMENT ON TABLE t IS 'never closed;
SQL
expect_exit 2 "$MIGRATE" lint bad
expect_match "$ERR" "^bad/0001_quote.sql:2:[0-9]+: error: "
rm -r bad

# an unknown section marker
migration bad/0001_marker.sql <<'SQL'
-- migrate:expand
SELECT 1;
-- migrate:contrcat
SELECT 2;
SQL
expect_exit 2 "$MIGRATE" lint bad
expect_contains "$ERR" "bad/0001_marker.sql:3:1: error: unknown section marker '-- migrate:contrcat'"
expect_contains "$ERR" "help:"
expect_empty "$OUT"
rm -r bad

# one section twice
migration bad/0001_twice.sql <<'SQL'
-- migrate:expand
SELECT 1;
-- migrate:expand
SELECT 2;
SQL
expect_exit 2 "$MIGRATE" lint bad
expect_contains "$ERR" "bad/0001_twice.sql:3:1: error: section 'expand' appears twice"

# a statement before the first marker belongs to no phase
migration bad2/0001_orphan.sql <<'SQL'
-- a comment is fine here
SELECT 1;
-- migrate:expand
SELECT 2;
SQL
expect_exit 2 "$MIGRATE" lint bad2
expect_contains "$ERR" "bad2/0001_orphan.sql:2:1: error:"
expect_contains "$ERR" "belongs to no phase"
rm -r bad bad2

# an allow comment without a rule
migration bad/0001_allow.sql <<'SQL'
-- migrate:allow
ALTER TABLE t DROP COLUMN c;
SQL
expect_exit 2 "$MIGRATE" lint bad
expect_contains "$ERR" "bad/0001_allow.sql:1:1: error:"
expect_contains "$ERR" "names no rule"
rm -r bad

# two files with one version: both are named
migration dup/0001_create_users.sql <<<'CREATE TABLE users (id bigint);'
migration dup/0002_add_email.sql <<<'ALTER TABLE users ADD COLUMN email text;'
migration dup/2_add_phone.sql <<<'ALTER TABLE users ADD COLUMN phone text;'
expect_exit 2 "$MIGRATE" lint dup
expect_contains "$ERR" "duplicate version 2"
expect_contains "$ERR" "0002_add_email.sql"
expect_contains "$ERR" "2_add_phone.sql"
expect_empty "$OUT"
expect_exit 2 "$MIGRATE" --dir dup lint
expect_contains "$ERR" "duplicate version 2"
rm -r dup

# a file without a version in a migrations directory
migration nover/0001_create_users.sql <<<'CREATE TABLE users (id bigint);'
migration nover/add_email.sql <<<'ALTER TABLE users ADD COLUMN email text;'
expect_exit 2 "$MIGRATE" lint nover
expect_contains "$ERR" "nover/add_email.sql: error: migration file name has no version"
expect_contains "$ERR" "help:"
# named on the command line, the same file is fine: it lints after the versioned ones
expect_exit 0 "$MIGRATE" lint nover/0001_create_users.sql nover/add_email.sql
expect_contains "$OUT" "2 files"
rm -r nover

# files that are not migrations are ignored in a directory
migration mixed/0001_create_users.sql <<<'CREATE TABLE users (id bigint);'
migration mixed/README.md <<<'not a migration'
expect_exit 0 "$MIGRATE" lint mixed
expect_contains "$OUT" "1 file,"
rm -r mixed

# missing paths
expect_exit 2 "$MIGRATE" lint no-such-dir
expect_contains "$ERR" "no-such-dir"
expect_empty "$OUT"
expect_exit 2 "$MIGRATE" lint "$EXAMPLE" no-such-file.sql
expect_contains "$ERR" "no-such-file.sql"
expect_exit 2 "$MIGRATE" --dir no-such-dir lint
expect_contains "$ERR" "no-such-dir"

# an unreadable file (skipped as root, who reads everything)
if [ "$(id -u)" != 0 ]; then
	migration locked/0001_x.sql <<<'SELECT 1;'
	chmod 000 locked/0001_x.sql
	expect_exit 2 "$MIGRATE" lint locked
	expect_contains "$ERR" "locked/0001_x.sql"
	chmod 644 locked/0001_x.sql
fi

# a NUL byte is not SQL text
printf 'SELECT 1;\0\n' >0001_nul.sql
expect_exit 2 "$MIGRATE" lint 0001_nul.sql
expect_contains "$ERR" "0001_nul.sql"
expect_contains "$ERR" "NUL"

# an empty migrations directory (a new project) is clean
mkdir empty
expect_exit 0 "$MIGRATE" lint empty
expect_contains "$OUT" "0 files, 0 statements: 0 errors, 0 warnings"
expect_exit 0 "$MIGRATE" --dir empty lint --format json
json_check "$OUT" "d == {'findings': [], 'files': 0, 'statements': 0}"
rmdir empty

# an empty file, and one holding only comments, are clean
: >0001_empty.sql
printf -- '-- nothing yet\n' >0002_comment.sql
expect_exit 0 "$MIGRATE" lint 0001_empty.sql 0002_comment.sql
expect_contains "$OUT" "2 files, 0 statements: 0 errors, 0 warnings"

pass
