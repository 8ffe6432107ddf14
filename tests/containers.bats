#!/usr/bin/env bats
# mlrun inside the containers CI jobs and clusters run it in (issue 16): crun starts a container
# configured like a Kubernetes pod, a Docker/podman container or crun's own default spec (root
# inside without a user namespace, their capability sets, the standard maskedPaths/readonlyPaths,
# the containers-common seccomp profile), and mlrun runs inside it. See docs/containers.md.
load helpers

# The container binds the staged copy (readable by every uid, outside a 0700 /root).
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

setup() {
	require_root
	cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"
	WORK=$BATS_TEST_TMPDIR/work
	mkdir -p "$WORK" && chmod 755 "$WORK"
}

need_crun() {
	command -v crun >/dev/null || skip "crun is not installed (Debian: apt-get install crun; make deps)"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
}

# The JSON report at the end of the output (a run that ends with `cat REPORT`).
report_tail() { sed -n '/^{/,$p' <<<"$output" >"$BATS_TEST_TMPDIR/report.json"; echo "$BATS_TEST_TMPDIR/report.json"; }

# in_container KIND [bundle.py options] -- ARGV...: run ARGV in a fresh container of KIND
# (tests/containers/bundle.py) with the staged mlrun and $WORK bound read-only; $WORK is the cwd.
in_container() {
	local bundle=$BATS_TEST_TMPDIR/bundle-$RANDOM$RANDOM opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	mkdir -p "$bundle"
	"$PY" "$REPO/tests/containers/bundle.py" "$bundle" "${opts[@]}" --bind "$USER_DIR" --bind "$WORK" \
		--cwd "$WORK" -- "$@" >/dev/null || return 125
	"$REPO/tests/containers/crun-run.sh" "$bundle" "mlrun-test-$$-$RANDOM"
}

@test "containers: root without CAP_SETUID/CAP_SETGID maps its own uid, as a rootless caller does" {
	need_crun
	run in_container nosetid --unmasked -- "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" \
		/usr/bin/python3 -c 'import os; print("uid", os.getuid())'
	assert_success
	assert_output "uid 0"
}

@test "containers: root without CAP_SETUID and CAP_SETFCAP (crun's default spec) is told why, not about AppArmor" {
	need_crun
	run in_container fewcaps --unmasked -- "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" /usr/bin/python3 -c 'print(1)'
	assert_equal "$status" 125
	assert_output --partial "without CAP_SETUID/CAP_SETGID and without CAP_SETFCAP"
	assert_output --partial "Docker's default capabilities"
	refute_output --partial "AppArmor"
}

@test "containers: a Kubernetes pod's masked /proc: strict (proc = fresh) refuses, naming the key and the fixes" {
	need_crun
	run in_container k8s -- "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" /usr/bin/python3 -c 'print(1)'
	assert_equal "$status" 125
	assert_output --partial "mount_too_revealing"
	assert_output --partial "[sandbox] proc = fresh"
	assert_output --partial "proc = container"
	assert_output --partial "systempaths=unconfined"
	assert_output --partial "procMount: Unmasked"
}

@test "containers: a masked /proc with proc = container: Python runs under strict, the report says /proc is not enforced" {
	need_crun
	run in_container k8s -- sh -c "MLRUN_PROC=container '$USER_MLRUN' -p '$USER_POLICIES/strict.ini' --report /tmp/r.json \
		/usr/bin/python3 -c 'import os; print(\"ran\", os.getuid())' 2>/tmp/err; echo \"exit \$?\"; cat /tmp/err /tmp/r.json"
	assert_success
	assert_line "ran 60000"
	assert_line "exit 0"
	assert_output --partial "mlrun: warning: not enforced here: proc: the kernel refused a fresh /proc"
	local r; r=$(report_tail)
	assert_equal "$(jfield "$r" 'r["status"], r["enforced"]["proc"], r["enforced"]["seccomp"], r["enforced"]["landlock"]')" \
		"('exited', False, True, True)"
	assert_equal "$(jfield "$r" '"container\x27s /proc" in r["not_enforced_reason"] and "systempaths=unconfined" in r["not_enforced_reason"]')" True
}

@test "containers: the container's /proc is read-only in the sandbox and keeps every mask (proc = container)" {
	need_crun
	run in_container k8s -- env MLRUN_PROC=container "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" /usr/bin/python3 -c '
import os
for f in ("interrupts", "timer_list", "keys", "sched_debug", "kallsyms"):
    try:
        data = open("/proc/" + f, "rb").read()
    except OSError:
        data = b""
    print(f, len(data))
for f in ("/proc/self/comm", "/proc/sys/kernel/hostname", "/proc/self/oom_score_adj"):
    try:
        with open(f, "w") as o:
            o.write("x\n")
        print("wrote", f)
    except OSError as e:
        print("refused", f, e.errno)
'
	assert_success
	assert_line "interrupts 0"
	assert_line "timer_list 0"
	assert_line "keys 0"
	assert_line "sched_debug 0"
	assert_line "kallsyms 0"
	refute_output --partial "wrote"
	assert_line "refused /proc/self/comm 30"
	assert_line "refused /proc/sys/kernel/hostname 30"
}

@test "containers: proc = none: no /proc at all, and the run works" {
	need_crun
	run in_container k8s -- env MLRUN_PROC=none "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" /usr/bin/python3 -c '
import os; print("entries", len(os.listdir("/proc")))'
	assert_success
	assert_output "entries 0"
}

@test "containers: an unmasked /proc (procMount: Unmasked): strict runs with a fresh /proc, everything it can enforce enforced" {
	need_crun
	run in_container k8s --unmasked -- sh -c "'$USER_MLRUN' -q -p '$USER_POLICIES/strict.ini' --report /tmp/r.json \
		/usr/bin/python3 -c 'import os; print(\"pid\", os.getpid(), sorted(p for p in os.listdir(\"/proc\") if p.isdigit()))'; echo \"exit \$?\"; cat /tmp/r.json"
	assert_success
	assert_line "pid 2 ['1', '2']"
	local r; r=$(report_tail)
	assert_equal "$(jfield "$r" 'r["enforced"]["proc"], r["enforced"]["seccomp"]')" "(True, True)"
}

@test "proc = container on a host that allows a fresh /proc uses the fresh one (enforced.proc true)" {
	MLRUN_PROC=container run sb -p "$REPO/policies/strict.ini" --report "$BATS_TEST_TMPDIR/r.json" -- /probe ls /proc/1
	assert_success
	assert_equal "$(jfield "$BATS_TEST_TMPDIR/r.json" 'r["enforced"]["proc"], r["not_enforced_reason"] is None or "proc" not in r["not_enforced_reason"]')" "(True, True)"
	# and the hostname is the policy's (no outer filter here)
	assert_equal "$(jfield "$BATS_TEST_TMPDIR/r.json" 'r["enforced"]["hostname"], r["not_enforced_reason"] is None or "hostname" not in r["not_enforced_reason"]')" "(True, True)"
}

# The one message a container whose seccomp profile denies DENIED gets, with every fix.
assert_no_sandbox_message() {
	assert_output --partial "mlrun: no sandbox can be built in this container: its seccomp filter denies $1 ("
	assert_output --partial "--security-opt seccomp=unconfined --security-opt systempaths=unconfined (podman/Docker)"
	assert_output --partial "securityContext.seccompProfile.type: Unconfined and procMount: Unmasked (Kubernetes)"
	assert_output --partial "mlrun-oci, the OCI runtime mode"
}

need_profile() {
	[ -r /usr/share/containers/seccomp.json ] || skip "no /usr/share/containers/seccomp.json (apt-get install golang-github-containers-common)"
}

@test "containers: a profile that denies mount (Docker's, to a process without CAP_SYS_ADMIN): one message with the cause and the fixes, before anything" {
	need_crun
	need_profile
	run in_container docker --deny mount -- sh -c "'$USER_MLRUN' -p '$USER_POLICIES/default.ini' /usr/bin/python3 -c 'print(1)'; echo \"exit \$?\"; ls -A /run"
	assert_success
	assert_no_sandbox_message "mount and sethostname"
	assert_line "exit 125"
	# before anything: only the message (no warning about limits first), no state directory
	assert_regex "${lines[0]}" "^mlrun: no sandbox can be built in this container: "
	refute_output --partial "mlrun: warning"
	refute_line "mlrun"
}

# podman's default profile (containers-common) denies sethostname and setdomainname to a process
# without CAP_SYS_ADMIN, and nothing else a sandbox needs: mount, unshare and clone are allowed.
@test "containers: podman's default profile (denies only sethostname): Python runs under default keeping the container's hostname, and the report and stderr say so" {
	need_crun
	need_profile
	run in_container docker -- sh -c "'$USER_MLRUN' -p '$USER_POLICIES/default.ini' --report /tmp/r.json /usr/bin/python3 -c '
import socket
print(\"host\", socket.gethostname(), open(\"/etc/hostname\").read().strip(), \"ci-job\" in open(\"/etc/hosts\").read().split())' \
		2>/tmp/err; echo \"exit \$?\"; cat /tmp/err /tmp/r.json"
	assert_success
	assert_line "host ci-job ci-job True"
	assert_line "exit 0"
	assert_line "mlrun: warning: not enforced here: hostname: the container's seccomp filter denies sethostname (podman's default profile does), so the sandbox keeps the container's hostname 'ci-job', not [sandbox] hostname = mlrun (hostname_required = false allows it); fix: run the container with --security-opt seccomp=unconfined (podman/Docker) or securityContext.seccompProfile.type: Unconfined (Kubernetes), or use mlrun-oci as its runtime; see docs/containers.md"
	local r; r=$(report_tail)
	assert_equal "$(jfield "$r" 'r["status"], r["exit_code"], r["enforced"]["hostname"], r["enforced"]["seccomp"], r["enforced"]["network"]')" \
		"('exited', 0, False, True, True)"
	assert_equal "$(jfield "$r" '"keeps the container\x27s hostname \x27ci-job\x27" in r["not_enforced_reason"] and "hostname_required" in r["not_enforced_reason"]')" True
}

@test "containers: podman's default profile under strict (hostname_required = true): refused before anything, naming the key; false runs" {
	need_crun
	need_profile
	run in_container docker --unmasked -- sh -c "'$USER_MLRUN' -p '$USER_POLICIES/strict.ini' /usr/bin/python3 -c 'print(1)'; echo \"exit \$?\"; ls -A /run"
	assert_success
	assert_line "exit 125"
	assert_equal "${lines[0]}" "mlrun: cannot set the hostname 'mlrun': the container's seccomp filter denies sethostname (podman's default profile does) and [sandbox] hostname_required = true; set hostname_required = false (MLRUN_HOSTNAME_REQUIRED=false) to keep the container's hostname, or run the container with --security-opt seccomp=unconfined (podman/Docker) or securityContext.seccompProfile.type: Unconfined (Kubernetes), or use mlrun-oci as its runtime; see docs/containers.md"
	refute_output --partial "mlrun: warning"
	refute_line "mlrun" # no state directory: nothing was created
	# the longest hostname still leaves the whole message, fixes included
	local long; long=$(printf 'h%.0s' {1..64})
	run in_container docker --unmasked -- "$USER_MLRUN" -p "$USER_POLICIES/strict.ini" --hostname "$long" /usr/bin/python3 -c 'print(1)'
	assert_equal "$status" 125
	assert_output --regexp "^mlrun: cannot set the hostname '$long': .* use mlrun-oci as its runtime; see docs/containers.md\$"

	run in_container docker --unmasked -- sh -c "MLRUN_HOSTNAME_REQUIRED=false '$USER_MLRUN' -q -p '$USER_POLICIES/strict.ini' --report /tmp/r.json \
		/usr/bin/python3 -c 'import socket; print(\"host\", socket.gethostname())'; echo \"exit \$?\"; cat /tmp/r.json"
	assert_success
	assert_line "host ci-job"
	assert_line "exit 0"
	local r; r=$(report_tail)
	assert_equal "$(jfield "$r" 'r["enforced"]["hostname"], r["enforced"]["proc"], r["enforced"]["seccomp"]')" "(False, True, True)"
}

@test "containers: a Docker-like profile that also denies mount and unshare is named as such" {
	need_crun
	need_profile
	run in_container docker --deny mount --deny unshare -- "$USER_MLRUN" -q -p "$USER_POLICIES/default.ini" /usr/bin/python3 -c 'print(1)'
	assert_equal "$status" 125
	assert_no_sandbox_message "unshare, mount and sethostname"
}

@test "containers: mlrun features names each case and prints the same fixes" {
	need_crun
	need_profile
	run in_container docker --deny mount -- "$USER_MLRUN" features
	assert_success
	assert_line --partial "container           no sandbox possible - its seccomp filter denies mount and sethostname; fix: run the container with --security-opt seccomp=unconfined --security-opt systempaths=unconfined (podman/Docker), or with securityContext.seccompProfile.type: Unconfined and procMount: Unmasked (Kubernetes), or make mlrun the container's runtime (mlrun-oci, the OCI runtime mode)"
	assert_line "  namespaces        NONE (cannot run)"

	# podman's default profile denies only sethostname: a sandbox runs, keeping the container's hostname
	run in_container docker -- "$USER_MLRUN" features
	assert_success
	assert_line "container           runs, but cannot set the hostname - its seccomp filter denies sethostname (podman's default profile does): the sandbox keeps the container's hostname and the report says enforced.hostname false; [sandbox] hostname_required = true (strict) refuses to run here; fix: run the container with --security-opt seccomp=unconfined (podman/Docker) or securityContext.seccompProfile.type: Unconfined (Kubernetes), or use mlrun-oci as its runtime; see docs/containers.md"
	assert_line "  namespaces        user pid mount net ipc uts (the container's hostname) cgroup"
	run in_container docker -- "$USER_MLRUN" features --json
	assert_success
	assert_equal "$(jfield /dev/stdin 'r["container"]["can_run"], r["container"]["hostname"], r["container"]["denied"], "systempaths=unconfined" in r["container"]["fix"]' <<<"$output")" \
		"(True, False, 'sethostname', True)"
	run in_container docker --unmasked -- "$USER_MLRUN" features --json
	assert_success
	assert_equal "$(jfield /dev/stdin 'r["container"]["can_run"], r["container"]["fresh_proc"], "seccomp=unconfined" in r["container"]["fix"], "systempaths" in r["container"]["fix"]' <<<"$output")" \
		"(True, True, True, False)"

	run in_container k8s -- "$USER_MLRUN" features --json
	assert_success
	assert_equal "$(jfield /dev/stdin 'r["container"]["fresh_proc"], r["container"]["can_run"], r["container"]["identity"], "systempaths=unconfined" in r["container"]["fix"]' <<<"$output")" \
		"(False, True, 'root', True)"

	run in_container fewcaps -- "$USER_MLRUN" features
	assert_success
	assert_line --partial "identity            root without CAP_SETUID/CAP_SETGID/CAP_SETFCAP: no user namespace can be mapped; fix: give the container Docker's default capabilities"

	run in_container k8s --unmasked -- "$USER_MLRUN" features --json
	assert_success
	assert_equal "$(jfield /dev/stdin 'r["container"]["fresh_proc"], r["container"]["can_run"], r["container"]["fix"]' <<<"$output")" \
		"(True, True, None)"
}

@test "containers: USER 1000 in a pod with a masked /proc runs as rootless would (its own uid), with the fallback" {
	need_crun
	run in_container k8s --user 1000 -- sh -c "MLRUN_PROC=container '$USER_MLRUN' -q -p '$USER_POLICIES/strict.ini' --report /tmp/r.json \
		/usr/bin/python3 -c 'import os; print(\"uid\", os.getuid())'; echo \"exit \$?\"; cat /tmp/r.json"
	assert_success
	assert_line "uid 1000"
	assert_line "exit 0"
	local r; r=$(report_tail)
	assert_equal "$(jfield "$r" 'r["enforced"]["proc"], r["enforced"]["seccomp"], r["enforced"]["network"]')" "(False, True, True)"
}

@test "containers: USER 1000 under strict in a pod with a masked /proc is refused with the proc key named" {
	need_crun
	run in_container k8s --user 1000 -- "$USER_MLRUN" -q -p "$USER_POLICIES/strict.ini" /usr/bin/python3 -c 'print(1)'
	assert_equal "$status" 125
	assert_output --partial "[sandbox] proc = fresh"
}

@test "containers: through the container's /proc the program reaches nothing of the container's processes, not even its caller's (USER 1000, same uid)" {
	need_crun
	run in_container k8s --user 1000 -- env MLRUN_TEST_SECRET=hunter2-in-the-caller MLRUN_PROC=container \
		"$USER_MLRUN" -q -p "$USER_POLICIES/default.ini" /usr/bin/python3 -c '
import os
me = os.readlink("/proc/self")
pids = [p for p in os.listdir("/proc") if p.isdigit() and p != me]
print("others", len(pids) > 0)
def attempts(p):
    yield "environ", lambda: b"hunter2" in open("/proc/%s/environ" % p, "rb").read()
    yield "mem", lambda: open("/proc/%s/mem" % p, "rb").read(1) is not None
    yield "root", lambda: os.listdir("/proc/%s/root/" % p) is not None
    yield "cwd", lambda: os.listdir("/proc/%s/cwd/" % p) is not None
    yield "exe", lambda: open("/proc/%s/exe" % p, "rb").read(1) is not None
    for fd in os.listdir("/proc/%s/fd" % p) if os.access("/proc/%s/fd" % p, os.R_OK) else []:
        yield "fd/" + fd, lambda: os.readlink("/proc/%s/fd/%s" % (p, fd)) is not None
for p in pids:
    for what, attempt in attempts(p):
        try:
            if attempt():
                print("LEAK", p, what)
        except OSError:
            pass
print("done")'
	assert_success
	assert_line "others True"
	assert_line "done"
	refute_output --partial "LEAK"
}

@test "root in a user namespace that maps only uid 0 (unshare -r) runs as its own uid, not into a uid_map error" {
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	run unshare --user --map-root-user "$USER_MLRUN" -q \
		--ro-bind "$USER_PROBE:/probe" -- /probe ids
	assert_success
	assert_output "0 0 0 0"
}
