#!/usr/bin/env bash
# tests/fresh-root.sh - proof that the README's two commands each work as the very first command
# on a fresh Debian 12 (nothing installed beyond apt, make, git, ca-certificates): `make demo` in
# one fresh root, `make check` in another, the checkout at /root/mlrun (a 0700 /root, as on
# Debian). Run it before a change to the set-up lands, and whenever `make deps` changes.
#
#   tests/fresh-root.sh [--tracked] [demo] [check]    (as root; default: demo, then check)
#
# --tracked copies uncommitted changes of tracked files too (default: committed HEAD, what CI
# sees). The roots come from the fresh-root tool (mmdebstrap, pivot_root): FRESH_ROOT=path, else
# shared/tools/fresh-root in a parent directory of the checkout, else `fresh-root` on PATH.
# Logs: one per command in a directory named at the end. `make demo` takes ~5 minutes (package
# installation), `make check` 15-25 on a busy 2-core machine (it boots the qemu VM).
# Exit status: 0 when every command succeeded, 1 otherwise, 2 on a usage or set-up error.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
opts=() steps=()
for a in "$@"; do
	case $a in
	--tracked) opts+=(--tracked) ;;
	demo | check) steps+=("$a") ;;
	-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--tracked] [demo] [check]" >&2; exit 2 ;;
	esac
done
[ ${#steps[@]} -gt 0 ] || steps=(demo check)
[ "$(id -u)" = 0 ] || { echo "fresh-root.sh: run as root (the tool unpacks a root and pivots into it)" >&2; exit 2; }

find_tool() {
	local d=$REPO
	if [ -n "${FRESH_ROOT:-}" ]; then
		[ -x "$FRESH_ROOT" ] && echo "$FRESH_ROOT"
		return
	fi
	while [ "$d" != / ]; do
		d=$(dirname "$d")
		[ -x "$d/shared/tools/fresh-root" ] && { echo "$d/shared/tools/fresh-root"; return; }
	done
	command -v fresh-root
}
tool=$(find_tool) || { echo "fresh-root.sh: no fresh-root tool (set FRESH_ROOT=path)" >&2; exit 2; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/mlrun-fresh-root.XXXXXX") || exit 2
rc=0
for step in "${steps[@]}"; do
	log=$logs/$step.log
	echo "fresh-root.sh: make $step in a fresh root (log: $log)"
	start=$SECONDS
	(cd "$REPO" && "$tool" "${opts[@]}" "make $step") >"$log" 2>&1
	status=$?
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	echo "fresh-root.sh: make $step: exit $status after $((SECONDS - start))s${summary:+: $summary}"
	if [ $status != 0 ]; then
		rc=1
		grep -E '^not ok ' "$log" | sed 's/^/  /'
		grep -qE '^not ok ' "$log" || tail -n 20 "$log" | sed 's/^/  | /'
	fi
done
echo "fresh-root.sh: logs in $logs"
exit $rc
