#!/usr/bin/env bash
# The lint benchmark: `migrate lint` against squawk on one corpus of 2,000
# migration files (bench/gen_corpus.py), side by side on this machine.
#
#   bench/lint.sh                run it (from anywhere; paths are the repository's)
#   RUNS=10 bench/lint.sh        timed runs per tool (default 10, after one warm-up)
#
# Environment:
#   BENCH_TOOLS   where squawk is installed (default ~/.cache/migrate-bench: outside
#                 the repository, kept between runs)
#   BENCH_OUT     where the corpus and raw results go (default bench/out, ignored by git)
#   SQUAWK_VERSION  default 2.66.0
#   FILES, STATEMENTS  corpus size (default 2000 files x 25 statements)
#
# The tools take turns, run after run, and each run's wall time and peak RSS
# are read from the tool's own process. Prints the machine, the median wall
# time of each tool, their ratio and the peak resident memory of each, then
# the same as a Markdown table for bench/README.md. The corpus, each tool's
# findings and every run's numbers stay in BENCH_OUT.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

runs=${RUNS:-10}
tools=${BENCH_TOOLS:-$HOME/.cache/migrate-bench}
out=${BENCH_OUT:-$root/bench/out}
squawk_version=${SQUAWK_VERSION:-2.66.0}
files=${FILES:-2000}
statements=${STATEMENTS:-25}
corpus=$out/corpus
build=$root/build-bench

say() { printf '== %s\n' "$*" >&2; }
die() {
	printf 'bench/lint.sh: %s\n' "$*" >&2
	exit 1
}

# apt_install CMD PKG: installs the Debian package PKG when CMD is missing
# (as_root comes from scripts/lib.sh, sourced below).
apt_install() {
	command -v "$1" >/dev/null && return 0
	say "installing $2"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"$2" >/dev/null
	command -v "$1" >/dev/null || die "'$1' is still missing after installing $2"
}

# ---- tools ----

# what the build needs, as scripts/bootstrap installs it
. scripts/lib.sh
# shellcheck disable=SC2086
install_missing $MIGRATE_DEPS
apt_install python3 python3
apt_install npm npm
apt_install node nodejs

squawk_pkg=$tools/node_modules/squawk-cli/package.json
if [ ! -f "$squawk_pkg" ] ||
	[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
		"$squawk_pkg")" != "$squawk_version" ]; then
	say "installing squawk-cli@$squawk_version into $tools"
	mkdir -p "$tools"
	npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
		"squawk-cli@$squawk_version" >&2
fi
# The npm package is a node wrapper that starts the native binary shipped in
# @squawk-cli/<platform>; time the binary itself, not node's start-up.
squawk=$(cd "$tools" && node -e \
	'process.stdout.write(require("squawk-cli/js/index.js").getBinaryPath())')
[ -x "$squawk" ] || die "squawk binary not found (looked for '$squawk')"
"$squawk" --version | grep -q "$squawk_version" ||
	die "squawk at '$squawk' is not version $squawk_version"

say "building migrate (release) in build-bench"
# warnings are CI's business (it builds with -Werror); -O3 sees a few more
[ -f "$build/build.ninja" ] ||
	meson setup "$build" --buildtype=release -Dtests=false -Dwerror=false >&2
ninja -C "$build" migrate >&2
migrate=$build/migrate

# ---- corpus ----

say "writing the corpus: $files files x $statements statements into $corpus"
python3 bench/gen_corpus.py "$corpus" --files "$files" --statements "$statements"
n_files=$(find "$corpus" -maxdepth 1 -name '*.sql' | wc -l)
[ "$n_files" -eq "$files" ] || die "corpus holds $n_files files, not $files"

# ---- check that both tools lint the whole corpus ----

# run_checked OUT CMD...: runs CMD into OUT; exit 0 or 1 (findings) are fine.
run_checked() {
	local dest=$1 rc=0
	shift
	"$@" >"$dest" || rc=$?
	[ "$rc" -le 1 ] || die "'$*' failed with exit $rc"
}

run_checked "$out/migrate.json" "$migrate" lint --format json "$corpus"
run_checked "$out/squawk.json" "$squawk" --reporter json "$corpus/*.sql"

python3 - "$out/migrate.json" "$out/squawk.json" "$files" "$((files * statements))" \
	>"$out/findings.txt" <<'PY'
import collections, json, sys

m = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
files, statements = int(sys.argv[3]), int(sys.argv[4])
if m["files"] != files or m["statements"] != statements:
    sys.exit("migrate linted %d files, %d statements; expected %d, %d"
             % (m["files"], m["statements"], files, statements))
s_files = {f["file"] for f in s}
if len(s_files) != files:
    sys.exit("squawk reported on %d files of %d: it did not lint them all" % (len(s_files), files))
for name, rules in (("migrate", collections.Counter(f["rule"] for f in m["findings"])),
                    ("squawk", collections.Counter(f["rule_name"] for f in s))):
    print("%s: %d findings from %d rules: %s" % (
        name, sum(rules.values()), len(rules),
        ", ".join("%s %d" % kv for kv in rules.most_common())))
PY
cat "$out/findings.txt" >&2

# ---- timing ----

load=$(cut -d' ' -f1 /proc/loadavg)
if python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 0.5)' "$load"; then
	say "warning: load average $load: other work is running, the numbers will be noisy"
fi

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src 2>/dev/null || rev="$rev+changes"

say "timing: 1 warm-up + $runs runs of each, taking turns"
# Each run's wall time and peak RSS come from wait4() on the tool's own
# process (no shell in between: squawk expands the quoted pattern itself).
# The tools take turns so that a burst of other work on the machine hits
# both alike.
BENCH_MACHINE="$(nproc) cores, $cpu, $mem, $(uname -sr)" \
BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC'), load average $load at the start" \
BENCH_CORPUS="$files files x $statements statements (bench/gen_corpus.py)" \
BENCH_MIGRATE="$("$migrate" --version) ($rev), release build" \
BENCH_SQUAWK="$("$squawk" --version)" \
	python3 - "$runs" "$out/runs.json" \
	"$migrate" lint --format json "$corpus" -- \
	"$squawk" --reporter json "$corpus/*.sql" <<'PY'
import json, os, statistics, subprocess, sys, time

runs, dest = int(sys.argv[1]), sys.argv[2]
split = sys.argv.index("--")
cmds = {"migrate": sys.argv[3:split], "squawk": sys.argv[split + 1:]}

def once(cmd):
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit("%s exited with %d" % (cmd[0], code))
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime

for name, cmd in cmds.items():
    once(cmd)  # warm-up: the files and the binaries in the page cache
res = {name: [] for name in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():
        res[name].append(once(cmd))
json.dump(res, open(dest, "w"), indent=1)

med = {k: statistics.median(w for w, _, _ in v) for k, v in res.items()}
lo = {k: min(w for w, _, _ in v) for k, v in res.items()}
hi = {k: max(w for w, _, _ in v) for k, v in res.items()}
cpu = {k: statistics.median(c for _, _, c in v) for k, v in res.items()}
rss = {k: statistics.median(r for _, r, _ in v) / 1024 for k, v in res.items()}
ratio = med["migrate"] / med["squawk"]
mem_ratio = rss["migrate"] / rss["squawk"]

env = os.environ
print("machine:  " + env["BENCH_MACHINE"])
print("date:     " + env["BENCH_DATE"])
print("corpus:   " + env["BENCH_CORPUS"])
print("migrate:  " + env["BENCH_MIGRATE"])
print("squawk:   " + env["BENCH_SQUAWK"])
print()
for k in cmds:
    print("%-8s median %6.3f s  (min %.3f, max %.3f, %d runs)  CPU %.3f s  peak RSS %6.1f MiB"
          % (k, med[k], lo[k], hi[k], runs, cpu[k], rss[k]))
print("ratio migrate/squawk: wall time %.2f, peak RSS %.2f" % (ratio, mem_ratio))
print()
print("| tool | median wall time | min - max | CPU time (user + sys) | peak RSS |")
print("|---|---|---|---|---|")
for k in cmds:
    print("| %s | %.3f s | %.3f - %.3f s | %.3f s | %.1f MiB |"
          % (k, med[k], lo[k], hi[k], cpu[k], rss[k]))
print("| migrate / squawk | %.2f | | %.2f | %.2f |"
      % (ratio, cpu["migrate"] / cpu["squawk"], mem_ratio))
PY
