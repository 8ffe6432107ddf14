#!/usr/bin/env bats
# Syscall filtering: the profiles, their argument rules, violation tracking and its answers.
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

# A supervisor stopped by a test must never outlive it.
teardown() { [ -z "${mlrun_pid:-}" ] || { kill -KILL "$mlrun_pid" 2>/dev/null; wait "$mlrun_pid" 2>/dev/null; } || true; }

# The ML workloads, exposed at /ml: the repository itself is not in the sandbox.
ml() { "$MLRUN" -q --policy "$REPO/policies/strict.ini" --ro-bind "$REPO/tests/ml:/ml" --report r.json "$@"; }

# Violations of a report as "name:count:action" lines.
violations() { jfield "$1" '"\n".join("%s:%d:%s" % (v["syscall"], v["count"], v["action"]) for v in r["violations"])'; }

# Run every "NAME ARGS" line of the file $1 through `probe syscall` in one sandbox of
# profile $2; each must print "errno EPERM", and the report must count each name once.
expect_denied() {
	local list=$1 profile=$2 script='' name
	while read -r name args; do script+="/probe syscall $name $args; "; done < "$list"
	run sb --seccomp "$profile" --report r.json -- /bin/sh -c "$script"
	local n; n=$(grep -c . "$list")
	[ "$(printf '%s\n' "$output" | grep -c '^errno EPERM$')" -eq "$n" ] || { echo "$output"; return 1; }
	while read -r name args; do
		violations r.json | grep -qx "$name:1:errno" || { echo "$name not counted"; violations r.json; return 1; }
	done < <(sort -u -k1,1 "$list")
}

DEFAULT_DENIED="mount umount2 fsopen fsmount move_mount open_tree mount_setattr fsconfig fspick pivot_root chroot
unshare setns ptrace process_vm_readv process_vm_writev kcmp keyctl add_key request_key bpf perf_event_open
userfaultfd io_uring_setup io_uring_enter io_uring_register kexec_load kexec_file_load init_module finit_module
delete_module reboot swapon swapoff settimeofday clock_settime clock_adjtime adjtimex acct quotactl quotactl_fd
open_by_handle_at name_to_handle_at lookup_dcookie vhangup syslog nfsservctl uselib ustat sysfs _sysctl
create_module get_kernel_syms query_module fanotify_init pidfd_getfd process_madvise sethostname setdomainname
iopl ioperm modify_ldt move_pages migrate_pages"

@test "default: every syscall of the deny-list fails with EPERM and is counted once" {
	for s in $DEFAULT_DENIED; do echo "$s"; done > list
	[ "$(wc -l < list)" -ge 64 ]
	expect_denied list default
	[ "$(jfield r.json 'r["enforced"]["seccomp"]')" = True ]
}

@test "default: the same syscalls are not denied with --seccomp off (the test can fail)" {
	run sb --seccomp off --report r.json -- /bin/sh -c "/probe syscall kcmp 0 0 0 0 0; /probe syscall ustat 0 0; /probe syscall io_uring_setup 0 0; /probe syscall personality 0x0400000"
	refute_line "errno EPERM"
	[ "$(jfield r.json 'len(r["violations"])')" = 0 ]
	[ "$(jfield r.json 'r["enforced"]["seccomp"]')" = False ]
}

@test "default: syscalls newer than libseccomp are denied (open_tree_attr, lsm_set_self_attr, a future one)" {
	run sb --report r.json -- /bin/sh -c '/probe syscall-nr 467; /probe syscall-nr 460; /probe syscall-nr 500'
	assert_equal "$output" "$(printf 'errno EPERM\nerrno EPERM\nerrno EPERM')"
	violations r.json > v
	grep -qx 'open_tree_attr:1:errno' v && grep -qx 'lsm_set_self_attr:1:errno' v && grep -qx 'syscall_500:1:errno' v
}

@test "default: clone with any CLONE_NEW* flag is denied, a plain fork is not" {
	printf '%s\n' "clone 0x00020000" "clone 0x02000000" "clone 0x04000000" "clone 0x08000000" \
		"clone 0x10000000" "clone 0x20000000" "clone 0x40000000" > list
	run sb --report r.json -- /bin/sh -c "$(sed 's|^|/probe syscall |; s|$|;|' list)"
	[ "$(printf '%s\n' "$output" | grep -c '^errno EPERM$')" -eq 7 ]
	violations r.json | grep -qx 'clone:7:errno'
	run sb -- /probe syscall clone 17
	assert_success
}

@test "default: clone3 answers ENOSYS (libc falls back to clone) and is no violation" {
	run sb --report r.json -- /probe syscall clone3
	assert_output "errno ENOSYS"
	[ "$(jfield r.json 'len(r["violations"])')" = 0 ]
}

@test "default: socket families beyond unix, inet, inet6 and netlink-route are denied" {
	# AF_PACKET, AF_ALG, AF_VSOCK, AF_BLUETOOTH, AF_NETLINK/NETLINK_AUDIT, a family past AF_MAX
	printf '%s\n' "socket 17 3 768" "socket 38 5 0" "socket 40 1 0" "socket 31 1 0" "socket 16 3 9" \
		"socket 4096 1 0" > list
	run sb --report r.json -- /bin/sh -c "$(sed 's|^|/probe syscall |; s|$|;|' list)"
	[ "$(printf '%s\n' "$output" | grep -c '^errno EPERM$')" -eq 6 ]
	violations r.json | grep -qx 'socket:6:errno'
	run sb --report r.json -- /bin/sh -c '/probe syscall socket 1 1 0; /probe syscall socket 2 2 0; /probe syscall socket 10 2 0; /probe syscall socket 16 3 0'
	refute_line "errno EPERM"
	[ "$(jfield r.json 'len(r["violations"])')" = 0 ]
}

# socket()/socketpair() calls that reach the kernel's on-demand module loading
# (inet_create's request_module("net-pf-2-proto-132-type-1"), sock_create's "net-pf-16"):
# SCTP, an unassigned protocol (115), UDP on a stream socket, raw and ping sockets, SEQPACKET,
# and socketpair of any family but unix (the kernel creates the socket before it refuses).
AUTOLOAD_SOCKETS="socket inet stream sctp
socket inet dgram 115
socket inet6 stream sctp
socket inet6 seqpacket 0
socket inet stream+nonblock+cloexec udp
socket inet dgram tcp
socket inet dgram udplite
socket inet dgram icmp
socket inet raw icmp
socket inet stream 0x100000084
socketpair inet stream 0
socketpair inet stream sctp
socketpair netlink raw 0
socketpair inet6 dgram 0"

# Run each "socket ..." / "socketpair ..." line of $2 as a probe in one sandbox of profile $1.
probe_each() { run sb --seccomp "$1" --report r.json -- /bin/sh -c "$(printf '%s\n' "$2" | sed 's|^|/probe |; s|$|;|')"; }

@test "default and strict: socket types, protocols and socketpair families that load modules are denied" {
	for profile in default strict; do
		probe_each "$profile" "$AUTOLOAD_SOCKETS"
		[ "$(printf '%s\n' "$output" | grep -c '^errno EPERM$')" -eq 14 ] || { echo "$profile: $output"; return 1; }
		violations r.json > v
		grep -qx 'socket:10:errno' v && grep -qx 'socketpair:4:errno' v || { echo "$profile"; cat v; return 1; }
	done
}

@test "default and strict: TCP, UDP, netlink-route and unix socketpairs work without a violation" {
	for profile in default strict; do
		probe_each "$profile" "socket inet stream 0
socket inet stream tcp
socket inet6 stream+cloexec tcp
socket inet dgram 0
socket inet dgram+nonblock udp
socket inet6 dgram udp
socket unix stream 0
socket netlink raw 0
socketpair unix stream+cloexec 0
socketpair unix dgram 0
socketpair unix seqpacket 0"
		assert_equal "$(printf '%s\n' "$output" | grep -c '^ok$')" 11
		[ "$(jfield r.json 'r["violations"]')" = "[]" ]
	done
}

@test "a profile file that allows socket and socketpair gets the same module-autoload rules" {
	printf 'default allow\ndeny ptrace\n' > deny.prof
	for s in execve brk arch_prctl set_tid_address set_robust_list rseq prlimit64 mmap munmap mprotect readlink \
		uname newfstatat openat read fstat getrandom ioctl lseek getpid write exit_group socket socketpair; do
		echo "$s"; done > allow.prof
	for prof in deny.prof allow.prof; do # the static probe alone: allow.prof has too little for a shell
		run sb --seccomp "$PWD/$prof" -- /probe socket inet stream sctp
		assert_output "errno EPERM"
		run sb --seccomp "$PWD/$prof" -- /probe socketpair netlink raw 0
		assert_output "errno EPERM"
		run sb --seccomp "$PWD/$prof" -- /probe socket inet stream 0
		assert_output "ok"
		run sb --seccomp "$PWD/$prof" -- /probe socketpair unix stream 0
		assert_output "ok"
	done
}

@test "default: ioctl TIOCSTI and TIOCLINUX are denied, also with junk in the upper 32 bits" {
	run sb --report r.json -- /bin/sh -c '/probe syscall ioctl 0 0x5412 0; /probe syscall ioctl 0 0x541C 0; /probe syscall ioctl 0 0x700005412 0; /probe syscall ioctl 0 0x5401 0'
	assert_equal "$output" "$(printf 'errno EPERM\nerrno EPERM\nerrno EPERM\nerrno ENOTTY')"
	violations r.json | grep -qx 'ioctl:3:errno'
}

@test "default: personality only takes Docker's harmless values" {
	run sb --report r.json -- /bin/sh -c '/probe syscall personality 0xffffffff; /probe syscall personality 0; /probe syscall personality 0x0400000; /probe syscall personality 0x0040000'
	assert_equal "${lines[2]}" "errno EPERM"
	assert_equal "${lines[3]}" "errno EPERM"
	refute [ "${lines[0]}" = "errno EPERM" ]
	violations r.json | grep -qx 'personality:2:errno'
}

@test "default and strict: NUMA policy of the program's own memory works, other processes' pages stay denied" {
	for profile in default strict; do
		run sb --seccomp "$profile" --report r.json -- /bin/sh -c \
			'/probe numa; /probe syscall migrate_pages 0 0 0 0; /probe syscall move_pages 0 0 0 0 0 0'
		assert_equal "$output" "$(printf '%s\n' 'mbind ok' 'set_mempolicy_home_node ok' 'set_mempolicy ok' \
			'get_mempolicy ok' 'mbind-move-all errno EPERM' 'errno EPERM' 'errno EPERM')"
		# MPOL_MF_MOVE_ALL is refused by the kernel (no CAP_SYS_NICE), not by the filter
		assert_equal "$(violations r.json | sort | tr '\n' ' ')" "migrate_pages:1:errno move_pages:1:errno "
	done
}

# What Docker's default profile allows without a capability and an ML runtime may call on itself:
# reading its own scheduling and I/O priority, locking its own memory (within RLIMIT_MEMLOCK).
@test "strict: own-process scheduling queries and mlockall are allowed" {
	run sb --seccomp strict --report r.json -- /probe sched
	assert_success
	assert_equal "$output" "$(printf '%s\n' 'sched_rr_get_interval ok' 'ioprio_get ok' 'mlockall ok' 'munlockall ok')"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

# default allows sched_setscheduler and setpriority: a caller with RLIMIT_RTPRIO (desktops grant
# it to the audio group) must not hand a real-time policy to the program (cpu.max does not hold a
# SCHED_FIFO task), nor a nice value below its own. The kernel refuses, not the filter.
@test "a caller's RLIMIT_RTPRIO and RLIMIT_NICE do not let the program take real-time or raised priority" {
	prlimit --rtprio=10 --nice=30 true 2>/dev/null || skip "raising RLIMIT_RTPRIO needs CAP_SYS_RESOURCE (tests/vm/cgroup.bats runs this as root in the VM)"
	run prlimit --rtprio=10 --nice=30 -- "$MLRUN" --ro-bind "$PROBE:/probe" --seccomp default --report r.json -- /probe sched-rt
	assert_success
	assert_line "sched_setscheduler errno EPERM"
	assert_line --regexp '^setpriority errno (EACCES|EPERM)$'
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

@test "strict: what default allows but strict does not is denied too" {
	# seccomp(317) msgget(68) sync(162) io_setup(206) landlock_create_ruleset(444) inotify is allowed
	run sb --seccomp strict --report r.json -- /bin/sh -c '/probe syscall ptrace; /probe syscall seccomp; /probe syscall-nr 68; /probe syscall-nr 162; /probe syscall-nr 206; /probe syscall-nr 444 0 0 1'
	[ "$(printf '%s\n' "$output" | grep -c '^errno EPERM$')" -eq 6 ]
	violations r.json > v
	for s in ptrace seccomp msgget sync io_setup landlock_create_ruleset; do grep -qx "$s:1:errno" v; done
	run sb --seccomp default -- /probe syscall-nr 444 0 0 1
	assert_success
}

@test "strict: the deny-list of default holds in strict as well" {
	for s in $DEFAULT_DENIED; do echo "$s"; done > list
	echo "ioctl 0 0x5412 0" >> list
	echo "socket 38 5 0" >> list
	echo "personality 0x0400000" >> list
	expect_denied list strict
}

@test "strict: numpy linear algebra runs without a single violation" {
	run ml -- "$PY" /ml/linalg.py
	assert_success
	assert_output "linalg ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

# --memory 1G with --cpus 2: on a host without cgroup limits memory is RLIMIT_DATA, which counts
# untouched reservations, and OpenBLAS reserves 128 MiB per thread (two threads here): under
# strict's 256M its allocator retries forever (docs/design.md, "Degraded hosts").
@test "strict: a numpy training loop runs without a single violation" {
	run ml --cpus 2 --memory 1G -- "$PY" /ml/train.py
	assert_success
	assert_output --partial "train ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

@test "strict: scikit-learn fits and scores without a single violation" {
	"$PY" -c 'import sklearn' 2>/dev/null || skip "python3-sklearn is not installed"
	run ml --cpus 2 --memory 1G --timeout $((60 * SLOW))s -- "$PY" /ml/sklearn_fit.py
	assert_success
	assert_output "sklearn ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

# OpenBLAS calls mbind on its buffers (NUMA placement of its own memory). Selected through
# LD_LIBRARY_PATH, whatever BLAS alternative this host has selected. --memory 1G --cpus 2: see above.
OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread
@test "strict: numpy on OpenBLAS (linear algebra, training) runs without a single violation" {
	[ -e "$OPENBLAS_DIR/libblas.so.3" ] || skip "libopenblas0-pthread is not installed"
	run ml --cpus 2 --memory 1G --timeout 60s --env LD_LIBRARY_PATH="$OPENBLAS_DIR" -- "$PY" /ml/openblas.py
	assert_success
	assert_line "linalg ok"
	assert_line --partial "train ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

# PyTorch asks for its memory policy (get_mempolicy) when it starts its thread pool; its peak is
# near strict's 256M, so --memory 1G.
@test "strict: PyTorch trains a small network without a single violation" {
	"$PY" -c 'import torch' 2>/dev/null || skip "python3-torch is not installed"
	run ml --cpus 2 --memory 1G --timeout 120s -- "$PY" /ml/torch_train.py
	assert_success
	assert_output --partial "torch train ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

@test "strict: a PyTorch DataLoader with two worker processes runs without a single violation" {
	"$PY" -c 'import torch' 2>/dev/null || skip "python3-torch is not installed"
	run ml --cpus 2 --memory 1G --timeout 120s -- "$PY" /ml/torch_loader.py
	assert_success
	assert_output "torch loader ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

@test "strict: pandas writes and reads back a CSV file without a single violation" {
	"$PY" -c 'import pandas' 2>/dev/null || skip "python3-pandas is not installed"
	run ml --timeout 60s -- "$PY" /ml/pandas_csv.py
	assert_success
	assert_output "pandas ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

@test "strict: process pools, threads, subprocesses and socketpairs work without a violation" {
	run ml --cpus 2 --timeout $((60 * SLOW))s -- "$PY" /ml/procs.py
	assert_success
	assert_output "procs ok"
	[ "$(jfield r.json 'r["violations"]')" = "[]" ]
}

@test "violations are counted per syscall, across threads, with the time of the first" {
	run sb --report r.json -- /bin/sh -c '/probe loop ptrace 5; /probe threads 8 bpf; /probe syscall keyctl'
	violations r.json > v
	grep -qx 'ptrace:5:errno' v && grep -qx 'bpf:8:errno' v && grep -qx 'keyctl:1:errno' v
	assert_line "denied 8 of 8"
	[ "$(jfield r.json 'all(0 < v["first_ms"] <= r["wall_ms"] for v in r["violations"])')" = True ]
	[ "$(jfield r.json '[v["syscall"] for v in sorted(r["violations"], key=lambda v: v["first_ms"])]')" = "['ptrace', 'bpf', 'keyctl']" ]
}

@test "violations: one line on stderr at the end, none with -q" {
	"$MLRUN" --ro-bind "$PROBE:/probe" -- /bin/sh -c '/probe syscall ptrace; /probe syscall bpf; /probe syscall bpf' 2>err || true
	grep -qx 'mlrun: 3 denied syscalls: ptrace x1, bpf x2' err
	sb -- /probe syscall ptrace 2>err || true
	[ ! -s err ]
}

@test "on_violation = kill: the sandbox dies with SIGSYS before the call runs" {
	printf '[security]\non_violation = kill\n' > kill.ini
	run sb --policy "$PWD/kill.ini" --report r.json -- /bin/sh -c '/probe syscall unshare 0x10000000; echo survived'
	assert_equal "$status" 159
	refute_output --partial "survived"
	refute_output --partial "ok"
	[ "$(jfield r.json 'r["status"], r["signal"]')" = "('signaled', 31)" ]
	violations r.json | grep -qx 'unshare:1:kill'
}

@test "on_violation = log: the call proceeds and is reported" {
	printf '[security]\non_violation = log\n' > log.ini
	run sb --policy "$PWD/log.ini" --report r.json -- /probe syscall unshare 0x10000000
	assert_success
	assert_output "ok 0"
	violations r.json | grep -qx 'unshare:1:log'
	"$MLRUN" --policy "$PWD/log.ini" --ro-bind "$PROBE:/probe" -- /probe syscall unshare 0x10000000 2>err
	grep -qx 'mlrun: 1 logged syscall: unshare x1' err
}

@test "on_violation = log: a denied call runs, so the report says seccomp is not enforced and mlrun warns" {
	printf '[security]\non_violation = log\n' > log.ini
	"$MLRUN" --policy "$PWD/log.ini" --ro-bind "$PROBE:/probe" --report r.json --summary -- \
		/probe syscall unshare 0x10000000 >out 2>err
	grep -qx 'ok 0' out # the attack: a new user namespace under a loaded filter
	[ "$(jfield r.json 'r["enforced"]["seccomp"]')" = False ]
	[ "$(jfield r.json '"on_violation = log" in r["not_enforced_reason"]')" = True ]
	violations r.json | grep -qx 'unshare:1:log'
	[ "$(grep -cx 'mlrun: warning: on_violation = log: denied syscalls are allowed and only recorded; seccomp is not enforced' err)" = 1 ]
	grep -q '^mlrun: enforced .* seccomp=NO ' err
	# errno and kill enforce: no warning, enforced.seccomp true
	printf '[security]\non_violation = kill\n' > kill.ini
	for ini in kill.ini ""; do
		"$MLRUN" ${ini:+--policy "$PWD/$ini"} --report r.json -- /bin/true 2>err
		[ "$(jfield r.json 'r["enforced"]["seccomp"]')" = True ]
		! grep -q 'on_violation' err
	done
}

@test "other ABIs are killed: the i386 int 0x80 entry and x32 numbers" {
	run sb --report r.json -- /probe int80 20
	assert_equal "$status" 159
	[ "$(jfield r.json 'r["signal"]')" = 31 ]
	run sb -- /probe x32 39
	assert_equal "$status" 159
	run sb --seccomp off -- /probe int80 20
	assert_success
}

@test "the program never holds the listener or its socket, and runs under one filter" {
	run sb -- /probe fds
	assert_output "count 0"
	run sb -- /probe read /proc/self/status
	assert_line --regexp '^Seccomp:\s+2$'
	assert_line --regexp '^Seccomp_filters:\s+1$'
}

@test "a denied call waits for the supervisor; when the supervisor dies the sandbox goes with it" {
	chmod 777 .
	"$MLRUN" -q --name "seccomp-sup-$$" --ro-bind "$PROBE:/probe" --workdir rw -- /bin/sh -c 'touch ready; while [ ! -e go ]; do sleep 0.02; done; /probe syscall ptrace > answered' &
	mlrun_pid=$! # mlrun itself: a simple command in the background is exec'd directly
	wait_for 100 test -e ready
	kill -STOP "$mlrun_pid"
	touch go
	probe_pid() { for p in $(descendants_of "$mlrun_pid"); do grep -q '^Name:.*probe' /proc/$p/status 2>/dev/null && echo "$p"; done; }
	probe_started() { [ -n "$(probe_pid)" ]; } # re-evaluated on every poll
	wait_for 100 probe_started
	p=$(probe_pid)
	wait_for 100 grep -q '^101 ' /proc/"$p"/syscall # blocked inside ptrace(2), waiting for an answer
	[ ! -s answered ]
	kill -KILL "$mlrun_pid"
	wait_for 100 is_dead "$p"
	# The listener closed with the supervisor: the call failed (ENOSYS) or never returned.
	! grep -q '^ok' answered
	# the killed supervisor's state file is what `mlrun gc` is for: nothing stays behind
	local state=/run/mlrun/seccomp-sup-$$.json
	if [ "$(id -u)" != 0 ]; then
		state=/tmp/mlrun-$(id -u)/seccomp-sup-$$.json
		[[ ${XDG_RUNTIME_DIR:-} != /* ]] || state=$XDG_RUNTIME_DIR/mlrun/seccomp-sup-$$.json
	fi
	run "$MLRUN" gc
	assert_success
	[ ! -e "$state" ] || fail "$state stayed after mlrun gc"
}

@test "allow_syscalls and deny_syscalls adjust the profile" {
	run sb --seccomp default -- /probe syscall sched_yield
	assert_success
	printf '[security]\ndeny_syscalls = sched_yield\nallow_syscalls = ptrace\n' > adj.ini
	run sb --policy "$PWD/adj.ini" --report r.json -- /bin/sh -c '/probe syscall sched_yield; /probe ptrace-child'
	assert_equal "${lines[0]}" "errno EPERM"
	assert_equal "${lines[1]}" "attached"
	violations r.json | grep -qx 'sched_yield:1:errno'
}

@test "unknown syscall names and undeniable ones are policy errors naming the key" {
	printf '[security]\nallow_syscalls = ptrace, ptracee\ndeny_syscalls = execve\n' > bad.ini
	run "$MLRUN" check bad.ini
	assert_failure
	assert_line "bad.ini:2: unknown syscall 'ptracee' in [security] allow_syscalls"
	assert_line "bad.ini:3: 'execve' in [security] deny_syscalls cannot be denied: mlrun needs it to start the program"
	run "$MLRUN" -q --policy "$PWD/bad.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "unknown syscall 'ptracee' in [security] allow_syscalls"
}

@test "a profile file: default, allow and deny lines, bare names; errors name the line" {
	printf '# a deny-list\ndefault allow\ndeny ptrace bpf\n' > deny.prof
	run sb --seccomp "$PWD/deny.prof" --report r.json -- /bin/sh -c '/probe syscall ptrace; /probe syscall keyctl 0 0'
	assert_equal "${lines[0]}" "errno EPERM"
	refute [ "${lines[1]}" = "errno EPERM" ]
	for s in execve brk arch_prctl set_tid_address set_robust_list rseq prlimit64 mmap munmap mprotect readlink \
		uname newfstatat openat read fstat getrandom ioctl lseek getpid; do echo "$s"; done > allow.prof
	run sb --seccomp "$PWD/allow.prof" --report r.json -- /probe syscall getppid
	assert_output "errno EPERM"
	violations r.json | grep -qx 'getppid:1:errno'
	printf 'allow getpid\nfrobnicate\n' > typo.prof
	run "$MLRUN" -q --seccomp "$PWD/typo.prof" -- /bin/true
	assert_equal "$status" 125
	assert_output "mlrun: $PWD/typo.prof:2: not a syscall name this libseccomp knows"
}

@test "rootless: the filter, its violations and Landlock work without root" {
	ensure_test_user
	# the unprivileged supervisor writes the report to an fd this (root) shell opened
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none --report-fd 5 -- \
		/bin/sh -c '/probe syscall ptrace; /probe open-write /proc/self/mem' 5>r.json
	assert_equal "$output" "$(printf 'errno EPERM\nerrno EACCES')"
	violations r.json | grep -qx 'ptrace:1:errno'
	[ "$(jfield r.json 'r["enforced"]["seccomp"], r["enforced"]["landlock"]')" = "(True, True)" ]
}
