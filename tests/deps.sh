#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet.
# As root with apt-get it installs them; otherwise it prints the command and fails.
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # one word per package
	apt-get update -q && apt-get install -y -q --no-install-recommends $missing
	exit
fi
echo "deps: missing:$missing" >&2
echo "deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
exit 1
