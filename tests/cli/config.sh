#!/usr/bin/env bash
# migrate.conf in the current directory (or --config FILE) turns rules on,
# off, or changes their severity; mistakes in it are bad input (exit 2).
. "$(dirname "$0")/lib.sh"

migration m/0001_create_users.sql <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, legacy_login text, nickname varchar(40));
SQL
migration m/0002_drop_login.sql <<'SQL'
ALTER TABLE users DROP COLUMN legacy_login;
SQL

expect_exit 1 "$MIGRATE" lint m
expect_contains "$OUT" "error[drop-column]"

# a rule switched off
cat >migrate.conf <<'CONF'
[rules]
drop-column = off
CONF
expect_exit 0 "$MIGRATE" lint m
expect_not_contains "$OUT" "drop-column"
expect_contains "$OUT" ": 0 errors, 0 warnings"

# ... or down to a warning: warnings alone exit 0
cat >migrate.conf <<'CONF'
[rules]
drop-column = warning
CONF
expect_exit 0 "$MIGRATE" lint m
expect_contains "$OUT" "m/0002_drop_login.sql:1:1: warning[drop-column]"
expect_contains "$OUT" ": 0 errors, 1 warning"

# [lint] disable does what off does
printf '[lint]\ndisable = drop-column\n' >migrate.conf
expect_exit 0 "$MIGRATE" lint m

# a style rule is off until enabled
rm migrate.conf
expect_exit 1 "$MIGRATE" lint m
expect_not_contains "$OUT" "prefer-text"
cat >migrate.conf <<'CONF'
# the team's settings
[lint]
enable = prefer-text
postgres_version = 15

[rules]
drop-column = off
CONF
expect_exit 0 "$MIGRATE" lint m
expect_contains "$OUT" "m/0001_create_users.sql:1:"
expect_contains "$OUT" "warning[prefer-text]"
# enabled at error
printf '[rules]\nprefer-text = error\ndrop-column = off\n' >migrate.conf
expect_exit 1 "$MIGRATE" lint m
expect_contains "$OUT" "error[prefer-text]"

# an allow for a rule that is switched off is not "unused"
migration m/0003_allowed.sql <<'SQL'
-- migrate:allow drop-column -- switched off anyway
ALTER TABLE users ADD COLUMN email text;
SQL
printf '[rules]\ndrop-column = off\n' >migrate.conf
expect_exit 0 "$MIGRATE" lint m
expect_not_contains "$OUT" "unused-allow"
rm m/0003_allowed.sql

# an unknown rule names migrate.conf and the line
cat >migrate.conf <<'CONF'
[rules]
drop-column = off

drop-colum = off
CONF
expect_exit 2 "$MIGRATE" lint m
expect_contains "$ERR" "migrate.conf:4:1: error: unknown rule 'drop-colum'"
expect_contains "$ERR" "--list-rules"
expect_empty "$OUT"

printf '[lint]\n\nenable = prefer-text, no-such-rule\n' >migrate.conf
expect_exit 2 "$MIGRATE" lint m
expect_contains "$ERR" "migrate.conf:3:1: error: unknown rule 'no-such-rule'"

# an unknown value, setting or section
printf '[rules]\ndrop-column = maybe\n' >migrate.conf
expect_exit 2 "$MIGRATE" lint m
expect_contains "$ERR" "migrate.conf:2:1: error:"
expect_contains "$ERR" "'maybe'"
printf '[lint]\npostgres_version = fifteen\n' >migrate.conf
expect_exit 2 "$MIGRATE" lint m
expect_contains "$ERR" "migrate.conf:2:1: error:"
printf '[database]\nurl = sqlite:app.db\n[migrations]\ndir = m\n[sorting]\norder = name\n' >migrate.conf
expect_exit 2 "$MIGRATE" lint m
expect_contains "$ERR" "migrate.conf:6:1: error: unknown setting 'order' in [sorting]"

# every documented setting is accepted
cat >migrate.conf <<'CONF'
[database]
url = postgres://app@localhost/app
history_schema = migrate

[migrations]
dir = m

[lint]
postgres_version = 15
enable = prefer-bigint
disable = drop-not-null

[rules]
drop-column = warning
CONF
expect_exit 0 "$MIGRATE" lint
expect_contains "$OUT" "warning[drop-column]"
# --dir on the command line wins over [migrations] dir
expect_exit 0 "$MIGRATE" lint --dir "$EXAMPLE"
expect_contains "$OUT" ": 0 errors, 0 warnings"

# --config names another file; migrate.conf is then not read
rm migrate.conf
mkdir etc
printf '[rules]\ndrop-column = off\n' >etc/lint.conf
expect_exit 0 "$MIGRATE" --config etc/lint.conf lint m
expect_exit 0 "$MIGRATE" lint --config=etc/lint.conf m
printf '[rules]\nbogus = off\n' >etc/lint.conf
expect_exit 2 "$MIGRATE" lint --config etc/lint.conf m
expect_contains "$ERR" "etc/lint.conf:2:1: error: unknown rule 'bogus'"

pass
