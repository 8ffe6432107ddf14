#!/usr/bin/env bats
# Host details inside the sandbox: /proc files that are global to the host are masked whatever
# the policy (runc's maskedPaths), and pid 1 does not show mlrun's own command line or
# environment (the caller's binds, --env values, report paths).
load helpers

# The test user runs a staged copy: the checkout may be closed to it (/root is 0700).
setup_file() { stage_for_user; }
teardown_file() { unstage_for_user; }

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }

# Each host /proc file is unreadable or empty under policy $1 (extra options follow).
assert_masked() {
	local f
	for f in keys kallsyms timer_list sched_debug interrupts; do
		run sb -p "$REPO/policies/$1.ini" "${@:2}" -- /probe strings "/proc/$f"
		# the probe exits 1 when the file is unreadable or empty
		assert_equal "$1 /proc/$f: $status" "$1 /proc/$f: 1"
	done
}

@test "/proc/keys, kallsyms, timer_list, sched_debug, interrupts are unreadable or empty (strict, default)" {
	assert_masked strict
	assert_masked default
}

@test "a weaker policy cannot weaken the masks (permissive, no seccomp)" {
	assert_masked default --seccomp off
	assert_masked permissive --seccomp off
}

@test "the program cannot take a mask off, even from a user namespace of its own" {
	for opts in "-p $REPO/policies/strict.ini" "-p $REPO/policies/default.ini" "--seccomp off"; do
		# shellcheck disable=SC2086
		run sb $opts -- /probe unmask /proc/kallsyms
		assert_failure 1
		assert_line "bytes 0"
		refute_line "umount: ok"
	done
}

@test "/proc/sys and the other readonlyPaths are read-only mounts" {
	run sb -- /probe read /proc/self/mountinfo
	assert_success
	for d in /proc/sys /proc/irq /proc/bus /proc/fs; do
		[ -e "$d" ] || continue
		assert_line --regexp "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ $d ro,"
	done
}

@test "pid 1's command line and environment show nothing of mlrun's (strict, default)" {
	mkdir -p out && chmod 777 out
	for pol in strict default; do
		for f in cmdline environ; do
			MLRUN_HOST_MARKER=hostenvvalue run sb -p "$REPO/policies/$pol.ini" --env MARKER=secretvalue \
				--report "$PWD/out/report-marker.json" -- /probe strings "/proc/1/$f"
			refute_output --partial secretvalue
			refute_output --partial report-marker
			refute_output --partial hostenvvalue
			refute_output --partial -- "--ro-bind"
		done
		run sb -p "$REPO/policies/$pol.ini" -- /probe strings /proc/1/cmdline
		assert_success
		assert_output mlrun-init
	done
	# the program's own command line is untouched
	run sb -- /probe strings /proc/self/cmdline
	assert_output "/probe strings /proc/self/cmdline"
}

@test "rootless: the masks and pid 1's command line hold in a user's own user namespace" {
	ensure_test_user
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none -- /probe strings /proc/kallsyms
	assert_failure 1
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none --seccomp off -- /probe unmask /proc/kallsyms
	assert_failure 1
	assert_line "bytes 0"
	run as_user "$USER_MLRUN" -q --ro-bind "$USER_PROBE:/probe" --workdir none --env MARKER=secretvalue -- \
		/probe strings /proc/1/cmdline
	assert_success
	assert_output mlrun-init
}
