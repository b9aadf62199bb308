#!/usr/bin/env bash
# Malformed values and names of things that do not exist are usage errors:
# exit 2, a message naming the flag and the value, nothing on stdout, and
# nothing written (no database file created, no history row added).
. "$(dirname "$0")/lib.sh"

migration m/0001_create_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY);'
migration m/0002_add_email.sql <<<'ALTER TABLE users ADD COLUMN email text;'

# args (split on spaces) | expected message on stderr; every row exits 2
rows=(
	"up --retries abc|--retries takes a whole number from 0 to 100, not 'abc'"
	"up --retries -1|--retries takes a whole number from 0 to 100, not '-1'"
	"up --retries 101|--retries takes a whole number from 0 to 100, not '101'"
	"up --retries 3x|--retries takes a whole number from 0 to 100, not '3x'"
	"up --batch-size 10k|--batch-size takes a whole number from 1 to 1000000, not '10k'"
	"up --batch-size 0|--batch-size takes a whole number from 1 to 1000000, not '0'"
	"up --batch-size 99999999999999999999|not '99999999999999999999'"
	"up --batch-size 1e3|not '1e3'"
	"up --batch-size 0x10|not '0x10'"
	"up --lock-wait 2x|--lock-wait takes a duration from 0s to 24h such as 500ms, 2s, 5m or 1h, not '2x'"
	"up --lock-wait 1e3|--lock-wait takes a duration from 0s to 24h such as 500ms, 2s, 5m or 1h, not '1e3'"
	"up --lock-wait inf|not 'inf'"
	"up --lock-wait nan|not 'nan'"
	"up --lock-wait 25h|not '25h'"
	"up --lock-wait -1s|not '-1s'"
	"up --batch-delay 5x|--batch-delay takes a duration from 0s to 24h such as 500ms, 2s, 5m or 1h, not '5x'"
	"up --to abc|--to takes a version number (the digits a file name starts with), not 'abc'"
	"up --to -1|--to takes a version number (the digits a file name starts with), not '-1'"
	"up --to 99999999999999999999|not '99999999999999999999'"
	"up --to 5|no migration with version 5"
	"up --to 0|no migration with version 0"
	"revert --steps 2x|--steps takes a whole number from 1 to 1000000, not '2x'"
	"revert --steps 0|--steps takes a whole number from 1 to 1000000, not '0'"
	"revert --steps -3|not '-3'"
	"revert --retries abc|--retries takes a whole number from 0 to 100, not 'abc'"
	"revert --lock-wait 2x|--lock-wait takes a duration from 0s to 24h"
	"revert --to 2x|--to takes a version number (the digits a file name starts with), not '2x'"
	"--lock-timeout 2x up|--lock-timeout takes a duration from 1ms to 24h such as 500ms, 2s, 5m or 1h, not '2x'"
	"up --lock-timeout 0|--lock-timeout takes a duration from 1ms to 24h such as 500ms, 2s, 5m or 1h, not '0'"
	"up --lock-timeout=1e3|not '1e3'"
	"status --lock-timeout inf|not 'inf'"
	"lint --lock-timeout 2x m|--lock-timeout takes a duration"
	"lint --jobs 0 m|--jobs takes a whole number from 1 to 256, not '0'"
	"lint --jobs 1.5 m|--jobs takes a whole number from 1 to 256, not '1.5'"
	"lint --jobs 257 m|--jobs takes a whole number from 1 to 256, not '257'"
	"lint --jobs many m|--jobs takes a whole number from 1 to 256, not 'many'"
	"purge --older-than 2x|--older-than takes a duration from 0s to 36500d such as 500ms, 2s, 5m or 1h, not '2x'"
	"purge --older-than 1e3|not '1e3'"
	"purge --older-than inf|not 'inf'"
	"plan 12x|'12x' is not a version (the digits a file name starts with)"
	"plan -- -1|'-1' is not a version"
	"plan 99|no migration with version 99"
	"--config nosuch.conf status|config file 'nosuch.conf' (--config) does not exist"
	"up --config=nosuch.conf|config file 'nosuch.conf' (--config) does not exist"
	"lint --config nosuch.conf m|config file 'nosuch.conf' (--config) does not exist"
	"up --env-file nosuch.env|env file 'nosuch.env' (--env-file) does not exist"
	"--env-file m status|env file 'm' (--env-file) is a directory"
	"help nosuch|'nosuch' is not a migrate command"
	"help stats|did you mean 'status'?"
	"stauts|did you mean 'status'?"
	"rollbak|did you mean 'rollback'?"
	"up --dry-rn|did you mean '--dry-run'?"
	"status --fromat json|did you mean '--format'?"
	"--dirr m status|did you mean '--dir'?"
	"new --sequential --timestamp x|--sequential and --timestamp go alone"
)
for row in "${rows[@]}"; do
	args=${row%%|*}
	message=${row#*|}
	# shellcheck disable=SC2086 # the args are meant to be split
	expect_exit 2 "$MIGRATE" --dir m --db sqlite:x.db $args
	expect_contains "$ERR" "$message"
	expect_empty "$OUT"
	[ ! -e x.db ] || fail "'$args' created the database file"
done

# the same refusals leave an existing database as it was: no history row, no event
expect_exit 0 "$MIGRATE" --dir m --db sqlite:x.db up --to 1
state() { sqlite3 x.db .dump >"$1"; }
state before.sql
grep -q "_migrate_history" before.sql || fail "no history after 'up --to 1'"
for args in "up --to 5" "up --retries abc" "up --lock-wait 2x" "revert --to 7" "revert --steps 0" \
	"plan 99" "--lock-timeout 2x up" "purge --older-than inf" "revert --to 2x"; do
	# shellcheck disable=SC2086
	expect_exit 2 "$MIGRATE" --dir m --db sqlite:x.db $args
	state after.sql
	expect_same before.sql after.sql "'$args' changed the database"
done
# revert --to looks in the history too: a migration whose file is gone is known there
mv m/0001_create_users.sql gone.sql
expect_exit 2 "$MIGRATE" --dir m --db sqlite:x.db revert --to 7
expect_contains "$ERR" "no migration with version 7"
expect_exit 0 "$MIGRATE" --dir m --db sqlite:x.db revert --to 1 --dry-run
expect_contains "$OUT" "nothing to revert"
mv gone.sql m/0001_create_users.sql
# --to 0 still means everything
expect_exit 0 "$MIGRATE" --dir m --db sqlite:x.db revert --to 0
[ "$(sqlite3 x.db "SELECT count(*) FROM _migrate_history WHERE phase <> 'pending'")" = 0 ] ||
	fail "'revert --to 0' left applied phases"
# well-formed values are taken
expect_exit 0 "$MIGRATE" --dir m --db sqlite:x.db up --to 2 --retries 0 --lock-wait 1.5s \
	--batch-size 5 --batch-delay 0 --lock-timeout 500ms
expect_exit 0 "$MIGRATE" --dir m --db sqlite:x.db status --format json
json_check "$OUT" "[m['phase'] for m in d['migrations']] == ['contracted', 'contracted']"
expect_exit 0 "$MIGRATE" --dir m --db sqlite:x.db revert --steps 2 --retries 100 --lock-wait 0
expect_exit 0 "$MIGRATE" --dir m --db sqlite:x.db status --format json
json_check "$OUT" "[m['phase'] for m in d['migrations']] == ['contracted', 'pending']"
rm -f x.db .x.db.migrate-lock

# config values are checked as strictly, with their file and line
for value in 15x 1e1 -15 150 8 "15 16"; do
	printf '[lint]\npostgres_version = %s\n' "$value" >migrate.conf
	expect_exit 2 "$MIGRATE" lint m
	expect_contains "$ERR" \
		"migrate.conf:2:1: error: postgres_version must be a major version such as 15, not '$value'"
	expect_empty "$OUT"
done
printf '[lint]\npostgres_version = "15"\n' >migrate.conf
expect_exit 0 "$MIGRATE" lint m
printf '[migrations]\nversions = random\n' >migrate.conf
expect_exit 2 "$MIGRATE" new x
expect_contains "$ERR" "migrate.conf:2:1: error: versions is sequential or timestamp, not 'random'"
[ ! -e migrations ] || fail "a refused 'new' created the migrations directory"
rm migrate.conf

# a connection string where none belongs is refused without its secret:
# given as an argument, or as the value of a misspelt flag
for args in "status postgres://u:PWLEAK@h/db" "status host=h password=PWLEAK" \
	"--dbb=postgres://u:PWLEAK@h/db status" "status --urll=host=h password=PWLEAK" \
	"revert postgres://u:PWLEAK@h/db" "check mongodb://u:PWLEAK@h/db"; do
	# shellcheck disable=SC2086 # the words are the arguments
	expect_exit 2 "$MIGRATE" $args
	expect_not_contains "$ERR" PWLEAK
	expect_not_contains "$OUT" PWLEAK
	expect_match "$ERR" "unexpected argument|unknown option"
done

pass
