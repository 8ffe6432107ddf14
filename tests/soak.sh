#!/usr/bin/env bash
# tests/soak.sh — N runs of mlrun, PARALLEL at a time, with what a leak would grow counted before
# and after: the supervisor's memory, open fds and mountinfo lines (sampled in a run that waits on
# a FIFO, once before the soak and once after it), the caller's own fds and mountinfo lines, the
# run's state files, cgroup leaves, zombies and leftover processes. Prints one table and exits 1
# when anything did not come back to where it started, or when a run failed.
# Memory is judged by RssAnon (heap, stacks, private writes: what a leak grows; it may move by
# SOAK_RSS_SLACK kB, the allocator and ASLR make it jitter). RssFile (libc's and mlrun's pages from
# the page cache) is shown, not judged: two fresh processes map more or fewer of those pages
# depending on what the page cache holds and on fault-around, not on anything an earlier run left
# (CI's VM rootless pass read VmRSS 1920 -> 2660 kB between two samples).
#
#   tests/soak.sh [N [PARALLEL]]     default 300 runs, 1 at a time
#
# Environment: MLRUN (binary, default ./mlrun), SOAK_POLICY (strict), SOAK_PROGRAM (/bin/true),
# SOAK_RSS_SLACK (256 kB), MLRUN_SLOW (scales the bounded waits, as in the BATS suites).
# Each run's stdout is a regular file (so the supervisor's relay of it, runtime/relay.c, is part
# of the soak). Runs are named soak-<pid>-<i>, so only this soak's state files and leaves are counted: other
# users of the machine may run mlrun beside it.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
N=${1:-300}
PAR=${2:-1}
MLRUN=${MLRUN:-$PWD/mlrun}
POLICY=${SOAK_POLICY:-strict}
PROGRAM=${SOAK_PROGRAM:-/bin/true}
RSS_SLACK=${SOAK_RSS_SLACK:-256}
SLOW=${MLRUN_SLOW:-3}
TAG=soak-$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlrun-soak.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

if [ "$(id -u)" = 0 ]; then
	STATE_DIR=/run/mlrun
elif [[ ${XDG_RUNTIME_DIR:-} == /* ]]; then
	STATE_DIR=$XDG_RUNTIME_DIR/mlrun
else
	STATE_DIR=/tmp/mlrun-$(id -u)
fi

count() { grep -c . || true; }
state_files() { find "$STATE_DIR" -maxdepth 1 -name "*$TAG*" 2>/dev/null | count; }
cgroup_leaves() { find /sys/fs/cgroup -type d -name "*$TAG*" 2>/dev/null | count; }
# Zombies this soak left: one of its supervisors nobody reaped (a zombie of the binary whose
# parent descends from this shell), or a child its supervisor did not reap. Other users' runs of
# mlrun on the machine have zombies of their own for a moment, which are not this soak's.
descends_from_us() { # pid
	local p=$1
	while [ "$p" -gt 1 ]; do
		[ "$p" != "$$" ] || return 0
		p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null) || return 1
		[ -n "$p" ] || return 1
	done
	return 1
}
zombies() {
	local pid parent comm c=${MLRUN##*/}
	ps -eo pid=,ppid=,stat=,comm= 2>/dev/null | awk '$3 ~ /^Z/ { print $1, $2, $4 }' |
		while read -r pid parent comm; do
			if tr '\0' ' ' <"/proc/$parent/cmdline" 2>/dev/null | grep -q -- "--name $TAG-" ||
				{ [ "$comm" = "${c:0:15}" ] && descends_from_us "$parent"; }; then
				echo "$pid"
			fi
		done | count
}
# A run's pid 1 is still exiting when mlrun returns (docs/performance.md, "The exit path"):
# its zombie is reaped by whoever inherits it, at its own pace; wait a bounded while for the
# count to come back (settle_zombies). One that never does is a leak.
settle_zombies() { # the count to come back to
	local tries=$((100 * SLOW))
	while [ "$(zombies)" -gt "$1" ] && [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		sleep 0.1
	done
}
leftovers() {
	local p n=0 exe
	exe=$(readlink -f "$MLRUN")
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != "$$" ] || continue
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] && n=$((n + 1))
	done
	echo "$n"
}

program_runs() { # supervisor pid: is a descendant /bin/cat yet?
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = cat ] && return 0
		program_runs "$c" && return 0
	done
	return 1
}

# The supervisor of one run, sampled while its program blocks on a FIFO: "ANON FILE FDS MOUNTS".
sample_supervisor() {
	local fifo=$WORK/fifo pid tries=$((100 * SLOW)) out
	rm -f "$fifo" && mkfifo "$fifo" || return 1
	exec 7<>"$fifo" # read-write: opening it never blocks, whether or not the run starts
	"$MLRUN" -q --policy "$POLICY" --name "$TAG-sample-$1" -- /bin/cat <"$fifo" >/dev/null 7>&- &
	pid=$!
	# the supervisor is settled when the program runs (blocked on the FIFO)
	while ! program_runs "$pid"; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ]; then
			exec 7>&-; kill "$pid" 2>/dev/null; wait "$pid"; echo "the sampling run did not start" >&2; return 1
		fi
		sleep 0.1
	done
	# The program runs before the supervisor has closed what it needed only to start it (the
	# child's sync pipe) and before it has touched the pages of its loop: read its fds and RSS
	# until two looks 0.2 s apart agree, so a transient fd or a page not yet touched is not read
	# as a change (a leak persists; the 1,000-run VM soak saw fds 12 -> 11, a loaded VM's
	# rootless pass RSS 1908 -> 2664 kB in one soak and 2552 -> 1988 kB in the next).
	local look prev=-1 looks=0
	while look="$(awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print a, f}' /proc/$pid/status) $(ls /proc/$pid/fd | count)" &&
		[ "$look" != "$prev" ] && [ $looks -lt $((10 * SLOW)) ]; do
		prev=$look looks=$((looks + 1))
		sleep 0.2
	done
	out="$look $(count </proc/$pid/mountinfo)"
	exec 7>&-
	wait "$pid" || { echo "the sampling run failed" >&2; return 1; }
	echo "$out"
}

snapshot() { # label [zombies to come back to]
	local s
	s=$(sample_supervisor "$1") || return 1
	[ -z "${2:-}" ] || settle_zombies "$2"
	echo "$s $(ls /proc/$$/fd | count) $(count </proc/$$/mountinfo) $(state_files) $(cgroup_leaves) \
$(zombies) $(leftovers)"
}

# Each run's peak RSS, when GNU time is there (package "time").
TIME=""
[ ! -x /usr/bin/time ] || TIME="/usr/bin/time -f %M -a -o $WORK/maxrss"
one_run() { # i
	# shellcheck disable=SC2086 # TIME is words (an array cannot be exported to xargs' shells)
	$TIME "$MLRUN" -q --policy "$POLICY" --name "$TAG-$1" -- "$PROGRAM" >>"$WORK/stdout" 2>>"$WORK/errors" ||
		echo "$1" >>"$WORK/failed"
}
export -f one_run
export MLRUN POLICY PROGRAM TAG WORK TIME

# One run first, so that what only the first run on a machine does (creating the state directory
# or the cgroup parent) is not counted as a change.
"$MLRUN" -q --policy "$POLICY" --name "$TAG-warmup" -- /bin/true >/dev/null 2>&1
before=$(snapshot before) || exit 1
start=$SECONDS
seq 1 "$N" | xargs -P "$PAR" -I{} bash -c 'one_run {}'
elapsed=$((SECONDS - start))
read -r -a B <<<"$before"
after=$(snapshot after "${B[8]}") || exit 1

failed=$(cat "$WORK"/failed 2>/dev/null | count)
read -r -a A <<<"$after"
names=("supervisor RssAnon (kB)" "supervisor RssFile (kB)" "supervisor open fds" "supervisor mountinfo lines"
	"caller open fds" "caller mountinfo lines" "state files left" "cgroup leaves left" "zombies"
	"mlrun processes left")
rc=0
printf '%-30s %10s %10s\n' "$N runs, $PAR at a time" before after
for i in "${!names[@]}"; do
	flag=""
	if [ "$i" = 0 ]; then
		[ $((A[i] - B[i])) -le "$RSS_SLACK" ] || flag="  <- grew"
	elif [ "$i" = 1 ]; then # shown, not judged (see the top)
		[ "${A[i]}" = "${B[i]}" ] || flag="  (page cache, not judged)"
		printf '%-30s %10s %10s%s\n' "${names[i]}" "${B[i]}" "${A[i]}" "$flag"
		continue
	elif [ "$i" = 8 ]; then # zombies: other runs' come and go; more than before is the leak
		[ "${A[i]}" -le "${B[i]}" ] || flag="  <- grew"
	elif [ "${A[i]}" != "${B[i]}" ]; then
		flag="  <- changed"
	fi
	[ -z "$flag" ] || rc=1
	printf '%-30s %10s %10s%s\n' "${names[i]}" "${B[i]}" "${A[i]}" "$flag"
done
maxrss=$(grep -E '^[0-9]+$' "$WORK"/maxrss 2>/dev/null | sort -n) # time(1) adds a line for a failed run
[ -z "$TIME" ] || printf '%-30s %10s %10s\n' "max RSS per run (kB) min/max" "$(head -1 <<<"$maxrss")" "$(tail -1 <<<"$maxrss")"
printf '%-30s %10s\n' "runs failed" "$failed"
printf '%-30s %10s\n' "wall time (s)" "$elapsed"
if [ "$failed" -gt 0 ]; then
	rc=1
	echo "first errors:"; head -5 "$WORK/errors"
fi
exit $rc
