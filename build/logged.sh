#!/bin/sh
# Runs a long third-party build step quietly: output goes to LOG, a one-line
# label is shown, and on failure the tail of the log is printed.
# With V=1 everything is shown instead.
#   build/logged.sh LABEL LOG command...
label=$1 log=$2
shift 2
if [ "${V:-0}" = 1 ]; then
	exec "$@"
fi
mkdir -p "$(dirname "$log")"
printf '  %-7s %s\n' "$label" "(log: $log)"
start=$(date +%s)
if "$@" >"$log" 2>&1; then
	[ $(( $(date +%s) - start )) -ge 5 ] && printf '  %-7s done in %ss\n' "$label" $(( $(date +%s) - start ))
	exit 0
fi
rc=$?
echo "lifeboat: cannot build $label: command failed (exit $rc): $*" >&2
echo "--- last 40 lines of $log ---" >&2
tail -n 40 "$log" >&2
exit $rc
