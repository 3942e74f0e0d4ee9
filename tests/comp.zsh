# usage: zsh -f tests/comp.zsh COMPLETION-DIR LINE
# Prints, one a line, what a TAB at the end of LINE offers in zsh. zle runs
# completion only in an interactive shell, so an interactive zsh on a
# pseudo-terminal sources this file with --setup: compinit with
# COMPLETION-DIR first in fpath, and a compadd that prints each match it is
# handed between two marker lines. It is then sent LINE and a TAB, and the
# matches are read back from between the markers.

if [[ $1 == --setup ]]; then
	PS1= PS2= RPS1=
	unsetopt beep
	fpath=($2 $fpath)
	autoload -Uz compinit && compinit -u -D
	zstyle ':completion:*' list-grouped false
	zstyle ':completion:*' insert-tab false
	bindkey '^I' complete-word
	rhq_mark_begin() { print -r -- $'\n<rhq-begin>' }
	rhq_mark_end() { print -r -- $'\n<rhq-end>'; exit }
	compprefuncs=(rhq_mark_begin)
	comppostfuncs=(rhq_mark_end)
	compadd() {
		# Calls that only ask which words match go through untouched.
		if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
			builtin compadd "$@"
			return
		fi
		local -a rhq_hits
		local h
		builtin compadd -A rhq_hits "$@"
		for h in $rhq_hits; do
			print -r -- "<rhq-match>$h"
		done
		builtin compadd "$@"
	}
	print -r -- '<rhq-ready>'
	return 0
fi

zmodload zsh/zpty || exit 2
self=${0:A} dir=${1:A} line=$2
zpty rhqcomp zsh -f -i || exit 2
# Wait for the marker the setup prints, so the line goes to a ready shell.
zpty -w rhqcomp "source ${(q)self} --setup ${(q)dir}"
zpty -r rhqcomp out '*<rhq-ready>*' || exit 2
zpty -w -n rhqcomp "$line"$'\t'
out=
while zpty -r rhqcomp chunk; do
	out+=$chunk
	[[ $out == *'<rhq-end>'* ]] && break
done
zpty -d rhqcomp
if [[ $out != *'<rhq-begin>'*'<rhq-end>'* ]]; then
	print -u2 "comp.zsh: no completion ran for: $line"
	exit 2
fi
out=${${out#*<rhq-begin>}%%<rhq-end>*}
for l in ${(f)out}; do
	l=${l%$'\r'}
	[[ $l == '<rhq-match>'* ]] && print -r -- ${l#<rhq-match>}
done
exit 0
