# Shared by scripts/bootstrap and scripts/test: installs what is missing.
# shellcheck shell=bash

MIGRATE_DEPS="meson ninja-build pkg-config gcc libpq-dev libpg-query-dev libprotobuf-c-dev
libsqlite3-dev sqlite3 libmongoc-dev libbson-dev libinih-dev libssl-dev libcmocka-dev pgbouncer
postgresql postgresql-contrib"

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "need root to run: $*" >&2
		return 1
	fi
}

# install_missing PKG...: apt-get installs those not installed yet.
install_missing() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}" >&2
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# build DIR [meson options...]: configures once, then builds.
build_into() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	fi
	# quiet when it builds; the compiler's messages when it does not
	ninja -C "$dir" >/dev/null || {
		ninja -C "$dir" >&2
		return 1
	}
}
