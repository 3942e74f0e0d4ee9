#!/bin/sh
# bench/wait.sh - does rhq's scheduler scale with the tasks it waits on?
#
#   make bench-wait       (or, after `make rhq tests/standin`: sh bench/wait.sh)
#
# Runs `rhq --wait -j 8` for a fixed time over 2,000 and over 200,000 tasks
# that never finish (the stand-in answers QUEUED for IDs divisible by 4),
# against the stand-in on a free loopback port, and reports rhq's CPU time
# per request for each.  A scheduler that scans its waiting tasks on every
# wake-up costs more per request the more tasks wait; one that keeps them in
# a heap costs about the same.  The target (issue 8): within 1.3x.
#
# Environment (defaults in brackets):
#   BENCH_WAIT_SECS   seconds of each run (--deadline)        [10]
#   BENCH_WAIT_SMALL  tasks in the small run                  [2000]
#   BENCH_WAIT_LARGE  tasks in the large run                  [200000]
#   RHQ, STANDIN      the programs under test [./rhq, tests/standin]
set -eu

SECS=${BENCH_WAIT_SECS:-10}
SMALL=${BENCH_WAIT_SMALL:-2000}
LARGE=${BENCH_WAIT_LARGE:-200000}
RHQ=${RHQ:-./rhq}
STANDIN=${STANDIN:-tests/standin}
TIME=/usr/bin/time

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

[ -x "$TIME" ] || die "GNU time not found (make deps-bench installs it)"
[ -x "$RHQ" ] || die "$RHQ not found: run 'make rhq' first"
[ -x "$STANDIN" ] || die "$STANDIN not found: run 'make tests/standin' first"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rhq-bench.XXXXXX")
standin_pid=
cleanup() {
	[ -z "$standin_pid" ] || kill "$standin_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One run: prints "tasks requests cpu-seconds".
run() {
	n=$1
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "19041520%011d\n", 4 * i }' \
	    >"$tmp/ids"
	rm -f "$tmp/port"	# not the last run's port, before this one writes its own
	"$STANDIN" >"$tmp/port" 2>"$tmp/standin.log" &
	standin_pid=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$tmp/port" ] || die "the stand-in did not start: $(cat "$tmp/standin.log")"
	st=0
	RUNNINGHUB_API_KEY=k RUNNINGHUB_BASE_URL="http://127.0.0.1:$(cat "$tmp/port")" \
	    "$TIME" -f '%U %S' -o "$tmp/time" \
	    "$RHQ" --wait -j 8 --interval 1 --deadline "$SECS" <"$tmp/ids" >"$tmp/out" \
	    2>"$tmp/err" || st=$?
	[ "$st" -eq 3 ] || die "rhq exited $st, want 3 (deadline): $(tail -n 3 "$tmp/err")"
	kill "$standin_pid"
	wait "$standin_pid" || true
	standin_pid=
	req=$(awk '/^standin: [0-9]+ requests/ { print $2 }' "$tmp/standin.log")
	printf 'bench: %s tasks: %s\n' "$n" "$(cut -f 2 "$tmp/out" | sort | uniq -c | tr -s ' \n' ' ')" >&2
	[ -n "$req" ] || die "no request count from the stand-in: $(cat "$tmp/standin.log")"
	[ "$(wc -l <"$tmp/out")" -eq "$n" ] || die "$n tasks but $(wc -l <"$tmp/out") rows"
	printf '%s %s %s\n' "$n" "$req" "$(tail -n 1 "$tmp/time" | awk '{ print $1 + $2 }')"
}

printf 'bench: --wait -j 8 --interval 1 for %s s over %s and %s tasks\n' "$SECS" "$SMALL" "$LARGE" >&2
set -- $(run "$SMALL") $(run "$LARGE")
awk -v n1="$1" -v r1="$2" -v c1="$3" -v n2="$4" -v r2="$5" -v c2="$6" 'BEGIN {
	u1 = c1 * 1e6 / r1; u2 = c2 * 1e6 / r2
	print "| tasks waited on | requests | rhq CPU | CPU per request |"
	print "|---:|---:|---:|---:|"
	printf "| %d | %d | %.2f s | %.1f us |\n", n1, r1, c1, u1
	printf "| %d | %d | %.2f s | %.1f us |\n", n2, r2, c2, u2
	printf "\nCPU per request, large / small: %.2f (target: at most 1.3)\n", u2 / u1
}'
