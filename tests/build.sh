#!/bin/sh
# Builds rhq the ways users and packagers do, in a copy of the tree: BSD make
# builds it and runs the unit and system tests; the compile line keeps the
# hardening of a plain make and the warnings under a user's CFLAGS; an old
# libcurl is refused by name; make install under umask 077 leaves files that
# everyone can run and read, and make uninstall takes every one away again.
# Run from the top directory, as `make check-build` does.
set -u
tmp=tests/tmp/build
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok: $*"; }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# The line of `make -n rhq` that compiles rhq.c, for the given make and options.
ccline() {
	(cd "$tmp/src" && "$@" -n rhq) 2>&1 | grep -e '-o rhq rhq\.c'
}

# has WORD LINE: whether WORD is one of the words of LINE.
has() {
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}

rm -rf "$tmp" && mkdir -p "$tmp/src" || exit 2
tar cf - --exclude=./.git --exclude=./tests/tmp --exclude=./bench/out . |
	(cd "$tmp/src" && tar xf -) || exit 2
(cd "$tmp/src" && make -s clean) || exit 2

# BSD make: the same Makefile builds rhq and runs the tests.
if (cd "$tmp/src" && bmake rhq) >"$tmp/bmake.log" 2>&1 && "$tmp/src/rhq" -V >/dev/null; then
	ok "bmake builds rhq"
else
	no "bmake builds rhq: see $tmp/bmake.log"; tail -n 20 "$tmp/bmake.log" >&2
fi
if (cd "$tmp/src" && bmake check-unit) >"$tmp/bmake-check.log" 2>&1; then
	ok "bmake check-unit: $(grep '^100%' "$tmp/bmake-check.log")"
else
	no "bmake check-unit: see $tmp/bmake-check.log"; tail -n 20 "$tmp/bmake-check.log" >&2
fi
(cd "$tmp/src" && make -s clean)

# Flags: a plain make hardens; a user's CFLAGS, from the command line or the
# environment, replace the defaults but never the warnings.
line=$(ccline make)
if has -O2 "$line" && has -fstack-protector-strong "$line" &&
    has -D_FORTIFY_SOURCE=2 "$line" && has -Wall "$line"; then
	ok "make hardens by default"
else
	no "make hardens by default: $line"
fi
for how in "command line" environment; do
	if [ "$how" = "command line" ]; then
		line=$(ccline make CFLAGS=-O1 LDFLAGS=-Wl,-z,now)
	else
		line=$(ccline env CFLAGS=-O1 LDFLAGS=-Wl,-z,now make)
	fi
	if has -O1 "$line" && ! has -O2 "$line" && has -Wl,-z,now "$line" &&
	    has -std=c11 "$line" && has -Wall "$line" && has -Wextra "$line"; then
		ok "make honours CFLAGS and LDFLAGS from the $how"
	else
		no "make honours CFLAGS and LDFLAGS from the $how: $line"
	fi
done

# A libcurl older than the minimum is refused before the compiler runs.
err=$(cd "$tmp/src" && make rhq CURL_MIN=999.0.0 2>&1 >/dev/null)
if [ ! -e "$tmp/src/rhq" ] && printf '%s\n' "$err" | grep -q '^rhq needs libcurl 999\.0\.0 or newer'; then
	ok "an old libcurl is refused"
else
	no "an old libcurl is refused: $err"
fi

# install and uninstall with both makes, under umask 077, with MANDIR as the
# man root. dirs lists every directory install made, files every file.
dirs='./usr ./usr/bin ./usr/man ./usr/man/man1 ./usr/share
./usr/share/bash-completion ./usr/share/bash-completion/completions
./usr/share/fish ./usr/share/fish/vendor_completions.d
./usr/share/zsh ./usr/share/zsh/site-functions'
files='-rwxr-xr-x ./usr/bin/rhq
-rw-r--r-- ./usr/man/man1/rhq.1
-rw-r--r-- ./usr/share/bash-completion/completions/rhq
-rw-r--r-- ./usr/share/fish/vendor_completions.d/rhq.fish
-rw-r--r-- ./usr/share/zsh/site-functions/_rhq'
want=$( {
	printf '%s\n' "$dirs" | tr ' ' '\n' | sed 's/^/drwxr-xr-x /'
	printf '%s\n' "$files"
} | sort -k 2)
for mk in make bmake; do
	stage=$PWD/$tmp/stage-$mk
	if ! (umask 077 && cd "$tmp/src" &&
	    $mk install DESTDIR="$stage" PREFIX=/usr MANDIR=/usr/man) >"$tmp/$mk-install.log" 2>&1; then
		no "$mk install: see $tmp/$mk-install.log"
		continue
	fi
	got=$(cd "$stage" && find . ! -name . -exec ls -ld {} + | awk '{ print $1, $NF }' | sort -k 2)
	if [ "$got" = "$want" ]; then
		ok "$mk install under umask 077 gives modes 755 and 644"
	else
		no "$mk install under umask 077: want, got:"
		printf '%s\n' "$want" "" "$got" >&2
	fi
	# The installed rhq runs.
	if "$stage/usr/bin/rhq" -V >/dev/null; then
		ok "$mk install: rhq runs"
	else
		no "$mk install: rhq runs"
	fi
	(cd "$tmp/src" && $mk uninstall DESTDIR="$stage" PREFIX=/usr MANDIR=/usr/man) \
	    >"$tmp/$mk-uninstall.log" 2>&1
	left=$(cd "$stage" && find . ! -type d)
	if [ -z "$left" ]; then
		ok "$mk uninstall removes every file install made"
	else
		no "$mk uninstall leaves: $left"
	fi
done

echo "build: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
