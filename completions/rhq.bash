# bash completion for rhq(1)

_rhq()
{
	local cur prev opts
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	opts='-0 -a -d -f -h -j -o -s -V -v -w
	    --api --api-key-file --append --base-url --cacert --connect-timeout
	    --deadline --delimiter --field --help --insecure-http --interval
	    --jobs --json --no-progress --null --outputs --progress --rate
	    --retries --retry-delay --site --summary --timeout --traceback
	    --verbose --version --wait'

	case $prev in
	--api-key-file|--cacert)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
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
	--base-url|--connect-timeout|--deadline|-d|--delimiter|-f|--field|\
	--interval|-j|--jobs|--rate|--retries|--retry-delay|--timeout)
		# A URL, a number or a character: nothing sensible to offer.
		return 0
		;;
	esac

	# Task IDs are not file names, so only options are offered.
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	fi
	return 0
}
complete -F _rhq rhq
