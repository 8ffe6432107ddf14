#!/bin/bash
# bench/run.sh [--smoke | --startup] - mlrun's side-by-side benchmarks (`make bench`, `make bench-smoke`).
#
# Start-up of /bin/true, `python3 -c pass` and `python3 -c "import numpy"` under: direct exec,
# the kernel's namespace floor (unshare -Urpmn --fork), bubblewrap, crun, firejail and mlrun
# (strict and default policies); then the cost of a network namespace, memory (supervisor peak
# RSS, idle-sandbox overhead), throughput (serial and 2 in parallel), start-up against the number
# of binds, and a breakdown of mlrun's start-up (mlrun -v, strace, perf stat).
#
# Everything lands in bench/results/ (gitignored): hyperfine JSON, results.md, startup.svg.
# --smoke runs every step once, briefly (hyperfine --runs 3 --warmup 0, small counts): it checks
# that the scripts work and asserts no timing. Any failing step fails the run.
# --oci runs only step 7, mlrun-oci against crun (the runtime alone and under podman, 5 rounds),
# and prints its table.
# --startup runs only the start-up comparison (/bin/true and python3 -c pass, 5 rounds), the
# sandboxes per second (serial and 2 at a time, with crun) and the supervisor's peak RSS, and
# prints one table: the quick check of one optimisation. With
# MLRUN_BEFORE=/path/to/an/older/mlrun it runs that binary too, in the same rounds.
#
# Environment: MLRUN (the binary, default ./mlrun), BENCH_OUT (default bench/results),
# BENCH_QUIET=SECONDS (wait up to that long for an idle host before a full run), MLRUN_COMMIT
# (what to record as the binary's version when MLRUN was built elsewhere).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
PY=/usr/bin/python3 # never the python3 on PATH (a slow shim on some hosts)

# Every peer gets the same small environment. The thread-count variables are the ones mlrun
# sets inside its sandboxes (from --cpus): without them numpy's import would spawn an OpenBLAS
# thread pool under the peers but not under mlrun. OPENBLAS_CORETYPE/L2_SIZE are dropped too.
if [ -z "${BENCH_CLEAN_ENV:-}" ]; then
	exec env -i BENCH_CLEAN_ENV=1 PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		HOME="${HOME:-/root}" LANG=C.UTF-8 TERM="${TERM:-dumb}" \
		OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1 \
		MLRUN="${MLRUN:-$ROOT/mlrun}" BENCH_OUT="${BENCH_OUT:-$BENCH/results}" BENCH_QUIET="${BENCH_QUIET:-0}" \
		MLRUN_COMMIT="${MLRUN_COMMIT:-}" MLRUN_BEFORE="${MLRUN_BEFORE:-}" \
		"$0" "$@"
fi

SMOKE=0 STARTUP=0 OCI=0
case "${1:-}" in
--smoke) SMOKE=1 ;;
--startup) STARTUP=1 ;;
--oci) OCI=1 ;;
"") ;;
*) echo "usage: bench/run.sh [--smoke | --startup | --oci]" >&2; exit 2 ;;
esac

MLRUN=$(realpath "$MLRUN")
OUT=$BENCH_OUT
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
cd "$ROOT"

die() { echo "bench: $*" >&2; exit 1; }
devnull_before=$(stat -c '%u:%g %a' /dev/null)
note() { echo "$*" >>"$OUT/notes.txt"; echo "bench: note: $*" >&2; }
section() { printf '\n== %s ==\n' "$*" >&2; }
check_devnull() {
	[ "$(stat -c '%u:%g %a' /dev/null)" = "$devnull_before" ] ||
		die "the host's /dev/null changed during the bench ($devnull_before -> $(stat -c '%u:%g %a' /dev/null)): a peer was given it as stdio"
}

[ "$(id -u)" = 0 ] || die "run as root (crun and firejail are benchmarked as root; see docs/performance.md)"
[ -x "$MLRUN" ] || die "no mlrun binary at $MLRUN (make mlrun)"
for t in hyperfine bwrap unshare strace xargs; do
	command -v "$t" >/dev/null || die "$t is missing: make deps-bench"
done

# Counts: full run, or one short iteration of everything. RUNS_*: total runs per command and
# warm-up runs, spread over ROUNDS rounds (see hf_rounds).
if [ $SMOKE = 1 ]; then
	ROUNDS=1 RUNS_FAST="3 0" RUNS_MID="3 0" RUNS_SLOW="3 0"
	THROUGHPUT_N=10 LOOP_N=10 BREAKDOWN_N=3 MEM_SCALE=0.4
elif [ $STARTUP = 1 ] || [ $OCI = 1 ]; then
	ROUNDS=5 RUNS_FAST="200 10" RUNS_MID="60 5" RUNS_SLOW="20 5"
else
	ROUNDS=10 RUNS_FAST="300 20" RUNS_MID="100 10" RUNS_SLOW="40 5"
	THROUGHPUT_N=200 LOOP_N=200 BREAKDOWN_N=50 MEM_SCALE=1
fi
HF=(hyperfine -N --style basic)

# hf_rounds OUT.json fast|mid|slow NAME COMMAND [NAME COMMAND]...
# One hyperfine comparison, run in ROUNDS rounds that each run every command (the order rotated
# from round to round) and merged into one hyperfine JSON: a burst of other work on the host then
# lands on all commands alike. Commands named crun* run in the cgroup-masking namespace (CRUN_NS).
hf_rounds() {
	local out=$1 kind=$2 runs warm
	shift 2
	case $kind in fast) read -r runs warm <<<"$RUNS_FAST" ;; mid) read -r runs warm <<<"$RUNS_MID" ;;
	slow) read -r runs warm <<<"$RUNS_SLOW" ;; esac
	local per=$(((runs + ROUNDS - 1) / ROUNDS)) w=$(((warm + ROUNDS - 1) / ROUNDS))
	local -a names=() cmds=() parts=()
	while [ $# -gt 0 ]; do names+=("$1") cmds+=("$2"); shift 2; done
	local n=${#names[@]} r i j
	for ((r = 0; r < ROUNDS; r++)); do
		local -a main=() cr=()
		for ((i = 0; i < n; i++)); do
			j=$(((i + r) % n))
			if [[ ${names[j]} == crun* ]]; then cr+=(-n "${names[j]}" "${cmds[j]}"); else main+=(-n "${names[j]}" "${cmds[j]}"); fi
		done
		"${HF[@]}" --runs "$per" --warmup "$w" --export-json "$TMP/hf-$r.json" "${main[@]}"
		parts+=("$TMP/hf-$r.json")
		if [ ${#cr[@]} -gt 0 ]; then
			"${CRUN_NS[@]}" "${HF[@]}" --runs "$per" --warmup "$w" --export-json "$TMP/hf-$r-crun.json" "${cr[@]}"
			parts+=("$TMP/hf-$r-crun.json")
		fi
	done
	$PY "$BENCH/merge_hf.py" "$out" "${parts[@]}"
}

# One run at a time per results directory: a second one would delete the first one's files.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
	echo "bench: another benchmark is using $OUT; waiting for it (BENCH_OUT=DIR to use another)" >&2
	flock -w 1800 9 || die "$OUT is still locked after 30 minutes"
fi
rm -f "$OUT"/*.json "$OUT"/*.md "$OUT"/*.svg "$OUT"/*.txt "$OUT"/*.csv
rm -rf "$OUT/crun" "$OUT/raw"
mkdir -p "$OUT/raw"
TMP=$(mktemp -d /tmp/mlrun-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# ---- the peers --------------------------------------------------------------------------------
STRICT=$ROOT/policies/strict.ini
DEFAULT=$ROOT/policies/default.ini
MLRUN_STRICT="$MLRUN --policy $STRICT --workdir none -q --"
MLRUN_DEFAULT="$MLRUN --policy $DEFAULT --workdir none -q --"
UNSHARE="unshare -Urpmn --fork"
# bubblewrap with isolation comparable to mlrun's strict policy.
BWRAP_BASE="bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL --ro-bind /usr /usr"
for l in bin sbin lib lib32 lib64 libx32; do
	[ -L /$l ] && BWRAP_BASE+=" --symlink $(readlink /$l) /$l"
done
# /etc/alternatives: Debian's libblas.so.3 (numpy) is a symlink through it; mlrun exposes it too.
BWRAP_BASE+=" --ro-bind /etc/ld.so.cache /etc/ld.so.cache --ro-bind /etc/alternatives /etc/alternatives --tmpfs /tmp --proc /proc --dev /dev --chdir /tmp"
BWRAP="$BWRAP_BASE"
FIREJAIL="firejail --quiet --noprofile --net=none --ipc-namespace --private-tmp --private-dev --caps.drop=all --nonewprivs --nogroups --read-only=/usr --read-only=/etc"

# crun refuses this host's hybrid cgroup layout even with --cgroup-manager=disabled ("cgroups in
# hybrid mode not supported"), so its benchmark runs in a private mount namespace where an empty
# read-only tmpfs hides /sys/fs/cgroup (nothing is written to the cgroup tree, ever).
# crun also fchown()s its stdin, stdout and stderr to the container's root (host uid 60000 here)
# whatever they are (runc skips /dev/null; crun 1.8 does not): given hyperfine's /dev/null it
# would hand the host's /dev/null to uid 60000. In that namespace /dev/null is a scratch file of
# ours, and the probe run below gets no stream of the caller's.
CRUN_NS=(unshare -m --propagation private sh -c 'mount -t tmpfs -o ro,size=4k bench-nocgroup /sys/fs/cgroup &&
	: >"$0" && mount --bind "$0" /dev/null && exec "$@"' "$TMP/crun-null")
CRUN="crun --cgroup-manager=disabled --root=$OUT/crun/state run -b $OUT/crun/bundle"
# CRUN_NS as JSON, for throughput.py (its crun rows; xargs appends the container's id)
crun_prefix() { $PY -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${CRUN_NS[@]}"; }

declare -A WORKLOAD=([true]='/bin/true' [pass]='/usr/bin/python3 -c pass' [numpy]='/usr/bin/python3 -c "import numpy"')
declare -A WORKLOAD_JSON=([true]='["/bin/true"]' [pass]='["/usr/bin/python3","-c","pass"]' [numpy]='["/usr/bin/python3","-c","import numpy"]')

HAVE_CRUN=0 HAVE_FIREJAIL=0
if command -v crun >/dev/null; then
	mkdir -p "$OUT/crun/state"
	$PY "$BENCH/crun_bundle.py" "$OUT/crun/bundle" "true=${WORKLOAD_JSON[true]}" "pass=${WORKLOAD_JSON[pass]}" \
		"numpy=${WORKLOAD_JSON[numpy]}" >/dev/null
	if "${CRUN_NS[@]}" sh -c 'exec "$@" </dev/null' sh $CRUN -f "$OUT/crun/bundle/config-true.json" bench-probe-$$ \
		>"$TMP/crun.err" 2>&1; then
		HAVE_CRUN=1
	else
		note "crun: skipped, it cannot run here: $(head -c 300 "$TMP/crun.err")"
	fi
else
	note "crun: skipped, not installed (make deps-bench)"
fi
if command -v firejail >/dev/null; then
	if timeout 30 $FIREJAIL /bin/true 2>"$TMP/fj.err" </dev/null; then
		HAVE_FIREJAIL=1
	else
		note "firejail: skipped, it cannot run here: $(head -c 300 "$TMP/fj.err")"
	fi
else
	note "firejail: skipped, not installed (make deps-bench)"
fi

# BENCH_QUIET=SECONDS: before measuring, wait up to that long for the host to be idle (over 2 s,
# at least 85% of the CPU time idle): other work on a 2-core machine is the largest error here.
if [ "${BENCH_QUIET:-0}" -gt 0 ] && [ $SMOKE = 0 ]; then
	$PY - "$BENCH_QUIET" <<'PYEOF'
import sys, time
def idle():
    a = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    time.sleep(2)
    b = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    d = [y - x for x, y in zip(a, b)]
    return (d[3] + d[4]) / max(1, sum(d))
deadline = time.monotonic() + float(sys.argv[1])
while True:
    i = idle()
    if i >= 0.85 or time.monotonic() > deadline:
        print(f"bench: host {i:.0%} idle, starting", file=sys.stderr)
        break
PYEOF
fi

# ---- mlrun-oci against crun: the runtime alone, and under podman (step 7; --oci) ---------------------
# The runtime alone: `crun run` and `mlrun-oci run` of the same bundle (crun's, its config-true.json
# as config.json). Under podman: `podman run --rm IMAGE true` of a local busybox image, once with
# crun and once with mlrun-oci as the runtime; podman's storage, state, locks and network
# configuration are private to this run ($TMP/podman, CONTAINERS_CONF), so nothing of the host's
# podman state changes. The crun rows run in CRUN_NS like every crun row (a scratch /dev/null:
# crun fchown()s its stdio, conmon's /dev/null included, to the container's root).
oci_bench() {
	section "OCI runtime: mlrun-oci against crun"
	if [ $HAVE_CRUN = 0 ]; then
		note "mlrun-oci against crun: skipped, crun cannot run here"
	else
		ln -s "$MLRUN" "$TMP/mlrun-oci"
		mkdir -m 700 "$TMP/oci-state"
		cp "$OUT/crun/bundle/config-true.json" "$OUT/crun/bundle/config.json"
		hf_rounds "$OUT/oci-runtime.json" fast \
			crun "crun --cgroup-manager=disabled --root=$OUT/crun/state run --bundle $OUT/crun/bundle bench-oci-$$" \
			mlrun-oci "$TMP/mlrun-oci --root $TMP/oci-state run --bundle $OUT/crun/bundle bench-oci-$$"
		if ! command -v podman >/dev/null || [ ! -x /bin/busybox ]; then
			note "podman with mlrun-oci against crun: skipped, podman or /bin/busybox (busybox-static) missing (make deps-bench)"
		else
			P=$TMP/podman
			mkdir -p "$P/img/bin" "$P/tmp" "$P/net"
			cp /bin/busybox "$P/img/bin/"
			ln -s busybox "$P/img/bin/true"
			tar -C "$P/img" -cf "$P/img.tar" .
			# docs/oci.md's hybrid-host configuration (no cgroups; podman 4.3 accepts that only for a
			# runtime named crun), plus private lock, tmp and network directories.
			for rt in crun mlrun-oci; do
				[ $rt = crun ] && bin=$(command -v crun) || bin=$TMP/mlrun-oci
				cat >"$P/$rt.conf" <<EOF
[containers]
cgroups = "disabled"
netns = "none"
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
lock_type = "file"
tmp_dir = "$P/tmp"
runtime = "crun"
runtime_supports_nocgroups = ["crun"]

[engine.runtimes]
crun = ["$bin"]

[network]
network_config_dir = "$P/net"
EOF
			done
			PODMAN="podman --root $P/store --runroot $P/run --storage-driver vfs"
			IMG=localhost/mlrun-bench-bb:1
			CONTAINERS_CONF=$P/mlrun-oci.conf $PODMAN import -q "$P/img.tar" $IMG >/dev/null
			# one run of each first: a runtime that fails here fails the step, not a timing
			"${CRUN_NS[@]}" env CONTAINERS_CONF="$P/crun.conf" $PODMAN run --rm $IMG true </dev/null ||
				die "podman with crun could not run the image"
			CONTAINERS_CONF=$P/mlrun-oci.conf $PODMAN run --rm $IMG true </dev/null ||
				die "podman with mlrun-oci could not run the image"
			hf_rounds "$OUT/oci-podman.json" mid \
				crun "env CONTAINERS_CONF=$P/crun.conf $PODMAN run --rm $IMG true" \
				mlrun-oci "env CONTAINERS_CONF=$P/mlrun-oci.conf $PODMAN run --rm $IMG true"
			[ -z "$(CONTAINERS_CONF=$P/mlrun-oci.conf $PODMAN ps -a -q)" ] || die "podman left a container behind"
		fi
	fi
}
# ---- metadata ---------------------------------------------------------------------------------
$PY "$BENCH/meta.py" "$OUT/meta.json" "$MLRUN" $SMOKE

# ---- --startup: the start-up comparison and the supervisor's peak RSS only -----------------------
if [ $STARTUP = 1 ]; then
	BEFORE=()
	[ -n "${MLRUN_BEFORE:-}" ] && BEFORE=(mlrun-strict-before "$(realpath "$MLRUN_BEFORE") --policy $STRICT --workdir none -q --")
	for w in true pass; do
		section "start-up: ${WORKLOAD[$w]}"
		cmd=${WORKLOAD[$w]}
		args=(direct "$cmd" unshare "$UNSHARE $cmd" bwrap "$BWRAP $cmd")
		[ $HAVE_CRUN = 1 ] && args+=(crun "$CRUN -f $OUT/crun/bundle/config-$w.json bench-$$")
		[ ${#BEFORE[@]} = 2 ] && args+=("${BEFORE[0]}" "${BEFORE[1]} $cmd")
		args+=(mlrun-strict "$MLRUN_STRICT $cmd")
		[ $w = true ] && kind=fast || kind=mid
		hf_rounds "$OUT/startup-$w.json" $kind "${args[@]}"
	done
	section "throughput"
	tp=(direct "/bin/true" unshare "$UNSHARE /bin/true" bwrap "$BWRAP /bin/true")
	[ $HAVE_CRUN = 1 ] && tp+=(crun "$CRUN -f $OUT/crun/bundle/config-true.json")
	[ ${#BEFORE[@]} = 2 ] && tp+=("${BEFORE[0]}" "${BEFORE[1]} /bin/true")
	tp+=(mlrun-strict "$MLRUN_STRICT /bin/true")
	THROUGHPUT_CRUN_PREFIX=$(crun_prefix) $PY "$BENCH/throughput.py" "$OUT/throughput.json" 200 "${tp[@]}"
	section "supervisor peak RSS"
	cc -O2 -Wall -Wextra -o "$OUT/raw/peakrss" "$BENCH/peakrss.c"
	$PY "$BENCH/memory.py" "$OUT/memory.json" 0.4 "$OUT/raw/peakrss" "$MLRUN" "$STRICT" "$DEFAULT" "$BWRAP_BASE" "$UNSHARE"
	$PY "$BENCH/quick_table.py" "$OUT" | tee "$OUT/startup.md"
	exit 0
fi

# ---- --oci: mlrun-oci against crun only ------------------------------------------------------------
if [ $OCI = 1 ]; then
	oci_bench
	$PY "$BENCH/report.py" --oci "$OUT" | tee "$OUT/oci.md"
	check_devnull
	exit 0
fi

# ---- 1. start-up, side by side ----------------------------------------------------------------
for w in true pass numpy; do
	section "start-up: ${WORKLOAD[$w]}"
	case $w in true) kind=fast ;; pass) kind=mid ;; numpy) kind=slow ;; esac
	cmd=${WORKLOAD[$w]}
	args=(direct "$cmd" unshare "$UNSHARE $cmd" bwrap "$BWRAP $cmd")
	[ $HAVE_CRUN = 1 ] && args+=(crun "$CRUN -f $OUT/crun/bundle/config-$w.json bench-$$")
	[ $HAVE_FIREJAIL = 1 ] && args+=(firejail "$FIREJAIL $cmd")
	args+=(mlrun-strict "$MLRUN_STRICT $cmd" mlrun-default "$MLRUN_DEFAULT $cmd")
	hf_rounds "$OUT/startup-$w.json" $kind "${args[@]}"
done

# ---- 2. what a network namespace costs ----------------------------------------------------------
section "network namespace"
sed -e 's/^net *=.*/net = host/' -e 's/^allow_host *=.*/allow_host = true/' "$STRICT" >"$OUT/raw/strict-hostnet.ini"
hf_rounds "$OUT/netns.json" fast \
	"unshare -Ur" "unshare -Ur /bin/true" "unshare -Urn" "unshare -Urn /bin/true" \
	"unshare -Urpm --fork" "unshare -Urpm --fork /bin/true" "unshare -Urpmn --fork" "unshare -Urpmn --fork /bin/true" \
	"mlrun-strict net=host" "$MLRUN --policy $OUT/raw/strict-hostnet.ini --workdir none -q -- /bin/true" \
	"mlrun-strict" "$MLRUN_STRICT /bin/true"
$PY "$BENCH/netns_loop.py" "$OUT/netns-loop.json" "$LOOP_N"

# ---- 3. memory ------------------------------------------------------------------------------------
section "memory"
cc -O2 -Wall -Wextra -o "$OUT/raw/peakrss" "$BENCH/peakrss.c"
$PY "$BENCH/memory.py" "$OUT/memory.json" "$MEM_SCALE" "$OUT/raw/peakrss" "$MLRUN" "$STRICT" "$DEFAULT" "$BWRAP_BASE" "$UNSHARE"

# ---- 4. throughput ----------------------------------------------------------------------------------
section "throughput"
tp=(direct "/bin/true" unshare "$UNSHARE /bin/true" "unshare, no netns" "unshare -Urpm --fork /bin/true"
	bwrap "$BWRAP /bin/true")
[ $HAVE_CRUN = 1 ] && tp+=(crun "$CRUN -f $OUT/crun/bundle/config-true.json")
tp+=(mlrun-strict "$MLRUN_STRICT /bin/true" mlrun-default "$MLRUN_DEFAULT /bin/true"
	"mlrun-strict net=host" "$MLRUN --policy $OUT/raw/strict-hostnet.ini --workdir none -q -- /bin/true")
THROUGHPUT_CRUN_PREFIX=$(crun_prefix) $PY "$BENCH/throughput.py" "$OUT/throughput.json" "$THROUGHPUT_N" "${tp[@]}"

# ---- 5. start-up against the number of binds --------------------------------------------------------
section "binds"
mkdir -p "$TMP/binds"
mb=() bb=() args=()
for i in $(seq -w 1 100); do mkdir "$TMP/binds/d$i"; done
for n in 0 1 10 100; do
	mb=() bb=()
	for i in $(seq -w 1 100 | head -n $n); do
		mb+=(--ro-bind "$TMP/binds/d$i")
		bb+=(--ro-bind "$TMP/binds/d$i" "$TMP/binds/d$i")
	done
	args+=("mlrun-strict binds=$n" "$MLRUN --policy $STRICT --workdir none -q ${mb[*]} -- /bin/true")
	args+=("bwrap binds=$n" "$BWRAP ${bb[*]} /bin/true")
done
hf_rounds "$OUT/binds.json" mid "${args[@]}"

# ---- 5b. start-up against the number of seccomp rules ------------------------------------------------
# The default profile plus N deny rules for syscalls /bin/true never makes (names from the kernel's
# own list, minus everything a dynamic /bin/true or mlrun's exec path could touch). Every run
# compiles its filter (there is no filter cache: docs/security.md); the first one is a warm-up.
section "seccomp rules"
grep -oP '__NR_\K[a-z0-9_]+' /usr/include/x86_64-linux-gnu/asm/unistd_64.h |
	grep -E '^(shm|sem|msg|mq_|sched_[gs]et|[gs]etpriority|[gs]etitimer|alarm|pause|timer_|io_[a-z]|[lf]?(set|get|list|remove)xattr|mlock|munlock|swap|quotactl|(init|delete|finit)_module|acct|mbind|[gs]et_mempolicy|migrate_pages|move_pages|kexec|ptrace|syslog|uselib|ustat|sysfs|vhangup|iopl|ioperm|setdomainname|settimeofday|adjtimex|chroot|inotify|fanotify|keyctl|add_key|request_key|perf_event_open|bpf|userfaultfd|process_vm|kcmp|utime|mknod|tkill|readahead|remap_file_pages|lookup_dcookie|vserver|signalfd$|eventfd$|epoll_create$)' \
	> "$TMP/deny-names"
args=()
for n in 0 10 50 100; do
	{
		printf '[security]\nseccomp = default\n'
		# deny_syscalls is repeatable: 8 names a line keeps each line under inih's limit
		[ "$n" -gt 0 ] && head -n "$n" "$TMP/deny-names" | paste -d, - - - - - - - - | sed 's/,*$//; s/^/deny_syscalls = /'
	} > "$TMP/seccomp-$n.ini"
	"$MLRUN" -q --policy "$TMP/seccomp-$n.ini" --workdir none -- /bin/true # warm-up
	args+=("mlrun-default deny=$n" "$MLRUN --policy $TMP/seccomp-$n.ini --workdir none -q -- /bin/true")
done
hf_rounds "$OUT/seccomp-rules.json" mid "${args[@]}"

# ---- 6. where mlrun's start-up goes -------------------------------------------------------------------
section "breakdown"
mkdir -p "$OUT/raw/stamp"
cc -O2 -static -Wall -Wextra -o "$OUT/raw/stamp/stamp" "$BENCH/stamp.c"
$PY "$BENCH/breakdown.py" "$OUT" "$BREAKDOWN_N" "$MLRUN" "$STRICT" "$BWRAP_BASE" "$UNSHARE" "$OUT/raw/stamp/stamp"

# ---- 7. mlrun-oci against crun (oci_bench above) --------------------------------------------------
oci_bench

# ---- the report ---------------------------------------------------------------------------------------
section "report"
$PY "$BENCH/report.py" "$OUT"
echo "bench: results in $OUT (results.md, startup.svg, *.json)" >&2
check_devnull
