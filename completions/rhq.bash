# bash completion for rhq(1)

# What _init_completion -s of bash-completion does, for a shell without it.
# Readline has already split "--site=c" into "--site" "=" "c" and made a
# word of its own of a redirection. Returns 1 when it completed file names.
_rhq_init()
{
	cword=$COMP_CWORD
	cur=${COMP_WORDS[cword]}
	prev=
	((cword > 0)) && prev=${COMP_WORDS[cword - 1]}
	if [[ $cur == = ]]; then
		cur=
		split=true
	elif [[ $prev == = ]] && ((cword > 1)); then
		prev=${COMP_WORDS[cword - 2]}
		split=true
	fi
	case $prev in
	*'<' | *'>' | *'>&')
		_rhq_files
		return 1
		;;
	esac
	return 0
}

_rhq_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir
	else
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

_rhq()
{
	# shellcheck disable=SC2034 # _init_completion sets words
	local cur prev words cword split=false opts
	COMPREPLY=()
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return 0
	else
		_rhq_init || return 0
	fi
	opts='-0 -a -d -f -h -j -o -s -V -v -w
	    --api --api-key-file --append --base-url --cacert --connect-timeout
	    --deadline --delimiter --field --help --insecure-http --interval
	    --jobs --json --max-failures --max-outage --no-progress --null
	    --outputs --progress --rate --refresh --retries --retry-delay --site
	    --state --state-max-age --summary --timeout --traceback --verbose
	    --version --wait'

	case $prev in
	--api-key-file | --cacert | --state)
		_rhq_files
		return 0
		;;
	--site)
		mapfile -t COMPREPLY < <(compgen -W 'cn ai' -- "$cur")
		return 0
		;;
	--api)
		mapfile -t COMPREPLY < <(compgen -W 'v1 v2' -- "$cur")
		return 0
		;;
	--base-url | --connect-timeout | --deadline | -d | --delimiter | -f | \
	--field | --interval | -j | --jobs | --max-failures | --max-outage | --rate | \
	--retries | --retry-delay | --state-max-age | --timeout)
		# A URL, a number or a character: nothing sensible to offer.
		return 0
		;;
	esac
	# "--json=x": an option that takes no value has none to offer.
	$split && return 0

	# Task IDs are not file names, so only options are offered.
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	fi
	return 0
}
complete -F _rhq rhq
