#!/bin/sh
# Checks the Debian package that `make deb` left in tests/tmp/deb: it is
# named for the version in rhq.c, which the changelog and the packaged rhq
# -V repeat; it holds exactly the expected files with the expected modes;
# unpacked into a scratch root, rhq runs; lintian finds no error or warning
# (its info and pedantic tags are shown); hardening-check passes. Run from
# the top directory, as `make check-deb` does.
set -u
tmp=tests/tmp/deb
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok: $*"; }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

version=$(sed -n 's/^#define[[:space:]]*RHQ_VERSION[[:space:]]*"\(.*\)"/\1/p' rhq.c)
changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
arch=$(dpkg --print-architecture)
deb=$tmp/rhq_${version}_$arch.deb
changes=$tmp/rhq_${version}_$arch.changes

if [ -n "$version" ] && [ "$changelog" = "$version" ]; then
	ok "debian/changelog names the version of rhq.c, $version"
else
	no "debian/changelog names $changelog, rhq.c '$version'"
fi
if [ -f "$deb" ] && [ -f "$changes" ] && cmp -s "$deb" "${deb##*/}"; then
	ok "make deb built ${deb##*/} and copied it to the top directory"
else
	no "no $deb, $changes or copy of it in the top directory"
	echo "deb: $pass passed, $fail failed"
	exit 1
fi

# Every entry of the package: mode, owner and path.
want='drwxr-xr-x root/root ./
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/rhq
drwxr-xr-x root/root ./usr/share/
drwxr-xr-x root/root ./usr/share/bash-completion/
drwxr-xr-x root/root ./usr/share/bash-completion/completions/
-rw-r--r-- root/root ./usr/share/bash-completion/completions/rhq
drwxr-xr-x root/root ./usr/share/doc/
drwxr-xr-x root/root ./usr/share/doc/rhq/
-rw-r--r-- root/root ./usr/share/doc/rhq/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/rhq/copyright
drwxr-xr-x root/root ./usr/share/fish/
drwxr-xr-x root/root ./usr/share/fish/vendor_completions.d/
-rw-r--r-- root/root ./usr/share/fish/vendor_completions.d/rhq.fish
drwxr-xr-x root/root ./usr/share/man/
drwxr-xr-x root/root ./usr/share/man/man1/
-rw-r--r-- root/root ./usr/share/man/man1/rhq.1.gz
drwxr-xr-x root/root ./usr/share/zsh/
drwxr-xr-x root/root ./usr/share/zsh/vendor-completions/
-rw-r--r-- root/root ./usr/share/zsh/vendor-completions/_rhq'
got=$(dpkg-deb -c "$deb" | awk '{ print $1, $2, $NF }' | LC_ALL=C sort -k 3)
if [ "$got" = "$want" ]; then
	ok "the package holds exactly the expected files"
else
	no "the package holds other files: want, got:"
	printf '%s\n' "$want" "" "$got" >&2
fi

# Unpacked into a scratch root, the program runs and the completions parse.
root=$tmp/root
rm -rf "$root" && dpkg-deb -x "$deb" "$root" || exit 2
v=$("$root/usr/bin/rhq" -V)
if [ "$v" = "rhq $changelog" ]; then
	ok "the packaged rhq -V says $v"
else
	no "the packaged rhq -V says '$v', the changelog $changelog"
fi
if bash -n "$root/usr/share/bash-completion/completions/rhq" &&
    zsh -n "$root/usr/share/zsh/vendor-completions/_rhq" &&
    fish -n "$root/usr/share/fish/vendor_completions.d/rhq.fish"; then
	ok "the packaged completions parse in bash, zsh and fish"
else
	no "a packaged completion does not parse"
fi

# lintian on the source and binary packages: no errors or warnings.
lintian --fail-on error,warning --display-info --pedantic --display-experimental \
    "$changes" >"$tmp/lintian.log" 2>&1
status=$?
grep -v '^running with root privileges' "$tmp/lintian.log"
if [ $status -eq 0 ]; then
	ok "lintian: no errors or warnings, $(grep -c '^[IPX]:' "$tmp/lintian.log") other tags"
else
	no "lintian exited $status"
fi

# The usual hardening, as hardening-check sees it. Control flow integrity is
# not asked for: Debian 12's glibc start files lack the IBT and SHSTK notes
# that the linker needs to mark any program with it.
if hardening-check --nocfprotection "$root/usr/bin/rhq" >"$tmp/hardening.log" 2>&1 &&
    [ "$(grep -c -e 'Position Independent Executable: yes' -e 'Stack protected: yes' \
    -e 'Fortify Source functions: yes' -e 'Read-only relocations: yes' \
    -e 'Immediate binding: yes' "$tmp/hardening.log")" -eq 5 ]; then
	ok "hardening-check: PIE, stack protector, fortify, RELRO, BIND_NOW"
else
	no "hardening-check:"
	cat "$tmp/hardening.log" >&2
fi

echo "deb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
