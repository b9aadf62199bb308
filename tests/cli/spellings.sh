#!/usr/bin/env bash
# The spellings users bring from other tools: --url and -u for --db,
# --env-file, sqlite3:, create / rollback / down, -v and version, quoted
# values in migrate.conf; and status --exit-code.
. "$(dirname "$0")/lib.sh"

migration m/0001_create_users.sql <<<'CREATE TABLE users (id bigint PRIMARY KEY);'
migration m/0002_add_email.sql <<<'ALTER TABLE users ADD COLUMN email text;'
applied() { sqlite3 "$1" "SELECT group_concat(version || ':' || phase, ' ') FROM _migrate_history WHERE phase <> 'pending'"; }

if command -v sqlite3 >/dev/null; then
	# --db, --url, -u, -uURL, before and after the verb: each names the file it writes
	n=0
	for spelling in "--db DB" "--url DB" "-u DB" "--url=DB" "-uDB"; do
		for where in before after; do
			n=$((n + 1))
			db="db$n.db"
			# shellcheck disable=SC2206 # split the spelling into words, DB replaced
			words=(${spelling//DB/sqlite:$db})
			if [ $where = before ]; then
				expect_exit 0 "$MIGRATE" --dir m "${words[@]}" up --to 1
			else
				expect_exit 0 "$MIGRATE" --dir m up --to 1 "${words[@]}"
			fi
			expect_not_contains "$ERR" "embedded default"
			expect_eq "'$spelling' $where the verb" "$(applied "$db")" "1:contracted"
		done
	done
	[ ! -e migrate.db ] || fail "a spelling of --db fell back to migrate.db"

	# sqlite3: is sqlite:
	expect_exit 0 "$MIGRATE" --dir m --db sqlite3:s3.db up
	expect_eq "sqlite3:" "$(applied s3.db)" "1:contracted 2:contracted"
	printf 'DATABASE_URL=sqlite3:env.db\n' >.env
	expect_exit 0 "$MIGRATE" --dir m up --to 1
	expect_eq ".env with sqlite3:" "$(applied env.db)" "1:contracted"
	rm .env

	# --env-file FILE instead of .env (which is then not read)
	printf 'DATABASE_URL=sqlite:dotenv.db\n' >.env
	printf '# the staging database\nexport DATABASE_URL="sqlite:staging.db"\n' >staging.env
	expect_exit 0 "$MIGRATE" --dir m --env-file staging.env up --to 1
	expect_eq "--env-file" "$(applied staging.db)" "1:contracted"
	expect_exit 0 "$MIGRATE" --dir m status --env-file=staging.env
	expect_match "$OUT" '^1 +create_users +contracted'
	[ ! -e dotenv.db ] || fail "--env-file read .env as well"
	# DATABASE_URL in the environment still wins, as it does over .env
	DATABASE_URL=sqlite:environ.db expect_exit 0 "$MIGRATE" --dir m --env-file staging.env up --to 1
	[ -e environ.db ] || fail "DATABASE_URL did not win over --env-file"
	rm .env

	# quoted values in migrate.conf
	for quote in '"' "'"; do
		rm -f quoted.db
		printf '[database]\nurl = %ssqlite:quoted.db%s\n[migrations]\ndir = %sm%s\n' \
			"$quote" "$quote" "$quote" "$quote" >migrate.conf
		expect_exit 0 "$MIGRATE" up --to 1
		expect_eq "url = ${quote}sqlite:quoted.db${quote}" "$(applied quoted.db)" "1:contracted"
	done
	rm migrate.conf

	# rollback and down are revert
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db rollback
	expect_eq "rollback" "$(applied s3.db)" "1:contracted 2:expanded"
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db down --to 0
	expect_eq "down --to 0" "$(applied s3.db)" ""

	# status --exit-code: 1 while something of this checkout is pending or drifted, else 0
	expect_exit 1 "$MIGRATE" --dir m --db sqlite:s3.db status --exit-code
	expect_match "$OUT" '^2 +add_email +pending'
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db status
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db up --phase expand
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db status --exit-code # expanded waits for a deploy
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db up
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db status --exit-code --format json
	json_check "$OUT" "all(m['phase'] == 'contracted' and m['interrupted'] is False and m['missing'] is False for m in d['migrations'])"
	echo '-- a comment is no change' >>m/0002_add_email.sql
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db status --exit-code
	echo 'SELECT 1;' >>m/0002_add_email.sql
	expect_exit 1 "$MIGRATE" --dir m --db sqlite:s3.db status --exit-code
	expect_contains "$OUT" "DRIFT"
	rm m/0002_add_email.sql
	# another branch's migration: not this checkout's to apply or to fix
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db status --exit-code --format json
	json_check "$OUT" "d['migrations'][1]['missing'] is True and d['migrations'][1]['in_checkout'] is False"
	migration m/0002_add_email.sql <<<'ALTER TABLE users ADD COLUMN email text;'
	expect_exit 0 "$MIGRATE" --dir m --db sqlite:s3.db status --exit-code
fi

# create is new
expect_exit 0 "$MIGRATE" --dir m create add_phone
expect_match "$OUT" '^m/0003_add_phone\.sql$'
[ -f m/0003_add_phone.sql ] || fail "create did not write the file it printed"

# -v, --version and version print the version
expect_exit 0 "$MIGRATE" --version
cp "$OUT" version.txt
expect_match version.txt '^migrate [0-9]+\.[0-9]+\.[0-9]+ \(PostgreSQL [0-9]+ grammar'
for spelling in -v version; do
	expect_exit 0 "$MIGRATE" $spelling
	expect_same version.txt "$OUT" "'migrate $spelling' is not 'migrate --version'"
done

# the aliases are in the help of their verb and in migrate --help
expect_exit 0 "$MIGRATE" --help
expect_contains "$OUT" "(also: rollback, down)"
expect_contains "$OUT" "(also: create)"
expect_exit 0 "$MIGRATE" help rollback
expect_contains "$OUT" "usage: migrate revert"

pass
