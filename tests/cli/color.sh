#!/usr/bin/env bash
# Escape codes only on a terminal, and never with NO_COLOR.
. "$(dirname "$0")/lib.sh"

migration m/0001_drop.sql <<<'ALTER TABLE users DROP COLUMN email;'
esc=$(printf '\033')

expect_exit 1 "$MIGRATE" lint m
expect_contains "$OUT" "error[drop-column]"
if grep -q "$esc" "$OUT" "$ERR"; then fail "escape codes in output that is not a terminal"; fi
expect_exit 1 env NO_COLOR=1 "$MIGRATE" lint m
if grep -q "$esc" "$OUT" "$ERR"; then fail "escape codes with NO_COLOR"; fi
for format in json github sarif; do
	expect_exit 1 "$MIGRATE" lint --format "$format" m
	if grep -q "$esc" "$OUT"; then fail "escape codes in --format $format"; fi
done

# on a terminal (util-linux script gives one), colour unless NO_COLOR
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "'$MIGRATE' lint m" /dev/null >tty.out 2>&1 </dev/null || true
	grep -q "$esc" tty.out || fail "no colour on a terminal"
	grep -q "drop-column" tty.out || fail "no finding on a terminal"
	NO_COLOR=1 script -qec "'$MIGRATE' lint m" /dev/null >tty.out 2>&1 </dev/null || true
	grep -q "drop-column" tty.out || fail "no finding on a terminal with NO_COLOR"
	if grep -q "$esc" tty.out; then fail "escape codes on a terminal with NO_COLOR"; fi
else
	echo "note: no 'script' to make a terminal; skipped the terminal half" >&2
fi

pass
