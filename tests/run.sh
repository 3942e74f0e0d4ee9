#!/bin/sh
# make check's runner: runs test passes at once, then reports each.
#
#   sh tests/run.sh 'NAME: COMMAND' ...
#
# Each COMMAND runs in the background, its output in a log of its own in
# tests/tmp.  When all have ended, each log is shown in the order given
# under a line naming the pass, its result and how many seconds it took,
# with its Check summary ("N%: Checks: ...").  The exit status is 1 if any
# COMMAND failed, 0 otherwise.
set -u
dir=tests/tmp
mkdir -p "$dir"

start=$(date +%s)
i=0
for job in "$@"; do
	i=$((i + 1))
	(
		sh -c "${job#*:}" >"$dir/check-$i.log" 2>&1
		status=$?
		date +%s >"$dir/check-$i.end"
		exit "$status"
	) &
	eval "pid_$i=\$!"
done
trap 'exit 130' INT
trap 'exit 143' TERM

status=0
i=0
for job in "$@"; do
	i=$((i + 1))
	eval "pid=\$pid_$i"
	if wait "$pid"; then
		result=passed
	else
		result=FAILED
		status=1
	fi
	echo "== ${job%%:*}: $result in $(($(cat "$dir/check-$i.end") - start)) s"
	cat "$dir/check-$i.log"
done
exit "$status"
