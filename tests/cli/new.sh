#!/usr/bin/env bash
# migrate new: where the file goes, how it is numbered, which slugs it takes.
. "$(dirname "$0")/lib.sh"

# a new project (no directory yet, parents missing too) gets a UTC timestamp
before=$(date -u +%Y%m%d%H%M%S)
expect_exit 0 "$MIGRATE" --dir db/deep/migrations new create_users
after=$(date -u +%Y%m%d%H%M%S)
expect_match "$OUT" '^db/deep/migrations/[0-9]{14}_create_users\.sql$'
first=$(cat "$OUT")
[ -f "$first" ] || fail "new did not create '$first'"
v=$(basename "$first" | cut -d_ -f1)
if [ "$v" -lt "$before" ] || [ "$v" -gt "$after" ]; then
	fail "version $v is not the UTC time ($before..$after)"
fi
expect_match "$first" '^-- migrate:expand$'
# the next one too, and later than the first even within the same second
expect_exit 0 "$MIGRATE" --dir db/deep/migrations new add_email
second=$(basename "$(cat "$OUT")" | cut -d_ -f1)
[ "$second" -gt "$v" ] || fail "second version $second is not after $v"
# an empty directory is a new project as well
mkdir empty
expect_exit 0 "$MIGRATE" --dir empty new x
expect_match "$OUT" '^empty/[0-9]{14}_x\.sql$'

# a directory of numbered files stays numbered; --timestamp says otherwise
migration seq/0001_a.sql <<<'SELECT 1;'
migration seq/0002_b.sql <<<'SELECT 1;'
expect_exit 0 "$MIGRATE" --dir seq new c
expect_eq "numbered" "$(cat "$OUT")" "seq/0003_c.sql"
expect_exit 0 "$MIGRATE" --dir seq new --timestamp d
expect_match "$OUT" '^seq/[0-9]{14}_d\.sql$'

# --sequential, or [migrations] versions, numbers a new project
expect_exit 0 "$MIGRATE" --dir numbered new --sequential a
expect_eq "--sequential" "$(cat "$OUT")" "numbered/0001_a.sql"
printf '[migrations]\ndir = conf\nversions = sequential\n' >migrate.conf
expect_exit 0 "$MIGRATE" new a
expect_eq "versions = sequential" "$(cat "$OUT")" "conf/0001_a.sql"
expect_exit 0 "$MIGRATE" new --timestamp b
expect_match "$OUT" '^conf/[0-9]{14}_b\.sql$'
printf '[migrations]\ndir = conf2\nversions = "timestamp"\n' >migrate.conf
migration conf2/0001_a.sql <<<'SELECT 1;'
expect_exit 0 "$MIGRATE" new b
expect_match "$OUT" '^conf2/[0-9]{14}_b\.sql$'
rm migrate.conf

# a slug a file already has is refused, naming that file; nothing is written
ls -R >.before.ls
expect_exit 2 "$MIGRATE" --dir seq new b
expect_contains "$ERR" "a migration named 'b' exists: 'seq/0002_b.sql'"
expect_empty "$OUT"
expect_exit 2 "$MIGRATE" --dir seq create c
expect_contains "$ERR" "'seq/0003_c.sql'"
# slugs take a-z, 0-9 and _ only, and the help says so
for slug in Bad-Slug "with space" 'a.b' 'é' ''; do
	expect_exit 2 "$MIGRATE" --dir seq new "$slug"
	expect_contains "$ERR" "usage: migrate new"
done
ls -R >.after.ls
expect_same .before.ls .after.ls "a refused 'new' wrote something"
expect_exit 0 "$MIGRATE" new --help
expect_contains "$OUT" "SLUG takes a-z, 0-9 and _ only"

pass
