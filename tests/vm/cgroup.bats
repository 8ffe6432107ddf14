#!/usr/bin/env bats
# cgroup v2 enforcement, end to end: the real binary ($MLRUN), run the way a user runs it, with
# the report's numbers checked against what the limits must produce. Runs only in the test VM
# (tests/vm/run.sh tests/vm/cgroup.bats), twice: as root (leaves in /sys/fs/cgroup/mlrun.slice)
# and rootless (MLRUN_VM_ROOTLESS=1, leaves "mlrun-<id>" in the delegated $MLRUN_VM_DELEGATED).
# Outside the VM every test skips: the host's cgroups are never touched.

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash
load helpers

PY=/usr/bin/python3 # the python3 on the host's PATH is a slow shim
MiB=1048576

setup() {
	[ -n "${MLRUN_VM:-}" ] || skip "MLRUN_VM unset: needs the cgroup v2 test VM (tests/vm/run.sh $(basename "$BATS_TEST_FILENAME"))"
	vm_require
	[ -x "$MLRUN" ] || skip "no mlrun binary at $MLRUN (make first)"
	R=$BATS_TEST_TMPDIR/report.json
	NAME=cgt-$BATS_TEST_NUMBER-$$
}

# Where this pass' leaf for sandbox id $1 lives (cgroup/probe.c decides; docs/cgroups.md).
leaf_dir() {
	if [ -n "${MLRUN_VM_ROOTLESS:-}" ]; then
		echo "$MLRUN_VM_DELEGATED/mlrun-$1"
	else
		echo /sys/fs/cgroup/mlrun.slice/$1
	fi
}

# Every leaf mlrun made is gone (the helpers' own mlrun-test-* cgroups are not ours).
assert_no_leaves() {
	local left
	if [ -n "${MLRUN_VM_ROOTLESS:-}" ]; then
		left=$(find "$MLRUN_VM_DELEGATED" -mindepth 1 -maxdepth 1 -type d -name 'mlrun-*' ! -name 'mlrun-test-*')
	else
		left=$(find /sys/fs/cgroup/mlrun.slice -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	fi
	[ -z "$left" ] || fail "cgroup leaves left behind: $left"
}

# report_check EXPR: a python expression over d (the report) must hold; prints the report if not.
# One python start per test: under TCG each costs over a second.
report_check() {
	run "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
cpu_ms = d["cpu_user_ms"] + d["cpu_system_ms"]
ok = eval(sys.argv[2])
if not ok:
    print("failed: " + sys.argv[2])
    print(json.dumps(d, indent=1))
sys.exit(0 if ok else 1)' "$R" "$1"
	assert_success
}

@test "cgroup: OOM: 256 MiB under --memory 64M is status oom, exit 137, oom_kills >= 1" {
	run "$MLRUN" --name "$NAME" --memory 64M --timeout $((20 * SLOW))s --report "$R" -- "$PY" -c '
b = bytearray(256 << 20)
for i in range(0, len(b), 4096): b[i] = 1
print("allocated")'
	assert_equal "$status" 137
	refute_output --partial allocated
	report_check 'd["status"] == "oom" and d["signal"] == 9 and d["oom_kills"] >= 1 and d["enforced"]["memory"]'
	assert_no_leaves
}

@test "cgroup: 64 MiB under --memory 256M: exits 0, memory_peak_bytes in [64 MiB, 256 MiB]" {
	run "$MLRUN" --name "$NAME" --memory 256M --timeout $((20 * SLOW))s --report "$R" -- "$PY" -c '
b = bytearray(64 << 20)
for i in range(0, len(b), 4096): b[i] = 1
print("allocated")'
	assert_success
	assert_output --partial allocated
	report_check "d['status'] == 'exited' and d['oom_kills'] == 0 and 64 * $MiB <= d['memory_peak_bytes'] <= 256 * $MiB"
	assert_no_leaves
}

@test "cgroup: the leaf exists while running, with the limits written before the program ran" {
	local leaf
	leaf=$(leaf_dir "$NAME")
	"$MLRUN" --name "$NAME" --memory 64M --pids 16 --cpus 0.5 --timeout $((20 * SLOW))s --report "$R" -- /bin/sleep $((2 * SLOW)) &
	local pid=$!
	wait_for 50 leaf_populated "$leaf" || { wait $pid; fail "no populated leaf at $leaf"; }
	assert_equal "$(cat "$leaf/memory.max")" $((64 * MiB))
	assert_equal "$(cat "$leaf/memory.swap.max")" 0
	assert_equal "$(cat "$leaf/memory.oom.group")" 1
	assert_equal "$(cat "$leaf/pids.max")" 16
	assert_equal "$(cat "$leaf/cpu.max")" "50000 100000"
	local rc=0
	wait $pid || rc=$?
	assert_equal "$rc" 0
	[ ! -e "$leaf" ] || fail "$leaf still exists after the run"
	assert_no_leaves
}

@test "cgroup: a fork bomb stops at --pids 16 and the host survives" {
	# Every process forks forever; without pids.max this would take the VM down.
	run "$MLRUN" --name "$NAME" --pids 16 --timeout 5s --report "$R" -- /bin/bash -c 'f() { while :; do f & done; }; f'
	assert_failure
	report_check 'd["status"] in ("pids", "timeout") and 0 < d["pids_peak"] <= 16 and d["enforced"]["pids"]'
	run /bin/bash -c 'for i in 1 2 3; do /bin/true & done; wait; echo alive'
	assert_success
	assert_output alive
	assert_no_leaves
}

@test "cgroup: --cpus 0.2 holds a 2 s spinner near 0.2 of wall time, and throttles" {
	run "$MLRUN" --name "$NAME" --cpus 0.2 --timeout $((20 * SLOW))s --report "$R" -- /bin/bash -c '
		end=$(( ${EPOCHREALTIME/./} + 2000000 ))
		while [ ${EPOCHREALTIME/./} -lt $end ]; do :; done'
	assert_success
	report_check '0.1 <= cpu_ms / d["wall_ms"] <= 0.35 and d["cpu_throttled_count"] > 0 and d["enforced"]["cpu"]'
	assert_no_leaves
}

@test "cgroup: --timeout kills a double-forked setsid daemon with its sandbox" {
	local leaf
	leaf=$(leaf_dir "$NAME")
	run "$MLRUN" --name "$NAME" --timeout 3s --report "$R" -- /bin/bash -c '(setsid /bin/sleep 987 &); exec /bin/sleep 986'
	assert_equal "$status" 124
	report_check 'd["status"] == "timeout"'
	[ ! -e "$leaf" ] || fail "$leaf still exists after the run"
	run pgrep -f 'sleep 98[67]'
	assert_failure # nothing survived, daemon included
	assert_no_leaves
}

@test "cgroup: --cpu-time 1s stops a spinner: status cpu-time, exit 124" {
	run "$MLRUN" --name "$NAME" --cpu-time 1s --timeout $((20 * SLOW))s --report "$R" -- /bin/bash -c 'while :; do :; done'
	assert_equal "$status" 124
	report_check 'd["status"] == "cpu-time" and cpu_ms >= 900'
	assert_no_leaves
}

@test "cgroup: a 5 ms program still reports cpu time and memory peak" {
	run "$MLRUN" --name "$NAME" --timeout $((20 * SLOW))s --report "$R" -- /bin/true
	assert_success
	report_check 'd["status"] == "exited" and cpu_ms > 0 and d["memory_peak_bytes"] > 0'
	assert_no_leaves
}

@test "cgroup: a program that cannot run leaves no leaf behind" {
	run "$MLRUN" --name "$NAME" --timeout $((20 * SLOW))s --report "$R" -- /nonexistent/program
	assert_equal "$status" 127
	[ ! -e "$(leaf_dir "$NAME")" ] || fail "leaf left behind"
	assert_no_leaves
}

@test "cgroup: rootless: memory, cpu and pids are enforced in the delegated subtree" {
	vm_require_rootless
	run "$MLRUN" --name "$NAME" --memory 32M --timeout $((20 * SLOW))s --report "$R" -- "$PY" -c '
b = bytearray(128 << 20)
for i in range(0, len(b), 4096): b[i] = 1
print("allocated")'
	assert_equal "$status" 137
	refute_output --partial allocated
	report_check 'd["status"] == "oom" and d["oom_kills"] >= 1 and all(d["enforced"][k] for k in ("memory", "cpu", "pids"))'
	assert_no_leaves
}

# --cpu-time 60s: strict's 10 s of CPU is plenty on real hardware, but under TCG on a loaded host
# the guest counts the time its vCPUs wait for the host as the program's (README: the same command).
@test "cgroup: the numpy example under --policy strict reports kernel-measured memory, CPU and pids" {
	cd "$(dirname "$BATS_TEST_DIRNAME")/.."
	# strict's 10 s of CPU is ample on an idle host (~6 s here); under TCG on a loaded host the
	# guest is charged for time it spent descheduled, hence --cpu-time 60s (the README shows this
	# command, tests/docs.bats checks they agree).
	run "$MLRUN" -q --name "$NAME" --policy policies/strict.ini --timeout 120s --cpu-time 60s --summary \
		--report "$R" examples/train_numpy.py
	assert_success
	assert_output --partial "test accuracy"
	# the summary, for docs: shown in the TAP stream of the VM run
	printf '%s\n' "${lines[@]}" | sed 's/^/# /' >&3
	report_check 'd["status"] == "exited" and d["memory_peak_source"] == "cgroup" and d["memory_peak_bytes"] > 8 * 2**20 and d["pids_peak"] >= 1 and cpu_ms > 0 and d["samples"] >= 1 and d["enforced"]["memory"] and d["enforced"]["cpu"] and d["enforced"]["pids"]'
	assert_no_leaves
}

# dd's own measure of its run: "N bytes (...) copied, S s, R MB/s" -> S in tenths of a second.
dd_tenths() { # dd-output
	local s
	s=$(printf '%s\n' "$1" | sed -n 's/.* copied, \([0-9.]*\) s,.*/\1/p')
	[ -n "$s" ] || return 1
	printf '%s\n' "$s" | awk '{ printf "%d\n", $1 * 10 }'
}

# The scratch disk behind a write limit: 4 MiB of direct writes at 1 MiB/s take about 4 s; an
# unthrottled write of them takes well under a second even here. Bounds are generous both ways:
# at least 2 s (half of what the limit allows), and the bytes are all counted in io.stat.
@test "cgroup: io.max: a 1 MiB/s write limit on the scratch disk throttles a direct dd" {
	vm_require_root
	local cg dev t stat
	dev=$(stat -c '%Hr:%Lr' "$MLRUN_VM_DISK")
	cg=$(vm_cgroup_new io)
	echo "$dev wbps=$MiB" >"$cg/io.max"
	run vm_in_cgroup "$cg" dd if=/dev/zero of="$MLRUN_VM_DISK" bs=64k count=64 oflag=direct
	stat=$(<"$cg/io.stat")
	vm_cgroup_cleanup
	assert_success
	[[ $stat =~ (^|$'\n')$dev\ .*wbytes=([0-9]+) ]] || fail "no $dev line in io.stat: $stat"
	[ "${BASH_REMATCH[2]}" -ge $((4 * MiB)) ] || fail "io.stat counted ${BASH_REMATCH[2]} bytes"
	t=$(dd_tenths "$output") || fail "no time in dd's output: $output"
	echo "# io.max wbps=1MiB: 4 MiB written in $t tenths of a second" >&3
	[ "$t" -ge 20 ] || fail "4 MiB under a 1 MiB/s limit took only $t/10 s"
}

# mlrun's io_write_bps throttles the disk that holds "/" (cgroup/limits.c). The VM's root is 9p,
# so the run happens in a private mount namespace pivoted into an ext2 file system on the scratch
# disk (pivot_root, not chroot: the kernel refuses a new user namespace to a chrooted process),
# with the host's directories bound in: "/" is then /dev/vda, and the sandbox writes
# to a directory of that disk (--bind) with O_DIRECT, so every byte reaches the throttled device.
@test "cgroup: io_write_bps throttles a dd in the sandbox to the disk behind / (io.max)" {
	vm_require_root
	local root=$BATS_TEST_TMPDIR/root t
	mkdir "$root"
	mke2fs -q -F -t ext2 "$MLRUN_VM_DISK" >/dev/null 2>&1 || fail "mke2fs $MLRUN_VM_DISK failed"
	printf '[limits]\nio_write_bps = 1M\n' >"$BATS_TEST_TMPDIR/io.ini"
	run unshare --mount --propagation private bash -c '
		set -e
		disk=$1 root=$2 repo=$3
		shift 3
		mount -t ext4 "$disk" "$root"
		mkdir -m 777 "$root/scratch" # the user in the sandbox may not be root
		for d in usr bin sbin lib lib32 lib64 libx32 etc dev proc sys tmp run; do
			if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"
			elif [ -d "/$d" ]; then mkdir "$root/$d" && mount --rbind "/$d" "$root/$d"; fi
		done
		mkdir -p "$root$repo" "$root/.old" && mount --rbind "$repo" "$root$repo"
		cd "$root" && pivot_root . .old && umount -l /.old && rmdir /.old
		cd "$repo"
		exec "$@"' \
		vm-io "$MLRUN_VM_DISK" "$root" "$MLRUN_VM_REPO" \
		"$MLRUN" -q --name "$NAME" --policy "$BATS_TEST_TMPDIR/io.ini" --timeout 120s --report "$R" \
		--bind /scratch:/out -- dd if=/dev/zero of=/out/f bs=64k count=64 oflag=direct
	assert_success
	t=$(dd_tenths "$output") || fail "no time in dd's output: $output"
	echo "# io_write_bps = 1M: 4 MiB written in $t tenths of a second" >&3
	[ "$t" -ge 20 ] || fail "4 MiB under io_write_bps = 1M took only $t/10 s"
	report_check 'd["enforced"]["io"] and d["io_write_bytes"] >= 4 * 2**20'
	assert_no_leaves
}

# A caller allowed real-time priority (RLIMIT_RTPRIO; desktops grant it to the audio group) must
# not hand it to the program: a SCHED_FIFO task is not held by cpu.max. The default profile allows
# sched_setscheduler and setpriority, so the kernel has to refuse them (RLIMIT_RTPRIO and
# RLIMIT_NICE are 0 in the sandbox). The same test on the host (tests/seccomp.bats) needs
# CAP_SYS_RESOURCE, which root in the VM has.
@test "cgroup: a caller's RLIMIT_RTPRIO does not let the program take SCHED_FIFO past cpu.max" {
	vm_require_root
	run prlimit --rtprio=10 --nice=30 -- "$MLRUN" -q --name "$NAME" --seccomp default --cpus 0.5 \
		--ro-bind "$MLRUN_VM_REPO/build/tests/probe:/probe" --report "$R" -- /probe sched-rt
	assert_success
	assert_line "sched_setscheduler errno EPERM"
	assert_line --regexp '^setpriority errno (EACCES|EPERM)$'
	report_check 'd["violations"] == [] and d["enforced"]["cpu"]'
	assert_no_leaves
}
