#!/bin/sh
# make demo: rhq against the local stand-in server, with no key and no network.
# In a terminal it then keeps the stand-in serving, prints a command line to
# try rhq by hand against it, and stops it when Enter is pressed.
set -eu

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 1' HUP PIPE

tests/standin --port 0 >"$tmp/port" </dev/null &
pid=$!
i=0
while [ ! -s "$tmp/port" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
port=$(head -n 1 "$tmp/port")
[ -n "$port" ] || { echo "demo: the stand-in did not start" >&2; exit 1; }

cat >"$tmp/ids" <<IDS
# task IDs, one a line; comments and blank lines are skipped
1904152026220003328
1904152026220003329
1904152026220003330
1904152026220003331

9807
not-an-id
IDS

echo "The stand-in API listens on 127.0.0.1:$port.  The input:"
sed 's/^/    /' "$tmp/ids"
echo
echo "\$ rhq < ids"
status=0
RUNNINGHUB_API_KEY=demo RUNNINGHUB_BASE_URL="http://127.0.0.1:$port" \
	./rhq <"$tmp/ids" || status=$?
echo "(exit status $status: 1 means some rows are ERROR, NOT_FOUND or INVALID)"
echo
echo "\$ rhq -j 4 --summary 1904152026220003328 1904152026220003329 ... (40 IDs)"
# shellcheck disable=SC2046
RUNNINGHUB_API_KEY=demo RUNNINGHUB_BASE_URL="http://127.0.0.1:$port" \
	./rhq -j 4 --summary $(seq 1904152026220003328 1904152026220003367) 2>&1 | tail -n 4

echo
url="http://127.0.0.1:$port"
if [ -t 0 ] && [ -t 1 ]; then
	echo "Try rhq by hand: the stand-in keeps serving on $url and takes any key."
	echo "In another terminal, in this directory:"
	echo
	echo "    RUNNINGHUB_BASE_URL=$url RUNNINGHUB_API_KEY=any ./rhq 1904152026220003331 9807"
	echo
	printf 'Press Enter here to stop the stand-in. '
	read -r _ || :
else
	echo "To try rhq by hand, run make demo in a terminal: it keeps the stand-in"
	echo "serving and prints the command line to copy."
fi
