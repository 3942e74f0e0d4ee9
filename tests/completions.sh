#!/bin/sh
# What a TAB after a command line offers, in the real shells: bash with
# bash-completion and without it, zsh and fish, each loading the completion
# file from completions/. Each case is a line and the words every shell must
# offer for it, sorted; files are completed in a directory holding only
# jobs.txt and keyfile. Run from the top directory, as `make check-completions`
# does, after rhq is built: every option of `rhq --help` must be offered.
set -u
top=$PWD
tmp=$top/tests/tmp/comp
shells='bash bash-plain zsh fish'
pass=0 fail=0
export LC_ALL=C

for p in bash zsh fish; do
	command -v $p >/dev/null || { echo "completions: no $p; run make deps" >&2; exit 2; }
done
[ -r /usr/share/bash-completion/bash_completion ] ||
	{ echo "completions: no bash-completion; run make deps" >&2; exit 2; }

rm -rf "$tmp" && mkdir -p "$tmp/cwd" "$tmp/home" || exit 2
: >"$tmp/cwd/jobs.txt" && : >"$tmp/cwd/keyfile" || exit 2
# fish writes its history and variables under HOME: keep them in the scratch.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"

# shellcheck disable=SC2016 # fish expands them
fish_complete='source $RHQ_COMP; complete -C "$RHQ_LINE"'

# offers SHELL LINE: the words a TAB at the end of LINE offers, sorted, on one
# line. fish offers "--site=cn" where the others offer "cn" after the "=".
offers() {
	(
		cd "$tmp/cwd" || exit 2
		case $1 in
		bash) bash --norc --noprofile "$top/tests/comp.bash" full \
			"$top/completions/rhq.bash" "$2" ;;
		bash-plain) bash --norc --noprofile "$top/tests/comp.bash" plain \
			"$top/completions/rhq.bash" "$2" ;;
		zsh) timeout 30 zsh -f "$top/tests/comp.zsh" "$top/completions" "$2" ;;
		fish) RHQ_COMP=$top/completions/rhq.fish RHQ_LINE=$2 timeout 30 \
			fish --no-config -c "$fish_complete" | cut -f 1 | sed 's/^--[a-z-]*=//' ;;
		esac
	) | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# t LINE WORDS: every shell offers exactly WORDS for LINE.
t() {
	before=$fail
	for sh in $shells; do
		got=$(offers "$sh" "$1")
		if [ "$got" = "$2" ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $sh: '$1<TAB>': want '$2', got '$got'" >&2
		fi
	done
	[ $fail -eq $before ] && echo "ok: '$1<TAB>' offers '$2'"
}

t 'rhq --ti' '--timeout'
t 'rhq --ret' '--retries --retry-delay'
t 'rhq --site ' 'ai cn'
t 'rhq --site=' 'ai cn'
t 'rhq --site=c' 'cn'
t 'rhq --api ' 'v1 v2'
t 'rhq --api=v' 'v1 v2'
t 'rhq --api-key-file ' 'jobs.txt keyfile'
t 'rhq --api-key-file=' 'jobs.txt keyfile'
t 'rhq --api-key-file=keyf' 'keyfile'
t 'rhq --cacert ' 'jobs.txt keyfile'
t 'rhq --state ' 'jobs.txt keyfile'
t 'rhq --state=j' 'jobs.txt'
t 'rhq --sta' '--state --state-max-age'
t 'rhq < ' 'jobs.txt keyfile'
t 'rhq < jobs.t' 'jobs.txt'
t 'rhq -w -j 4 < j' 'jobs.txt'
# A number, a URL, a character or a task ID: no file names.
t 'rhq -j ' ''
t 'rhq --jobs=' ''
t 'rhq --timeout ' ''
t 'rhq --base-url ' ''
t 'rhq --state-max-age ' ''
t 'rhq -d ' ''
t 'rhq ' ''
t 'rhq -w ' ''

# Every option of rhq --help is offered after "-", and every shell offers the
# same options: the ones rhq has and those it is about to have.
[ -x ./rhq ] || { echo "completions: build rhq first" >&2; exit 2; }
help=$(./rhq --help | awk '/^  -/ {
	for (i = 1; i <= NF && $i ~ /^-/; i++) { sub(/,$/, "", $i); print $i }
}' | sort | tr '\n' ' ' | sed 's/ $//')
[ -n "$help" ] || { echo "completions: no options in rhq --help" >&2; exit 2; }
first='' before=$fail
for sh in $shells; do
	got=$(offers "$sh" 'rhq -')
	missing=
	for o in $help; do
		case " $got " in *" $o "*) ;; *) missing="$missing $o" ;; esac
	done
	if [ -z "$missing" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $sh: 'rhq -<TAB>' misses$missing" >&2
	fi
	if [ -z "$first" ]; then
		first=$got
	elif [ "$got" = "$first" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $sh: 'rhq -<TAB>' offers '$got', bash '$first'" >&2
	fi
done
[ $fail -eq $before ] && echo "ok: 'rhq -<TAB>' offers every option of rhq --help"

echo "completions: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
