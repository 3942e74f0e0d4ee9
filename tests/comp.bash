# usage: bash tests/comp.bash full|plain COMPLETION LINE
# Prints, one a line, what a TAB at the end of LINE offers: COMPREPLY after
# the completion function that COMPLETION registers for rhq is called the
# way readline calls it. "full" loads bash-completion first, "plain" does not.
mode=$1 file=$2 line=$3
if [[ $mode == full ]]; then
	# shellcheck disable=SC1091
	. /usr/share/bash-completion/bash_completion || exit 2
fi
# shellcheck disable=SC1090
. "$file" || exit 2

# Split LINE into words as readline does with the default COMP_WORDBREAKS:
# blanks separate words, and a run of the other break characters (= < > and
# the like) is a word of its own. Quotes are not handled.
COMP_WORDS=()
word=
for ((i = 0; i < ${#line}; i++)); do
	c=${line:i:1}
	if [[ $c == [[:blank:]] ]]; then
		[[ $word ]] && COMP_WORDS+=("$word")
		word=
	elif [[ $c == [\"\'\<\>=\;\|\&\(:] ]]; then
		if [[ $word && ${word: -1} != [\"\'\<\>=\;\|\&\(:] ]]; then
			COMP_WORDS+=("$word")
			word=
		fi
		word+=$c
	else
		if [[ $word && ${word: -1} == [\"\'\<\>=\;\|\&\(:] ]]; then
			COMP_WORDS+=("$word")
			word=
		fi
		word+=$c
	fi
done
# A line ending in a blank starts a new, empty word.
COMP_WORDS+=("$word")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}

spec=$(complete -p rhq) || exit 2
func=${spec#*-F }
func=${func%% *}
"$func" rhq "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
