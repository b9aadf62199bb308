#!/usr/bin/env bash
# Secrets never printed: each connection string of the table below (some
# reaching the test server, where trust authentication accepts and ignores
# the password; some unreachable; some malformed) goes through every verb,
# with and without --verbose, and through check as --db and as --shadow-db
# with every report format. Its password appears nowhere in stdout, stderr,
# the reports, nor in the history tables; what connects still works.
. "$(dirname "$0")/lib.sh"

# the test server's socket directory (or host), port and user, for the URL forms
H=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$MIGRATE_TEST_PG")
P=$(sed -n 's/.*port=\([^ ]*\).*/\1/p' <<<"$MIGRATE_TEST_PG")
U=$(sed -n 's/.*user=\([^ ]*\).*/\1/p' <<<"$MIGRATE_TEST_PG")
[ -n "$H" ] || fail "MIGRATE_TEST_PG names no host: $MIGRATE_TEST_PG"
U=${U:-postgres}
HP="host=$H${P:+&port=$P}"

new_db
# base: the test server without a database; one migration that applies and
# one that fails (an events row with its error message)
BASE="host=$H${P:+ port=$P} user=$U"
migration 0001_t.sql <<'SQL'
-- migrate:expand
CREATE TABLE t (id bigint PRIMARY KEY, a text);
SQL
migration 0002_fails.sql <<'SQL'
-- migrate:expand
ALTER TABLE missing_table ADD COLUMN b text;
SQL

# KIND|URL|SECRET[|SECRET...]: ok connects to the test database, fail does not
CASES=(
	"ok|$BASE dbname=$DB password=Pw01LastSecret|Pw01LastSecret"
	"ok|password=Pw02FirstSecret $BASE dbname=$DB|Pw02FirstSecret"
	"ok|dbname=$DB application_name=password_app password=Pw03AfterName $BASE|Pw03AfterName"
	"ok|$BASE sslpassword=Ssl04Secret password=Pw04AfterSsl dbname=$DB|Ssl04Secret|Pw04AfterSsl"
	"ok|$BASE dbname=$DB password='Pw05 quoted spaces'|Pw05 quoted spaces|Pw05"
	"ok|$BASE dbname=$DB password='Pw06\\'esc\\\\aped'|Pw06\\'esc\\\\aped|Pw06'esc\\aped|Pw06"
	"ok|$BASE dbname=$DB password =  Pw07Spaced|Pw07Spaced"
	"ok|postgresql://$U:Pw08UserInfo@/$DB?$HP|Pw08UserInfo"
	"ok|postgres:///$DB?$HP&user=$U&sslpassword=Ssl09Query&password=Pw09Query|Ssl09Query|Pw09Query"
	"ok|postgresql://$U:Pw10%40%2F%3AEnc@/$DB?$HP|Pw10%40%2F%3AEnc|Pw10@/:Enc|Pw10"
	"ok|postgresql://$U:Pw11Both@/$DB?$HP&pass%77ord=Pw11Query|Pw11Both|Pw11Query"
	"fail|user=password host=$H${P:+ port=$P} password=Pw12RoleNamedPassword dbname=$DB|Pw12RoleNamedPassword"
	"fail|$BASE dbname=password_db password=Pw13NoSuchDb|Pw13NoSuchDb"
	"fail|$BASE dbname=postgres://app:Pw14DbNameUrl@h/db|Pw14DbNameUrl"
	"fail|postgres://app:Pw15ClosedPort@127.0.0.1:1/db?connect_timeout=2|Pw15ClosedPort"
	"fail|host=$T/no-such-dir user=app password=Pw16NoSocket dbname=db|Pw16NoSocket"
	"fail|postgresql://app:Pw17SocketUrl@%2Fno-such-dir/db|Pw17SocketUrl"
	"fail|postgres://app:Pw18BadParam@127.0.0.1:1/db?bogus=1|Pw18BadParam"
	"fail|$BASE dbname=$DB password=Pw19 unquoted space|Pw19 unquoted space|unquoted|Pw19"
	"fail|$BASE dbname=$DB password='Pw20Unterminated|Pw20Unterminated"
	"fail|$BASE dbname=$DB PASSWORD=Pw21UpperCase|Pw21UpperCase"
	"fail|postgres://app:Pw22BadIpv6@[::1/db|Pw22BadIpv6"
	"fail|mysql://app:Pw23OtherScheme@h/db?x=1|Pw23OtherScheme"
	"fail|app:Pw24NoScheme@h/db|Pw24NoScheme"
	"fail|mongodb://app:Pw25Mongo@127.0.0.1:1/db?serverSelectionTimeoutMS=200|Pw25Mongo"
	"fail|mongodb://app:Pw26%3AMongo@127.0.0.1:1/db?serverSelectionTimeoutMS=200&authMechanismProperties=AWS_SESSION_TOKEN:Tok26Secret|Pw26%3AMongo|Pw26:Mongo|Tok26Secret"
)
[ "${#CASES[@]}" -ge 20 ] || fail "the table has ${#CASES[@]} strings, not 20"

REPORTS="$T/reports"
ALL_SECRETS=()

# no_secret FILE...: none of the case's secrets is in FILE.
no_secret() {
	local s f
	for s in "${SECRETS[@]}"; do
		for f in "$@"; do
			[ -f "$f" ] || continue
			if grep -qF -- "$s" "$f"; then
				echo "--- $(shown "$f"):" >&2
				grep -F -- "$s" "$f" | head -5 | sed 's/^/  /' >&2
				fail "'$LAST_CMD' printed '$s' for connection string '$URL'"
			fi
		done
	done
}

# run CMD...: runs CMD like a user (any exit but a crash), then no_secret
# on its stdout, stderr and the reports it wrote.
run() {
	LAST_CMD="$*"
	rm -rf "$REPORTS"
	mkdir -p "$REPORTS"
	local rc=0
	"$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	[ "$rc" -lt 128 ] || fail "'$LAST_CMD' died (exit $rc)"
	RC=$rc
	no_secret "$OUT" "$ERR" "$REPORTS"/*
}

FORMATS=(text json github sarif junit markdown)
report_flags() {
	local f
	for f in "${FORMATS[@]}"; do
		printf '%s\n' --report "$f=$REPORTS/report.$f"
	done
}
mapfile -t REPORT_FLAGS < <(report_flags)

i=0
for c in "${CASES[@]}"; do
	IFS='|' read -r -a fields <<<"$c"
	KIND=${fields[0]}
	URL=${fields[1]}
	SECRETS=("${fields[@]:2}")
	ALL_SECRETS+=("${SECRETS[@]}")
	# the first secret is the one as written: a typo in the table would prove nothing
	grep -qF -- "${SECRETS[0]}" <<<"$URL" || fail "case $i: '${SECRETS[0]}' is not in '$URL'"

	run "$MIGRATE" --dir "$MIG" --db "$URL" status
	if [ "$KIND" = ok ]; then
		[ "$RC" = 0 ] || fail "'$URL' should connect: status exited $RC"
		expect_contains "$OUT" "fails"
	else
		[ "$RC" != 0 ] || fail "'$URL' should not connect"
		expect_contains "$ERR" "migrate status: error:"
		expect_contains "$ERR" "***"
	fi
	for verbose in "" --verbose; do
		for verb in status up plan revert "purge --older-than 0s"; do
			# shellcheck disable=SC2086 # the verb and its flags
			run "$MIGRATE" --dir "$MIG" --db "$URL" $verb $verbose
		done
	done
	# check: the string as the shared database (drift), then as the shadow,
	# each format on stdout in turn and all of them as reports
	format=${FORMATS[$((i % ${#FORMATS[@]}))]}
	run "$MIGRATE" --dir "$MIG" check --db "$URL" --shadow-db "$MIGRATE_TEST_PG" --verbose \
		--format "$format" "${REPORT_FLAGS[@]}"
	[ "$RC" = 1 ] || fail "check --db '$URL' exited $RC, expected 1 (0002 fails)"
	[ -s "$REPORTS/report.junit" ] || fail "check --db '$URL' wrote no junit report"
	run "$MIGRATE" --dir "$MIG" check --db "$CONN" --shadow-db "$URL" --verbose \
		--format "$format" "${REPORT_FLAGS[@]}"
	[ "$RC" = 1 ] || fail "check --shadow-db '$URL' exited $RC, expected 1"
	i=$((i + 1))
done

# the ok strings did the work: 0001 applied and reverted, 0002 failed, each logged
expect_eq "failed runs of 0002 logged" \
	"$(q "SELECT count(*) > 0 FROM migrate.events WHERE version = 2 AND outcome = 'failed'")" t
expect_eq "reverts logged" "$(q "SELECT count(*) > 0 FROM migrate.events WHERE command = 'revert'")" t

# ---- the lock holder's description ----
bg other-migrate "SELECT pg_advisory_lock(hashtextextended('migrate:' || 'migrate', 0)); SELECT pg_sleep(60)"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'other-migrate'
	AND wait_event = 'PgSleep')"
for c in "${CASES[@]}"; do
	IFS='|' read -r -a fields <<<"$c"
	[ "${fields[0]}" = ok ] || continue
	URL=${fields[1]}
	SECRETS=("${fields[@]:2}")
	for verb in up revert; do
		run "$MIGRATE" --dir "$MIG" --db "$URL" $verb --lock-wait 100ms
		[ "$RC" = 4 ] || fail "'$LAST_CMD' exited $RC, expected 4 (lock held)"
		expect_contains "$ERR" "another migrate holds the lock on"
	done
done
end_session other-migrate

# ---- the history tables ----
TABLES="$T/tables"
for tbl in events history meta trash backfills; do
	q "SELECT to_regclass('migrate.$tbl') IS NOT NULL" | grep -q t || continue
	q "SELECT row_to_json(x)::text FROM migrate.$tbl x" >>"$TABLES"
done
[ -s "$TABLES" ] || fail "the history tables are empty"
SECRETS=("${ALL_SECRETS[@]}")
LAST_CMD="the history tables"
URL="any"
no_secret "$TABLES"

pass
