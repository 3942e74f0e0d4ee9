#!/bin/sh
# bench/run.sh - rhq against its alternatives, all on loopback (issue 4).
#
#   make bench            (or, after `make rhq tests/standin`: sh bench/run.sh)
#   make bench BENCH_ONLY=throttle    (the throttling rows alone, half a minute)
#
# Run from the repository root.  Needs nginx (nginx-light), wrk, curl,
# openssl and GNU time: `make deps-bench`.  Starts, on 127.0.0.1 and free
# ports, nginx (a fixed JSON reply over HTTP/1.1, and over HTTPS + HTTP/2
# with a throw-away self-signed certificate) and the stand-in
# (tests/standin) with a 20 ms delay per reply; everything lives in a
# private temporary directory that is removed at the end, and every server
# started here is stopped, also on ^C.
#
# Prints a Markdown report (meant to be pasted into the README as is) on
# stdout and writes it to bench/out/results.md.  Progress goes to stderr.
#
# Environment (defaults in brackets):
#   BENCH_N        IDs for rhq and curl -K against nginx          [20000]
#   BENCH_N_LOOP   IDs for the one-curl-per-ID shell loop          [500]
#   BENCH_SLOW_N   IDs against the 20 ms stand-in                  [200]
#   BENCH_RSS_N    IDs for the large peak-RSS run                  [200000]
#   BENCH_TLS_N    IDs over HTTPS + HTTP/2                         [2000]
#   BENCH_WAIT_N   tasks of the --wait starvation run              [100000]
#   BENCH_WAIT_SECS its --deadline                                  [30]
#   BENCH_PACE_SECS seconds of each --wait CPU and --rate run       [10]
#                  (the --wait CPU rows: 2,000 against 200,000 tasks at -j 8,
#                  and 2,000 against BENCH_WAIT_N at --rate 2000 -j 16)
#   BENCH_THROTTLE the rate above which the stand-in answers 429   [2000]
#   BENCH_RHQ_OLD  another rhq to run the 429 mix and the throttling rows
#                  with, for comparison
#   BENCH_ONLY     "throttle": only the throttling rows of issue 14, without
#                  nginx; their report goes to bench/out/throttle.md
#   BENCH_OUT_N    IDs for the -o rows (v1 and v2, stand-in)        [20000]
#   BENCH_STATE_N  entries of the state file, and IDs, for --state [1000000]
#   BENCH_RUNS     runs of each nginx measurement, the best kept    [3]
#   BENCH_WRK_SECS seconds of each wrk run                         [5]
#   BENCH_TIMEOUT  limit in seconds for any one measured command   [45]
#   BENCH_CPU      CPU for nginx and the one-connection clients, or
#                  "none" to let the scheduler place them           [0]
#   RHQ, STANDIN   the programs under test [./rhq, tests/standin]
set -eu

N=${BENCH_N:-20000}
N_LOOP=${BENCH_N_LOOP:-500}
SLOW_N=${BENCH_SLOW_N:-200}
RSS_N=${BENCH_RSS_N:-200000}
TLS_N=${BENCH_TLS_N:-2000}
WAIT_N=${BENCH_WAIT_N:-100000}
WAIT_SECS=${BENCH_WAIT_SECS:-30}
PACE_SECS=${BENCH_PACE_SECS:-10}
THROTTLE=${BENCH_THROTTLE:-2000}
RHQ_OLD=${BENCH_RHQ_OLD:-}
ONLY=${BENCH_ONLY:-}
OUT_N=${BENCH_OUT_N:-20000}
STATE_N=${BENCH_STATE_N:-1000000}
RUNS=${BENCH_RUNS:-3}
WRK_SECS=${BENCH_WRK_SECS:-5}
LIMIT=${BENCH_TIMEOUT:-45}
CPU=${BENCH_CPU:-0}
RHQ=${RHQ:-./rhq}
STANDIN=${STANDIN:-tests/standin}
DELAY_MS=20
FIRST_ID=1904152026220000000
KEY=k
OUTDIR=bench/out

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

for v in "$N" "$N_LOOP" "$SLOW_N" "$RSS_N" "$TLS_N" "$OUT_N" "$RUNS" "$WRK_SECS" "$LIMIT" \
	"$WAIT_N" "$WAIT_SECS" "$PACE_SECS" "$THROTTLE" "$STATE_N"; do
	case $v in
	'' | *[!0-9]* | 0) die "BENCH_* values must be positive whole numbers (got '$v')" ;;
	esac
done
case $ONLY in '' | throttle) ;; *) die "BENCH_ONLY must be empty or throttle (got '$ONLY')" ;; esac

# nginx lives in /usr/sbin, which is not on every user's PATH.
NGINX=$(PATH="$PATH:/usr/sbin:/sbin" command -v nginx || true)
TIME=/usr/bin/time
missing=
[ -n "$NGINX" ] || missing="$missing nginx-light"
[ -x "$TIME" ] || missing="$missing time"
for t in wrk curl openssl timeout awk seq od cmp; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] || die "missing:$missing (make deps-bench installs them)"
[ -x "$RHQ" ] || die "$RHQ not found: run 'make rhq' first"
[ -x "$STANDIN" ] || die "$STANDIN not found: run 'make tests/standin' first"
case $RHQ in /*) ;; *) RHQ=$(pwd)/$RHQ ;; esac
case $STANDIN in /*) ;; *) STANDIN=$(pwd)/$STANDIN ;; esac

# ------------------------------------------------------------ setup, cleanup

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rhq-bench.XXXXXX")
ngx_pid=
standin_pid=
pace_pid=
count_pid=
run_pid=

# reap PID: waits for a child started here, with SIGKILL after 5 s.
reap() {
	(
		sleep 5
		kill -KILL "$1" 2>/dev/null
	) >/dev/null 2>&1 &
	_watchdog=$!
	wait "$1" 2>/dev/null || true
	kill "$_watchdog" 2>/dev/null || true
	wait "$_watchdog" 2>/dev/null || true
}

# stop PID: SIGTERM to a server started here, then reap it.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	reap "$1"
}

cleanup() {
	status=$?
	trap - EXIT INT TERM
	[ "$status" -eq 0 ] || log "stopped (exit status $status); cleaning up"
	if [ -n "$run_pid" ]; then
		# timeout passes SIGTERM on to the measured command; time then ends.
		if [ -s "$tmp/run.pid" ] && kill -TERM "$(cat "$tmp/run.pid")" 2>/dev/null; then
			reap "$run_pid"
		else
			stop "$run_pid"
		fi
	fi
	[ -z "$ngx_pid" ] || stop "$ngx_pid"
	[ -z "$standin_pid" ] || stop "$standin_pid"
	[ -z "$pace_pid" ] || stop "$pace_pid"
	[ -z "$count_pid" ] || stop "$count_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# rhq reads the key from the environment; never a real one here.
RUNNINGHUB_API_KEY=$KEY
export RUNNINGHUB_API_KEY
unset RUNNINGHUB_API_KEY_FILE RUNNINGHUB_BASE_URL

# "$tmp/pin" COMMAND...: runs COMMAND on CPU $CPU.  nginx (one worker) and
# every one-connection client run on that one CPU, so that a request costs
# the client's and the server's CPU time and no wake-up across CPUs, which is
# slow and erratic on virtual machines (it changes where the scheduler
# happens to put the two); the -j and -c8 runs may use every CPU.
if [ "$CPU" != none ] && command -v taskset >/dev/null 2>&1 &&
	taskset -c "$CPU" true 2>/dev/null; then
	printf '#!/bin/sh\nexec taskset -c %s "$@"\n' "$CPU" >"$tmp/pin"
	placement="nginx's worker and the one-connection clients (rhq serial, curl, wrk -c1) share CPU $CPU (taskset); rhq -j and wrk -c8 may use every CPU"
else
	printf '#!/bin/sh\nexec "$@"\n' >"$tmp/pin"
	placement="no CPU pinning"
fi
chmod +x "$tmp/pin"

# ID lists: 1904152026220000001, ...
ids() { seq $((FIRST_ID + 1)) $((FIRST_ID + $1)) >"$tmp/ids.$1"; }
for n in 1 "$N" "$N_LOOP" "$SLOW_N" "$RSS_N" "$TLS_N"; do
	[ -f "$tmp/ids.$n" ] || ids "$n"
done
# IDs that the stand-in says are SUCCESS (value mod 4 = 3), one output file each.
seq $((FIRST_ID + 3)) 4 $((FIRST_ID + 4 * OUT_N)) >"$tmp/ids.success"

body() { printf '{"apiKey":"%s","taskId":"%s"}' "$KEY" "$1"; }

# A self-signed certificate for 127.0.0.1 and localhost.
mkdir -p "$tmp/nginx/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-days 2 -subj /CN=127.0.0.1 \
	-addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
	-keyout "$tmp/nginx/key.pem" -out "$tmp/nginx/cert.pem" 2>"$tmp/openssl.log" ||
	die "openssl failed: $(cat "$tmp/openssl.log")"
CACERT=$tmp/nginx/cert.pem

# nginx.conf for plain HTTP on port $1 and HTTPS + HTTP/2 on port $2.  Every
# path is relative to the prefix ($tmp/nginx/).
nginx_conf() {
	cat <<EOF
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    log_format conn '\$connection \$connection_requests \$server_protocol';
    server {
        listen 127.0.0.1:$1;
        location = /task/openapi/status {
            default_type application/json;
            return 200 '{"code":0,"msg":"success","data":"SUCCESS"}';
        }
        location = /nginx_status { stub_status; }
    }
    server {
        listen 127.0.0.1:$2 ssl http2;
        ssl_certificate cert.pem;
        ssl_certificate_key key.pem;
        access_log tls_access.log conn;
        location = /task/openapi/status {
            default_type application/json;
            return 200 '{"code":0,"msg":"success","data":"SUCCESS"}';
        }
    }
}
EOF
}

# Starts nginx in the foreground (our child) on two consecutive ports, trying
# random high ports until it can bind both.  nginx writes its pid file only
# after binding every port.
start_nginx() {
	tries=0
	while [ $tries -lt 30 ]; do
		tries=$((tries + 1))
		r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		HTTP_PORT=$((20000 + r % 40000))
		TLS_PORT=$((HTTP_PORT + 1))
		nginx_conf "$HTTP_PORT" "$TLS_PORT" >"$tmp/nginx/nginx.conf"
		: >"$tmp/nginx/error.log"
		rm -f "$tmp/nginx/nginx.pid"
		"$tmp/pin" "$NGINX" -p "$tmp/nginx/" -c nginx.conf -e error.log -g 'daemon off;' \
			>"$tmp/nginx/start.log" 2>&1 &
		ngx_pid=$!
		i=0
		while [ $i -lt 100 ] && kill -0 "$ngx_pid" 2>/dev/null &&
			! grep -q 'in use' "$tmp/nginx/start.log" "$tmp/nginx/error.log"; do
			if [ "$(cat "$tmp/nginx/nginx.pid" 2>/dev/null)" = "$ngx_pid" ] &&
				curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/nginx_status"; then
				return 0
			fi
			sleep 0.05
			i=$((i + 1))
		done
		stop "$ngx_pid"
		ngx_pid=
		grep -q 'in use' "$tmp/nginx/start.log" "$tmp/nginx/error.log" ||
			die "nginx did not start: $(cat "$tmp/nginx/start.log" "$tmp/nginx/error.log")"
	done
	die "no free port pair for nginx after $tries tries"
}

# standin_up PIDVAR NAME COMMAND...: starts a stand-in (COMMAND), its port in
# $tmp/NAME.port and its messages (and counts, when stopped) in $tmp/NAME.log;
# its pid goes to PIDVAR at once, so that cleanup stops it, and its port to
# up_port once it listens.
standin_up() {
	_var=$1
	_name=$2
	shift 2
	rm -f "$tmp/$_name.port"
	"$@" >"$tmp/$_name.port" 2>"$tmp/$_name.log" &
	eval "$_var=\$!"
	i=0
	while [ $i -lt 100 ] && [ ! -s "$tmp/$_name.port" ]; do
		kill -0 "$(eval echo "\$$_var")" 2>/dev/null ||
			die "stand-in failed: $(cat "$tmp/$_name.log")"
		sleep 0.05
		i=$((i + 1))
	done
	up_port=$(head -n 1 "$tmp/$_name.port")
	case $up_port in '' | *[!0-9]*) die "stand-in printed no port" ;; esac
}

start_standin() {
	standin_up standin_pid standin "$STANDIN" --delay-ms "$DELAY_MS"
	SLOW_PORT=$up_port
}

# ------------------------------------------------------------ measuring

# TCP connections nginx has accepted so far (the query itself counts one).
accepts() { curl -s "$HTTP/nginx_status" | awk 'NR == 3 { print $1 }'; }

fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, x }'; }
us_per() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", c * 1e6 / n; else print "-" }'; }
div() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b > 0) printf "%.*f", d, a / b; else print "-" }'; }

# run_once IN OUT ERR COMMAND...: runs COMMAND once under GNU time and a time
# limit; sets r_rc, r_wall (s), r_cpu (user+sys, s), r_rss (KiB), r_ok (rows
# or replies with a task state).
run_once() {
	_in=$1 _out=$2 _err=$3
	shift 3
	r_rc=0
	_t0=$(date +%s%N)
	# In the background, so that a signal to this script is handled at once;
	# the small sh notes the pid of timeout, which on SIGTERM (or when the
	# time is up) signals its whole process group: the command and its
	# children.
	rm -f "$tmp/run.pid"
	# shellcheck disable=SC2016 # $$ is for the inner sh
	"$TIME" -f '%U %S %M' -o "$tmp/time.txt" \
		sh -c 'echo $$ >"$0" && exec timeout -k 5 "$@"' "$tmp/run.pid" "$LIMIT" "$@" \
		<"$_in" >"$_out" 2>"$_err" &
	run_pid=$!
	wait "$run_pid" || r_rc=$?
	run_pid=
	_t1=$(date +%s%N)
	r_wall=$(awk -v ns=$((_t1 - _t0)) 'BEGIN { printf "%.6f", ns / 1e9 }')
	tail -n 1 "$tmp/time.txt" >"$tmp/time.last"
	read -r _user _sys r_rss <"$tmp/time.last" || true
	case $r_rss in '' | *[!0-9]*) die "no timing for: $* ($(cat "$tmp/time.txt" "$_err"))" ;; esac
	r_cpu=$(awk -v u="$_user" -v s="$_sys" 'BEGIN { print u + s }')
	r_ok=$(grep -cE 'QUEUED|RUNNING|FAILED|SUCCESS' "$_out" || true)
}

# measure NAME EXPECTED RUNS IN COMMAND...: the best of RUNS runs (fewer when
# a run falls short).  Sets m_rate (answered per second), m_ok, m_cpu (s),
# m_cpu_us (per answer), m_rss, m_conns (nginx side, plain HTTP only) and
# m_note ("" or what went wrong); the output is left in $tmp/NAME.out, stderr
# in $tmp/NAME.err.
measure() {
	_name=$1 _want=$2 _runs=$3 _in=$4
	shift 4
	m_rate=0 m_note=
	_k=0
	while [ $_k -lt "$_runs" ]; do
		_k=$((_k + 1))
		_a0=$(accepts)
		run_once "$_in" "$tmp/$_name.out" "$tmp/$_name.err" "$@"
		_a1=$(accepts)
		_rate=$(div "$r_ok" "$r_wall" 1)
		log "  $_name run $_k: $r_ok/$_want answered in $(fmt "$r_wall" 3) s = $_rate/s (exit $r_rc)"
		if awk -v a="$_rate" -v b="$m_rate" 'BEGIN { exit !(a > b) }' || [ $_k -eq 1 ]; then
			m_rate=$_rate m_ok=$r_ok m_cpu=$r_cpu m_rss=$r_rss
			m_cpu_us=$(us_per "$r_cpu" "$r_ok")
			m_conns=$((_a1 - _a0 - 1))
		fi
		m_note=
		# rhq rows must come out in input order.
		if head -n 1 "$tmp/$_name.out" | grep -q '	'; then
			cut -f 1 "$tmp/$_name.out" >"$tmp/order.got"
			head -n "$(wc -l <"$tmp/order.got")" "$_in" >"$tmp/order.want"
			if ! cmp -s "$tmp/order.got" "$tmp/order.want"; then
				m_note="rows NOT in input order"
				[ "$r_ok" -eq "$_want" ] || m_note="$m_note; only $r_ok of $_want answered (exit $r_rc)"
				break
			fi
		fi
		if [ "$r_rc" -eq 124 ] || [ "$r_rc" -eq 137 ]; then
			m_note="TIMED OUT after ${LIMIT} s with $r_ok of $_want answered"
			break
		elif [ "$r_ok" -ne "$_want" ]; then
			m_note="only $r_ok of $_want answered (exit $r_rc)"
			break
		elif [ "$r_rc" -ne 0 ]; then
			m_note="exit status $r_rc"
			break
		fi
	done
}

# wrk_rate CONNS THREADS [PIN]: requests per second from wrk (the best of RUNS
# runs), sending the same POST as rhq; sets m_rate, m_cpu_us and m_conns.
wrk_rate() {
	m_rate=0
	_k=0
	while [ $_k -lt "$RUNS" ]; do
		_k=$((_k + 1))
		_a0=$(accepts)
		"$TIME" -f '%U %S' -o "$tmp/wrk.time" ${3:+"$3"} wrk -c"$1" -t"$2" -d"${WRK_SECS}s" -s "$tmp/post.lua" "$HTTP$API" >"$tmp/wrk.$1.out" 2>&1 ||
			die "wrk failed: $(cat "$tmp/wrk.$1.out")"
		_a1=$(accepts)
		_rate=$(awk '/^Requests\/sec:/ { printf "%.1f", $2 }' "$tmp/wrk.$1.out")
		_reqs=$(awk '/ requests in / { print $1 }' "$tmp/wrk.$1.out")
		_cpu=$(tail -n 1 "$tmp/wrk.time" | awk '{ print $1 + $2 }')
		log "  wrk -c$1 -t$2 run $_k: $_rate/s"
		if awk -v a="$_rate" -v b="$m_rate" 'BEGIN { exit !(a > b) }'; then
			m_rate=$_rate
			m_cpu_us=$(us_per "$_cpu" "$_reqs")
			# wrk's default setup probes the address with one extra connection.
			m_conns=$((_a1 - _a0 - 2))
		fi
	done
}

# ------------------------------------------------------------ stand-ins that throttle

# A stand-in of our own with no delay (and the options given: a throttle,
# replies scripted), counting what it gets; pace_standin_stop sets
# p_requests and p_throttled (429s of the throttle) from its count.
pace_standin() {
	standin_up pace_pid pace "$STANDIN" "$@"
	PACE=http://127.0.0.1:$up_port
}
pace_standin_stop() {
	stop "$pace_pid"
	pace_pid=
	p_requests=$(awk '/^standin: / { print $2 }' "$tmp/pace.log")
	p_throttled=$(awk '/^standin: / { print $6 }' "$tmp/pace.log")
}

# running_ids N: N IDs the stand-in keeps RUNNING (1 mod 4).
running_ids() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) print 100000001 + 4 * i }' >"$tmp/running.$1"; }
# final_ids N: N IDs with a final state (2 and 3 mod 4).
final_ids() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) print 200000002 + 4 * int(i / 2) + i % 2 }' >"$tmp/final.$1"; }
# every_tenth OPTION N: OPTION and an ID, for every tenth of the N final IDs.
every_tenth() { awk -v o="$1" 'NR % 10 == 0 { print o, $1 }' "$tmp/final.$2"; }

# verdict OK: "met" or "**MISSED**", as the shell condition OK says.
verdict() { if eval "$1"; then echo met; else echo '**MISSED**'; fi; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# throttle_rows NAME RHQ: the four cases of issue 14 for RHQ, each against a
# fresh stand-in, in one run each: table rows to $tmp/throttle.md, and the
# targets to $tmp/throttle_targets.md.
throttle_rows() {
	_who=$1 _rhq=$2
	final_ids 200
	log "$_who: 200 IDs, every tenth 429 once"
	# shellcheck disable=SC2046 # options and IDs of digits
	pace_standin --retry-after 1 $(every_tenth --throttle-once 200)
	run_once "$tmp/final.200" "$tmp/thr.out" "$tmp/thr.err" "$_rhq" -j 16 --base-url "$PACE"
	pace_standin_stop
	_err=$(grep -c 'ERROR$' "$tmp/thr.out" || true)
	printf '| %s: 200 IDs, -j 16, every tenth 429 (API 1003, Retry-After: 1) once | %s s, %s requests, %s ERROR rows | exit %s |\n' \
		"$_who" "$(fmt "$r_wall" 2)" "$p_requests" "$_err" "$r_rc" >>"$tmp/throttle.md"
	printf -- '- %s, every tenth 429 once: **%s s** (target ≤ 2.5 s): %s\n' "$_who" \
		"$(fmt "$r_wall" 2)" "$(verdict "le $r_wall 2.5 && [ $r_rc -eq 0 ]")" >>"$tmp/throttle_targets.md"

	log "$_who: 200 IDs, every tenth 503 once"
	# shellcheck disable=SC2046 # options and IDs of digits
	pace_standin --retry-after 1 $(every_tenth --busy-once 200)
	run_once "$tmp/final.200" "$tmp/thr.out" "$tmp/thr.err" "$_rhq" -j 16 --base-url "$PACE"
	pace_standin_stop
	_err=$(grep -c 'ERROR$' "$tmp/thr.out" || true)
	printf '| %s: 200 IDs, -j 16, every tenth 503 (Retry-After: 1) once | %s s, %s requests, %s ERROR rows | exit %s |\n' \
		"$_who" "$(fmt "$r_wall" 2)" "$p_requests" "$_err" "$r_rc" >>"$tmp/throttle.md"
	printf -- '- %s, every tenth 503 once: **%s s** (target: as before, 1.0 s): %s\n' "$_who" \
		"$(fmt "$r_wall" 2)" "$(verdict "le $r_wall 1.25 && [ $r_rc -eq 0 ]")" >>"$tmp/throttle_targets.md"
	# (1.25: the warped test's 1.0 s, and rhq's start and the wake-ups of real time)

	final_ids 1000
	log "$_who: 1000 IDs against 100 requests a second"
	pace_standin --throttle 100
	run_once "$tmp/final.1000" "$tmp/thr.out" "$tmp/thr.err" "$_rhq" -j 16 --base-url "$PACE"
	pace_standin_stop
	_err=$(grep -c 'ERROR$' "$tmp/thr.out" || true)
	_pct=$(awk -v t="$p_throttled" -v n="$p_requests" 'BEGIN { printf "%.1f", (n > 0 ? 100 * t / n : 0) }')
	printf '| %s: 1000 IDs, -j 16, API throttling above 100/s | %s s, %s requests, %s answered 429 (%s%%), %s ERROR rows | exit %s |\n' \
		"$_who" "$(fmt "$r_wall" 2)" "$p_requests" "$p_throttled" "$_pct" "$_err" "$r_rc" >>"$tmp/throttle.md"
	printf -- '- %s, 1000 IDs at 100/s: **%s s, %s%% throttled, %s ERROR rows** (target ≤ 11.5 s, ≤ 8%%, none): %s\n' \
		"$_who" "$(fmt "$r_wall" 2)" "$_pct" "$_err" \
		"$(verdict "le $r_wall 11.5 && le $_pct 8 && [ $_err -eq 0 ] && [ $r_rc -eq 0 ]")" >>"$tmp/throttle_targets.md"

	running_ids 4000
	log "$_who: 4000 tasks under --wait for $PACE_SECS s against 2000 requests a second"
	pace_standin --throttle 2000
	run_once "$tmp/running.4000" "$tmp/thr.out" "$tmp/thr.err" "$_rhq" --wait --interval 1 -j 16 \
		--deadline "$PACE_SECS" --base-url "$PACE"
	pace_standin_stop
	_rate=$(awk -v a="$p_requests" -v t="$p_throttled" -v s="$PACE_SECS" 'BEGIN { printf "%.0f", (a - t) / s }')
	printf '| %s: 4000 tasks, --wait --interval 1 -j 16 --deadline %s, API throttling above 2000/s | %s answered a second (%s × 2000), %s answered 429 | exit %s |\n' \
		"$_who" "$PACE_SECS" "$_rate" "$(div "$_rate" 2000)" "$p_throttled" "$r_rc" >>"$tmp/throttle.md"
	printf -- '- %s, --wait against 2000/s for %s s: **%s/s** (target: within 15%% of 2000/s): %s\n' \
		"$_who" "$PACE_SECS" "$_rate" "$(verdict "ge $_rate 1700 && le $_rate 2300")" >>"$tmp/throttle_targets.md"
}

: >"$tmp/throttle.md"
: >"$tmp/throttle_targets.md"
if [ "$ONLY" = throttle ]; then
	throttle_rows rhq "$RHQ"
	[ -z "$RHQ_OLD" ] || throttle_rows BENCH_RHQ_OLD "$RHQ_OLD"
	{
		echo "### Throttling (issue 14)"
		echo
		printf 'Machine: %s CPUs (nproc), %s, Linux %s; %s.\n' "$(nproc)" \
			"$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)" \
			"$("$RHQ" --version)"
		printf 'Command: %s (BENCH_PACE_SECS=%s), %s; one run each, against a stand-in with no delay.\n' \
			"\`make bench BENCH_ONLY=throttle\`" "$PACE_SECS" "$(date -u +%Y-%m-%d)"
		echo
		echo "| run | result | notes |"
		echo "| --- | --- | --- |"
		cat "$tmp/throttle.md"
		echo
		echo "Targets:"
		echo
		cat "$tmp/throttle_targets.md"
	} >"$tmp/report.md"
	mkdir -p "$OUTDIR"
	cp "$tmp/report.md" "$OUTDIR/throttle.md"
	cat "$tmp/report.md"
	log "report written to $OUTDIR/throttle.md"
	exit 0
fi

log "starting nginx and the stand-in"
start_nginx
start_standin
HTTP=http://127.0.0.1:$HTTP_PORT
TLS=https://127.0.0.1:$TLS_PORT
SLOW=http://127.0.0.1:$SLOW_PORT
API=/task/openapi/status

curl -s -o /dev/null -X POST "$HTTP$API" || die "nginx does not answer on $HTTP"
curl -s --cacert "$CACERT" --http2 -o /dev/null -X POST "$TLS$API" ||
	die "nginx does not answer on $TLS"

cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$(body $((FIRST_ID + 1)))'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
EOF

# curl -K: one block per ID, separated by "next" (curl resets the per-URL
# options there and reuses the connection for the next URL).
awk -v url="$HTTP$API" -v key="$KEY" '
NR > 1 { print "next" }
{
	print "url = \"" url "\""
	print "header = \"Content-Type: application/json\""
	print "header = \"Authorization: Bearer " key "\""
	print "data = \"{\\\"apiKey\\\":\\\"" key "\\\",\\\"taskId\\\":\\\"" $1 "\\\"}\""
	print "write-out = \"\\n\""
}' "$tmp/ids.$N" >"$tmp/curl.cfg"

# The usual script today: one curl process per ID.
cat >"$tmp/loop.sh" <<'EOF'
while read -r id; do
	curl -s -X POST -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $2" \
		-d "{\"apiKey\":\"$2\",\"taskId\":\"$id\"}" "$1" || exit
	echo
done
EOF

# ------------------------------------------------------------ the runs

# row CONFIG RATE RATIO NOTES: a line of the main table (CPU from m_cpu_us).
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$m_cpu_us" "$4" >>"$tmp/table.md"; }
conns() { if [ "$1" -eq 1 ]; then echo "1 connection"; else echo "$1 connections"; fi; }
note() { if [ -n "$m_note" ]; then printf '%s; %s' "$1" "$m_note"; else printf '%s' "$1"; fi; }

log "against nginx, plain HTTP ($HTTP)"
measure serial "$N" "$RUNS" "$tmp/ids.$N" "$tmp/pin" "$RHQ" --base-url "$HTTP"
serial=$m_rate serial_note=$m_note serial_conns=$m_conns
cpu_line="CPU time of serial rhq: $(fmt "$m_cpu" 2) s user+sys for $m_ok IDs = $m_cpu_us µs per ID"
row "rhq (serial, -j 1)" "$(fmt "$serial")" "1.00" "$(note "$N IDs, $(conns "$serial_conns")")"

# The libcurl floor: bench/floor.c does per ID only what any libcurl client
# must (one reused handle, the same request, a row flushed per ID).
# shellcheck disable=SC2046 # pkg-config's flags are separate words
${CC:-cc} -O2 -o "$tmp/floor" bench/floor.c $(pkg-config --cflags --libs libcurl) ||
	die "cannot build bench/floor.c"
measure floor "$N" "$RUNS" "$tmp/ids.$N" "$tmp/pin" env RUNNINGHUB_API_KEY="$KEY" \
	"$tmp/floor" "$HTTP$API"
row "libcurl floor (bench/floor.c, curl_easy_perform loop)" "$(fmt "$m_rate")" \
	"$(div "$serial" "$m_rate")" "$(note "$N IDs, $(conns "$m_conns")")"

for j in 8 16; do
	measure "j$j" "$N" "$RUNS" "$tmp/ids.$N" "$RHQ" -j "$j" --base-url "$HTTP"
	row "rhq -j $j" "$(fmt "$m_rate")" "$(div "$serial" "$m_rate")" \
		"$(note "$(div "$m_rate" "$serial") × serial; $N IDs, $(conns "$m_conns")")"
done

measure curlk "$N" "$RUNS" "$tmp/ids.1" "$tmp/pin" curl -s -K "$tmp/curl.cfg"
curlk=$m_rate curlk_note=$m_note
row "curl -K (one process, whole list)" "$(fmt "$curlk")" "$(div "$serial" "$curlk")" \
	"$(note "$N IDs, $(conns "$m_conns")")"

measure loop "$N_LOOP" 1 "$tmp/ids.$N_LOOP" "$tmp/pin" sh "$tmp/loop.sh" "$HTTP$API" "$KEY"
loop=$m_rate loop_note=$m_note
row "curl per ID (shell loop)" "$(fmt "$loop" 1)" "$(div "$serial" "$loop")" \
	"$(note "$N_LOOP IDs, $(conns "$m_conns")")"

wrk_rate 1 1 "$tmp/pin"
wrk1=$m_rate
row "wrk -c1 -t1 (ceiling, 1 connection)" "$(fmt "$wrk1")" "$(div "$serial" "$wrk1")" \
	"${WRK_SECS} s, same request, $(conns "$m_conns")"
wrk_rate 8 2
wrk8=$m_rate
row "wrk -c8 -t2 (ceiling, 8 connections)" "$(fmt "$wrk8")" "$(div "$serial" "$wrk8")" \
	"${WRK_SECS} s, same request, $(conns "$m_conns")"

log "against the stand-in with a ${DELAY_MS} ms delay ($SLOW)"
measure slow1 "$SLOW_N" 1 "$tmp/ids.$SLOW_N" "$RHQ" --base-url "$SLOW"
slow1=$m_rate slow1_note=$m_note slow1_cpu=$m_cpu_us
measure slow16 "$SLOW_N" 1 "$tmp/ids.$SLOW_N" "$RHQ" -j 16 --base-url "$SLOW"
slow16=$m_rate slow16_note=$m_note slow16_cpu=$m_cpu_us
slow_ratio=$(div "$slow16" "$slow1")
{
	printf '| rhq (serial), %s ms server | %s | | %s | %s |\n' "$DELAY_MS" "$(fmt "$slow1" 1)" "$slow1_cpu" \
		"$(m_note=$slow1_note note "$SLOW_N IDs")"
	printf '| rhq -j 16, %s ms server | %s | | %s | %s |\n' "$DELAY_MS" "$(fmt "$slow16" 1)" "$slow16_cpu" \
		"$(m_note=$slow16_note note "$slow_ratio × serial (16 is the limit); $SLOW_N IDs")"
} >"$tmp/slow.md"

log "-o against a stand-in without delay, v1 and v2"
# outputs_run NAME API JOBS: rhq -o over the SUCCESS IDs against a fresh
# stand-in, which says how many requests it served when it stops, the best of
# RUNS runs; one row of the -o table, with the requests per ID (over every run
# made) side by side with the IDs/s.  Serial rows pin rhq and the stand-in to
# one CPU, as the serial rows against nginx do: unpinned, the same run took
# from 1 to 3 s here, as wake-ups crossed CPUs or not.
outputs_run() {
	_pin=
	[ "$3" -gt 1 ] || _pin=$tmp/pin
	standin_up count_pid count ${_pin:+"$_pin"} "$STANDIN"
	_port=$up_port
	measure "$1" "$OUT_N" "$RUNS" "$tmp/ids.success" ${_pin:+"$_pin"} "$RHQ" -o --api "$2" \
		-j "$3" --base-url "http://127.0.0.1:$_port"
	_runs=$_k # the runs measure made
	stop "$count_pid"
	count_pid=
	_reqs=$(sed -n 's/^standin: \([0-9]*\) requests.*/\1/p' "$tmp/count.log")
	case $_reqs in '' | *[!0-9]*) die "stand-in counted no requests" ;; esac
	printf '| rhq -o --api %s -j %s | %s | %s | %s | %s | %s |\n' "$2" "$3" "$(fmt "$m_rate")" \
		"$_reqs" "$(div "$_reqs" $((_runs * OUT_N)))" "$m_cpu_us" \
		"$(note "$OUT_N IDs × $_runs runs")" >>"$tmp/outputs.md"
}
for j in 1 8; do
	outputs_run "out_v1_j$j" v1 "$j"
	outputs_run "out_v2_j$j" v2 "$j"
done

log "peak RSS"
measure rss1 1 1 "$tmp/ids.1" "$tmp/pin" "$RHQ" --base-url "$HTTP"
rss1=$m_rss rss1_note=$m_note
measure rssN "$RSS_N" 1 "$tmp/ids.$RSS_N" "$tmp/pin" "$RHQ" --base-url "$HTTP"
rssN=$m_rss rssN_note=$m_note rssN_ok=$m_ok
rss_diff=$((rssN - rss1))
rss_line="Peak RSS of serial rhq: $rss1 KiB for 1 ID, $rssN KiB for $RSS_N IDs ($rssN_ok answered): difference $rss_diff KiB"
[ -z "$rss1_note$rssN_note" ] || rss_line="$rss_line ($rss1_note$rssN_note)"

log "HTTPS + HTTP/2 ($TLS)"
# tls_run NAME JOBS: rhq -v over HTTPS; sets t_rate, t_conns (nginx's count of
# distinct connections), t_new ("new connection" lines of -v), t_proto.
tls_run() {
	: >"$tmp/nginx/tls_access.log"
	measure "$1" "$TLS_N" 1 "$tmp/ids.$TLS_N" "$RHQ" -v -j "$2" --cacert "$CACERT" --base-url "$TLS"
	t_rate=$m_rate
	t_conns=$(awk '{ print $1 }' "$tmp/nginx/tls_access.log" | sort -u | wc -l | tr -d ' ')
	t_proto=$(awk '{ print $3 }' "$tmp/nginx/tls_access.log" | sort | uniq -c |
		awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
	t_new=$(grep -c 'new connection' "$tmp/$1.err" || true)
	t_reused=$(grep -c 'reused connection' "$tmp/$1.err" || true)
	printf '| rhq -v -j %s, HTTPS | %s | %s | %s | %s | %s |\n' "$2" "$(fmt "$t_rate")" \
		"$t_conns" "$t_new new, $t_reused reused" "$t_proto" "$(note "$TLS_N IDs")" >>"$tmp/tls.md"
}
tls_run tls1 1
tls_run tls16 16
tls16_conns=$t_conns tls16_new=$t_new tls16_note=$m_note

# Serial HTTPS against the bare libcurl loop over HTTP/1.1 and HTTP/2.
log "serial HTTPS: rhq -j 1 against the libcurl floor ($TLS)"
measure tlsfloor1 "$TLS_N" "$RUNS" "$tmp/ids.$TLS_N" "$tmp/pin" env RUNNINGHUB_API_KEY="$KEY" \
	"$tmp/floor" --http1.1 --cacert "$CACERT" "$TLS$API"
tlsfloor1=$m_rate tlsfloor1_note=$m_note
measure tlsfloor2 "$TLS_N" "$RUNS" "$tmp/ids.$TLS_N" "$tmp/pin" env RUNNINGHUB_API_KEY="$KEY" \
	"$tmp/floor" --http2 --cacert "$CACERT" "$TLS$API"
tlsfloor2=$m_rate tlsfloor2_note=$m_note
measure tlsrhq "$TLS_N" "$RUNS" "$tmp/ids.$TLS_N" "$tmp/pin" "$RHQ" --cacert "$CACERT" --base-url "$TLS"
tlsrhq=$m_rate tlsrhq_note=$m_note
{
	printf '| rhq -j 1, HTTPS | %s | %s | %s |\n' "$(fmt "$tlsrhq")" "$(div "$tlsrhq" "$tlsfloor1")" \
		"$(m_note=$tlsrhq_note note "HTTP/1.1 (-j 1); $TLS_N IDs, best of $RUNS")"
	printf '| libcurl floor, HTTPS, HTTP/1.1 | %s | 1.00 | %s |\n' "$(fmt "$tlsfloor1")" \
		"$(m_note=$tlsfloor1_note note "$TLS_N IDs, best of $RUNS")"
	printf '| libcurl floor, HTTPS, HTTP/2 | %s | %s | %s |\n' "$(fmt "$tlsfloor2")" \
		"$(div "$tlsfloor2" "$tlsfloor1")" "$(m_note=$tlsfloor2_note note "$TLS_N IDs, best of $RUNS")"
} >"$tmp/serialtls.md"

# ------------------------------------------------------------ scheduling and pace

log "starvation: $WAIT_N tasks, --wait --interval 1 -j 16 --deadline $WAIT_SECS"
running_ids "$WAIT_N"
pace_standin
run_once "$tmp/running.$WAIT_N" "$tmp/starve.out" "$tmp/starve.err" "$RHQ" --wait --interval 1 -j 16 \
	--deadline "$WAIT_SECS" -v --base-url "$PACE"
pace_standin_stop
# Polls per task from the -v lines: "rhq: ID: HTTP 200, ..."
awk -v n="$WAIT_N" '$3 == "HTTP" { sub(/:$/, "", $2); c[$2]++ }
END {
	lo = -1; hi = 0; k = 0
	for (id in c) { k++; if (lo < 0 || c[id] < lo) lo = c[id]; if (c[id] > hi) hi = c[id] }
	if (k < n) lo = 0
	printf "%d %d %d\n", lo, hi, n - k
}' "$tmp/starve.err" >"$tmp/starve.txt"
read -r starve_lo starve_hi starve_never <"$tmp/starve.txt"
starve_line="| starvation: $WAIT_N tasks, --wait --interval 1 -j 16 --deadline $WAIT_SECS | $p_requests requests in $(fmt "$r_wall" 1) s; polls per task $starve_lo to $starve_hi; $starve_never never polled | exit $r_rc |"


# wait_cpu TASKS FLAGS...: rhq --wait --interval 1 FLAGS for PACE_SECS over TASKS
# tasks that never finish; one row, and w_cpu_us, rhq's CPU time per request.
# A scheduler that scanned its waiting tasks on every wake-up would cost more
# per request the more tasks wait.
wait_cpu() {
	_n=$1
	shift
	running_ids "$_n"
	pace_standin
	run_once "$tmp/running.$_n" "$tmp/waitcpu.out" "$tmp/waitcpu.err" "$RHQ" --wait --interval 1 \
		"$@" --deadline "$PACE_SECS" --base-url "$PACE"
	pace_standin_stop
	w_cpu_us=$(us_per "$r_cpu" "$p_requests")
	w_rate=$(div "$p_requests" "$r_wall" 0)
	printf '| CPU under --wait: %s tasks, --interval 1 %s, %s s | %s µs per request (%s requests, %s/s, %s s CPU) | exit %s |\n' \
		"$_n" "$*" "$PACE_SECS" "$w_cpu_us" "$p_requests" "$w_rate" "$(fmt "$r_cpu" 2)" "$r_rc" >>"$tmp/pace.md"
}
# wait_ratio LARGE FLAGS...: CPU per request over LARGE tasks against 2,000.
wait_ratio() {
	_large=$1
	shift
	wait_cpu 2000 "$@"
	cpu2k=$w_cpu_us
	wait_cpu "$_large" "$@"
	printf '| CPU per request, %s tasks ÷ 2000 tasks, %s | %s | target ≤ 1.3 |\n' "$_large" "$*" \
		"$(div "$w_cpu_us" "$cpu2k")" >>"$tmp/pace.md"
}
log "CPU per request under --wait"
: >"$tmp/pace.md"
wait_ratio 200000 -j 8			# issue 8's row
wait_ratio "$WAIT_N" --rate 2000 -j 16	# issue 10's row

# mix429 NAME RHQ: 10000 IDs at -j 16 against a stand-in that throttles.
mix429() {
	final_ids 10000
	pace_standin --throttle "$THROTTLE"
	run_once "$tmp/final.10000" "$tmp/mix.out" "$tmp/mix.err" "$2" -j 16 --base-url "$PACE"
	pace_standin_stop
	m_err=$(grep -c 'ERROR$' "$tmp/mix.out" || true)
	printf '| 429 mix: %s, 10000 IDs, -j 16, API throttling above %s/s | %s s, %s requests, %s answered 429, %s ERROR rows | exit %s |\n' \
		"$1" "$THROTTLE" "$(fmt "$r_wall" 2)" "$p_requests" "$p_throttled" "$m_err" "$r_rc" >>"$tmp/pace.md"
}
log "the 429 mix"
mix429 "rhq" "$RHQ"
[ -z "$RHQ_OLD" ] || mix429 "BENCH_RHQ_OLD" "$RHQ_OLD"

log "throttling (issue 14)"
throttle_rows rhq "$RHQ"
[ -z "$RHQ_OLD" ] || throttle_rows BENCH_RHQ_OLD "$RHQ_OLD"
cat "$tmp/throttle.md" >>"$tmp/pace.md"

# The rate from the first request to the last: a run of one ID gives the
# time rhq takes to start, connect and end, which is taken off.
log "--rate accuracy against nginx"
run_once "$tmp/ids.1" "$tmp/rate.out" "$tmp/rate.err" "$RHQ" -j 16 --base-url "$HTTP"
rate_base=$r_wall
for r in 2000 5000 10000 20000; do
	n=$((r * PACE_SECS / 5))
	final_ids "$n"
	run_once "$tmp/final.$n" "$tmp/rate.out" "$tmp/rate.err" "$RHQ" -j 16 --rate "$r" --base-url "$HTTP"
	got=$(awk -v n="$r_ok" -v w="$r_wall" -v b="$rate_base" 'BEGIN { printf "%.0f", (n - 1) / (w - b) }')
	printf '| --rate %s -j 16, %s IDs (nginx) | %s/s (%s%%) | exit %s; start-up of %s s taken off |\n' "$r" "$n" "$got" \
		"$(awk -v a="$got" -v b="$r" 'BEGIN { printf "%+.1f", (a - b) * 100 / b }')" "$r_rc" \
		"$(fmt "$rate_base" 3)" >>"$tmp/pace.md"
done

# ------------------------------------------------------------ the state file

# state_file N SKIP: the state file $tmp/state.jsonl of the N IDs of
# final_ids, as rhq writes it, leaving out every SKIP-th ID (0: none).
state_file() {
	final_ids "$1"
	awk -v skip="$2" -v now="$(date +%s)" 'BEGIN { print "{\"rhq_state\":1}" }
	skip == 0 || NR % skip != 0 {
		printf "{\"id\":\"%s\",\"state\":\"%s\",\"learned\":%s,\"api\":\"v1\",\"code\":0,\"msg\":\"success\"}\n",
			$1, $1 % 4 == 3 ? "SUCCESS" : "FAILED", now
	}' "$tmp/final.$1" >"$tmp/state.jsonl"
}
# state_run N: rhq --state over the N IDs, against a stand-in that counts
# the requests.
state_run() {
	pace_standin
	run_once "$tmp/final.$1" "$tmp/state.out" "$tmp/state.err" "$RHQ" --state "$tmp/state.jsonl" \
		--base-url "$PACE"
	pace_standin_stop
}
log "--state: $STATE_N entries, all $STATE_N IDs answered from them"
state_file "$STATE_N" 0
state_bytes=$(wc -c <"$tmp/state.jsonl" | tr -d ' ')
state_run "$STATE_N"
state_wall=$r_wall state_rows=$r_ok state_reqs=$p_requests state_rc=$r_rc
state_ratio=$(awk -v r="$r_rss" -v b="$state_bytes" 'BEGIN { printf "%.2f", r * 1024 / b }')
printf '| --state: %s entries, %s IDs, all in FILE | %s s, %s requests, %s rows | peak RSS %s KiB, FILE %s KiB (%s × FILE); exit %s |\n' \
	"$STATE_N" "$STATE_N" "$(fmt "$state_wall" 2)" "$state_reqs" "$state_rows" "$r_rss" \
	"$((state_bytes / 1024))" "$state_ratio" "$state_rc" >"$tmp/state.md"
log "--state: 100000 IDs, 99% of them in the state file"
state_file 100000 100
state_run 100000
state99_reqs=$p_requests
printf '| --state: 100000 IDs, 99000 in FILE | %s s, %s requests, %s rows | exit %s |\n' \
	"$(fmt "$r_wall" 2)" "$p_requests" "$r_ok" "$r_rc" >>"$tmp/state.md"

# ------------------------------------------------------------ the report

join() { if [ -n "$1" ] && [ -n "$2" ]; then printf '%s; %s' "$1" "$2"; else printf '%s' "$1$2"; fi; }

# target WHAT VALUE MIN [PROBLEMS]: one line of the list of targets; any
# PROBLEMS (notes of the runs involved) make it a miss.
target() {
	if [ -z "${4:-}" ] && awk -v a="$2" -v b="$3" 'BEGIN { exit !(a >= b) }'; then
		printf -- '- %s: **%s** (target ≥ %s): met\n' "$1" "$2" "$3"
	else
		printf -- '- %s: **%s** (target ≥ %s): **MISSED**%s\n' "$1" "$2" "$3" "${4:+ ($4)}"
	fi
}

model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "### Benchmark"
	echo
	printf 'Machine: %s CPUs (nproc), %s, Linux %s; %s, %s, %s, %s.\n' \
		"$(nproc)" "${model:-unknown CPU}" "$(uname -r)" "$("$RHQ" --version)" \
		"$(curl --version | awk 'NR == 1 { print $1, $2 }')" \
		"$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" \
		"$(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }')"
	printf 'Command: %s (BENCH_N=%s BENCH_N_LOOP=%s BENCH_SLOW_N=%s BENCH_RSS_N=%s BENCH_TLS_N=%s BENCH_OUT_N=%s BENCH_STATE_N=%s BENCH_RUNS=%s), %s.\n' "\`make bench\`" \
		"$N" "$N_LOOP" "$SLOW_N" "$RSS_N" "$TLS_N" "$OUT_N" "$STATE_N" "$RUNS" "$(date -u +%Y-%m-%d)"
	echo
	echo "Against nginx returning a fixed JSON reply on loopback (HTTP/1.1); every client sends"
	echo "the same POST (JSON body, Bearer header). Best of $RUNS runs each; $placement."
	echo "Connections are counted by nginx (stub_status accepts)."
	echo
	echo "| tool / config | IDs/s | rhq serial ÷ this | client CPU µs/ID | notes |"
	echo "| --- | ---: | ---: | ---: | --- |"
	cat "$tmp/table.md"
	cat "$tmp/slow.md"
	echo
	echo "With -o against the stand-in (libmicrohttpd, no delay): $OUT_N IDs that are all SUCCESS with"
	echo "one output file each, so v1 asks status then outputs and v2 asks once. Best of $RUNS runs;"
	echo "serial rows share one CPU with the stand-in (as above); requests as counted by the"
	echo "stand-in over all runs:"
	echo
	echo "| rhq config | IDs/s | requests | requests per ID | client CPU µs/ID | notes |"
	echo "| --- | ---: | ---: | ---: | ---: | --- |"
	cat "$tmp/outputs.md"
	echo
	echo "Over HTTPS + HTTP/2 (nginx, self-signed certificate, \`--cacert\`); connections as counted by nginx:"
	echo
	echo "| rhq config | IDs/s | TCP connections (nginx) | rhq -v | requests by protocol | notes |"
	echo "| --- | ---: | ---: | --- | --- | --- |"
	cat "$tmp/tls.md"
	echo
	echo "Serial HTTPS (nginx, HTTPS, \`--cacert\`), against the bare libcurl loop (bench/floor.c) asking for each HTTP version; best of $RUNS runs, pinned as above:"
	echo
	echo "| client | IDs/s | ÷ floor HTTP/1.1 | notes |"
	echo "| --- | ---: | ---: | --- |"
	cat "$tmp/serialtls.md"
	echo
	echo "Scheduling and pace, against a stand-in with no delay (and nginx for \`--rate\`); one run each:"
	echo
	echo "| run | result | notes |"
	echo "| --- | --- | --- |"
	echo "$starve_line"
	cat "$tmp/pace.md"
	echo
	echo "The state file (\`--state\`) of final tasks, as rhq writes it, against a stand-in with no"
	echo "delay that counts the requests; one run each, peak RSS by GNU time:"
	echo
	echo "| run | result | notes |"
	echo "| --- | --- | --- |"
	cat "$tmp/state.md"
	echo
	echo "$rss_line"
	echo
	echo "$cpu_line"
	echo
	echo "Targets:"
	echo
	s_note=${serial_note:+rhq serial: $serial_note}
	target "rhq serial ÷ wrk -c1" "$(div "$serial" "$wrk1")" 0.75 "$s_note"
	target "rhq serial HTTPS ÷ libcurl floor over HTTP/1.1" "$(div "$tlsrhq" "$tlsfloor1")" 0.95 \
		"$(join "${tlsrhq_note:+rhq: $tlsrhq_note}" "${tlsfloor1_note:+floor: $tlsfloor1_note}")"
	target "rhq serial ÷ curl -K" "$(div "$serial" "$curlk")" 2 \
		"$(join "$s_note" "${curlk_note:+curl -K: $curlk_note}")"
	target "rhq serial ÷ curl loop" "$(div "$serial" "$loop" 1)" 50 \
		"$(join "$s_note" "${loop_note:+curl loop: $loop_note}")"
	target "rhq -j 16 ÷ serial, ${DELAY_MS} ms server" "$slow_ratio" 13 \
		"$(join "${slow1_note:+serial: $slow1_note}" "${slow16_note:+-j 16: $slow16_note}")"
	if [ "$rss_diff" -le 1024 ] && [ -z "$rssN_note" ]; then
		printf -- '- peak RSS, %s IDs − 1 ID: **%s KiB** (target ≤ 1024 KiB): met\n' "$RSS_N" "$rss_diff"
	else
		printf -- '- peak RSS, %s IDs − 1 ID: **%s KiB** (target ≤ 1024 KiB): **MISSED**%s\n' "$RSS_N" "$rss_diff" \
			"${rssN_note:+ ($rssN_note)}"
	fi
	if [ "$tls16_conns" -eq 1 ] && [ "$tls16_new" -eq 1 ] && [ -z "$tls16_note" ]; then
		printf -- '- HTTPS + HTTP/2, -j 16, %s IDs: **%s connection** (target 1): met\n' "$TLS_N" "$tls16_conns"
	else
		printf -- '- HTTPS + HTTP/2, -j 16, %s IDs: **%s** (nginx), %s new (rhq -v) (target 1): **MISSED**%s\n' \
			"$TLS_N" "$(conns "$tls16_conns")" "$tls16_new" "${tls16_note:+ ($tls16_note)}"
	fi
	if awk -v w="$state_wall" 'BEGIN { exit !(w < 2) }' && [ "$state_reqs" -eq 0 ] &&
		[ "$state_rows" -eq "$STATE_N" ] && [ "$state_rc" -eq 0 ]; then
		printf -- '- --state, %s entries and IDs: **%s s, 0 requests** (target < 2 s): met\n' "$STATE_N" \
			"$(fmt "$state_wall" 2)"
	else
		printf -- '- --state, %s entries and IDs: **%s s, %s requests, %s rows, exit %s** (target < 2 s, 0 requests): **MISSED**\n' \
			"$STATE_N" "$(fmt "$state_wall" 2)" "$state_reqs" "$state_rows" "$state_rc"
	fi
	if awk -v r="$state_ratio" 'BEGIN { exit !(r <= 2) }'; then met=met; else met='**MISSED**'; fi
	printf -- '- --state, peak RSS ÷ state file size: **%s** (target ≤ 2): %s\n' "$state_ratio" "$met"
	if [ "$state99_reqs" -eq 1000 ]; then met=met; else met='**MISSED**'; fi
	printf -- '- --state, 100000 IDs, 99%% in FILE: **%s requests** (target 1000): %s\n' "$state99_reqs" "$met"
	cat "$tmp/throttle_targets.md"
} >"$tmp/report.md"

mkdir -p "$OUTDIR"
cp "$tmp/report.md" "$OUTDIR/results.md"
cat "$tmp/report.md"
log "report written to $OUTDIR/results.md"
