#!/usr/bin/env bats
# Trust boundaries around the caller (issue 10, items 6 and 7): a bare policy name never comes
# from the current directory; a setuid or ruid != euid start is refused; the policy's sandbox
# ids stay unprivileged and unused; no file content is echoed in errors; the environment's
# overrides show in the report; output files never follow a link or land in another's file.
load helpers

setup() {
	WORK=$(mktemp -d /tmp/mlrun-trust.XXXXXX)
	chmod 755 "$WORK"
	cd "$WORK"
}
teardown() { rm -rf "$WORK"; }

# A copy of mlrun with no installed data directory next to it (a copied binary, a build tree
# whose policies/ moved): where does `-p strict` come from?
copy_mlrun() {
	mkdir -p "$WORK/$1"
	cp "$MLRUN" "$WORK/$1/mlrun"
	chmod 755 "$WORK/$1" "$WORK/$1/mlrun"
	[ -e "$WORK/probe" ] || install -m 755 "$PROBE" "$WORK/probe" # the checkout may be closed to the test user
}

@test "cross-run: a policies/strict.ini planted in the cwd by an earlier rw run is never used for -p strict" {
	ensure_test_user
	[ -d /usr/local/share/mlrun ] && skip "an installed data directory exists at /usr/local/share/mlrun"
	copy_mlrun bin
	mkdir repo && chown "$TEST_USER" repo
	cd repo
	# run 1: the untrusted program, rw in its repository, plants a weaker "strict"
	install -m 644 "$REPO/policies/permissive.ini" "$WORK/permissive.ini" # the checkout may be closed to the user
	run as_user "$WORK/bin/mlrun" -q --policy "$WORK/permissive.ini" --workdir rw -- /bin/sh -c \
		'mkdir -p policies && printf "[security]\nseccomp = off\n[filesystem]\nro_bind = /etc:/hostetc\n" > policies/strict.ini'
	assert_success
	[ -f policies/strict.ini ]
	# run 2: the victim asks for strict by name, from that repository
	run as_user "$WORK/bin/mlrun" -q --ro-bind "$WORK/probe:/probe" -p strict --report "$WORK/repo/r.json" -- /probe syscall ptrace
	assert_equal "$status" 125
	assert_output --partial "mlrun: policy 'strict' not found in"
	refute_output --partial "$WORK/repo/policies"
	# with the real policies beside the binary (a build tree), those are used, not the cwd's
	copy_mlrun tree
	cp -r "$REPO/policies" "$WORK/tree/policies"
	chmod -R go-w "$WORK/tree/policies"
	run as_user "$WORK/tree/mlrun" -q --ro-bind "$WORK/probe:/probe" -p strict --report "$WORK/repo/r.json" -- /probe syscall ptrace
	assert_output "errno EPERM"
	run jfield "$WORK/repo/r.json" 'r["seccomp_profile"], r["enforced"]["seccomp"], r["policy"]'
	assert_output "('strict', True, 'strict')"
}

@test "a policy found by name must not be writable by others" {
	require_root
	copy_mlrun tree
	cp -r "$REPO/policies" "$WORK/tree/policies"
	printf '[security]\nseccomp = off\n' > "$WORK/tree/policies/strict.ini"
	chmod 666 "$WORK/tree/policies/strict.ini"
	run "$WORK/tree/mlrun" -q -p strict -- /bin/true
	assert_equal "$status" 125
	assert_output "mlrun: refusing policy $WORK/tree/policies/strict.ini: it must belong to root or uid 0 and be writable by no one else"
	# group-writable for another user's group: refused; for the caller's own group (umask 002): fine
	ensure_test_user2
	chmod 664 "$WORK/tree/policies/strict.ini"
	chgrp "$TEST_USER2" "$WORK/tree/policies/strict.ini"
	run "$WORK/tree/mlrun" -q -p strict -- /bin/true
	assert_equal "$status" 125
	chgrp 0 "$WORK/tree/policies/strict.ini"
	run "$WORK/tree/mlrun" -q -p strict -- /bin/true
	assert_success
}

@test "setuid: a setuid-root mlrun started by a user refuses before doing anything" {
	ensure_test_user
	findmnt -no OPTIONS -T "$WORK" | grep -qw nosuid && skip "$WORK is mounted nosuid"
	copy_mlrun suid
	chmod 4755 "$WORK/suid/mlrun"
	printf '[sandbox]\ngid = 60000\n' > p.ini
	run as_user "$WORK/suid/mlrun" -p "$WORK/p.ini" --ro-bind /etc/shadow:/s -- /bin/cat /s
	assert_equal "$status" 125
	assert_output --regexp '^mlrun: refusing to run setuid/setgid or with real ids \(uid [0-9]+, gid [0-9]+\) other than the effective ones \(uid 0, gid [0-9]+\): run mlrun as the user it acts for$'
}

@test "ruid != euid (a partial privilege switch) is refused with exit 125" {
	ensure_test_user
	run setpriv --ruid "$TEST_USER" -- "$MLRUN" -q -p "$REPO/policies/strict.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "mlrun: refusing to run setuid/setgid or with real ids"
	run setpriv --rgid "$TEST_USER" --keep-groups -- "$MLRUN" -q -p "$REPO/policies/strict.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "mlrun: refusing to run setuid/setgid or with real ids"
}

@test "sandbox ids: gid 42 (shadow) with /etc/shadow bound, uid 0, system ids are refused naming the key" {
	require_root
	printf '[sandbox]\ngid = 42\n' > shadow.ini
	run "$MLRUN" -q -p "$WORK/shadow.ini" --ro-bind /etc/shadow:/s -- /bin/cat /s
	assert_equal "$status" 125
	assert_output "mlrun: $WORK/shadow.ini:2: bad id '42' for [sandbox] gid (expected an unprivileged id from 1000 to 2147483646, not 65534 or 65535, that no account or group uses)"
	printf '[sandbox]\nuid = 0\n' > root.ini
	run "$MLRUN" -q -p "$WORK/root.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "root.ini:2: bad id '0' for [sandbox] uid"
	printf '[sandbox]\nuid = 65534\n' > nobody.ini
	run "$MLRUN" -q -p "$WORK/nobody.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "nobody.ini:2: bad id '65534' for [sandbox] uid"
}

@test "sandbox ids: an id an account or group already has is refused (as root, where the ids are used)" {
	require_root
	uid=$(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 { print $3; exit }')
	gid=$(getent group | awk -F: '$3 >= 1000 && $3 < 65534 { print $3; exit }')
	[ -n "$uid" ] && [ -n "$gid" ] || skip "no account and group with an id from 1000 to 65533 here"
	printf '[sandbox]\nuid = %s\n' "$uid" > u.ini
	run "$MLRUN" -q -p "$WORK/u.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output "mlrun: [sandbox] uid = $uid belongs to the account '$(getent passwd "$uid" | cut -d: -f1)' on this host; the sandbox needs an id no account or group uses"
	printf '[sandbox]\ngid = %s\n' "$gid" > g.ini
	run "$MLRUN" -q -p "$WORK/g.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "mlrun: [sandbox] gid = $gid belongs to the group '"
}

# The NSS half of that check runs in the supervisor while the child builds the root (issue 12,
# docs/performance.md): pid 1 must still not fork the program before the verdict, or a run with
# an account's uid would act as that account (here: write a file as it) before being refused.
# The lookup runs in mlrun-ids (else getent), which the supervisor reads to the end and then
# reaps: strace (supervisor only, no -f) holds each of its wait4()s for 0.3 s, so a program that
# did not wait for the verdict would have written long before it.
@test "sandbox ids: with an account's uid nothing of the program runs, though the lookup is concurrent" {
	require_root
	command -v strace >/dev/null || skip "strace is missing (make deps)"
	uid=$(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 { print $3; exit }')
	[ -n "$uid" ] || skip "no account with an id from 1000 to 65533 here"
	mkdir out && chmod 777 out
	printf '[sandbox]\nuid = %s\n' "$uid" > u.ini
	# (LeakSanitizer cannot run under ptrace: the ASan build's leak check is off for the traced half)
	for slow in "" "env ASAN_OPTIONS=detect_leaks=0 strace -o /dev/null -e trace=wait4 -e inject=wait4:delay_enter=300000"; do
		run $slow "$MLRUN" -q -p "$WORK/u.ini" --name "trust-ids-$$" --bind "$WORK/out:/out" \
			--ro-bind "$PROBE:/probe" -- /probe write /out/ran
		[ ! -e out/ran ] || fail "the program ran as uid $(stat -c %u out/ran) before the refusal (${slow:-plain})"
		assert_equal "$status" 125
		assert_output "mlrun: [sandbox] uid = $uid belongs to the account '$(getent passwd "$uid" | cut -d: -f1)' on this host; the sandbox needs an id no account or group uses"
		[ ! -e "/run/mlrun/trust-ids-$$.json" ] || fail "a state file was left behind"
	done
}

# The lookup runs mlrun-ids (next to the binary, or in LIBEXECDIR), else the host's getent
# (mlrun is static: docs/performance.md). The caller's PATH never picks either: a program of the
# caller's that answers "no such account" would hand the program an account's files.
@test "sandbox ids: a getent or mlrun-ids earlier in PATH is not asked" {
	require_root
	uid=$(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 { print $3; exit }')
	[ -n "$uid" ] || skip "no account with an id from 1000 to 65533 here"
	mkdir evil
	for f in getent mlrun-ids; do
		printf '#!/bin/sh\necho asked > %s/evil/asked\nexit 0\n' "$WORK" > evil/$f && chmod 755 evil/$f
	done
	printf '[sandbox]\nuid = %s\n' "$uid" > u.ini
	run env PATH="$WORK/evil:$PATH" "$MLRUN" -q -p "$WORK/u.ini" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "mlrun: [sandbox] uid = $uid belongs to the account '"
	[ ! -e evil/asked ] || fail "the caller's program was run"
}

# in_own_mounts FILE:TARGET... -- COMMAND: COMMAND in a private mount namespace where each FILE is
# bound over its TARGET if that exists (nothing of it reaches the host's mounts).
in_own_mounts() {
	unshare -m --propagation private sh -c 'while [ "$1" != -- ]; do
		[ ! -e "${1#*:}" ] || mount --bind "${1%%:*}" "${1#*:}" || exit 99; shift; done; shift; exec "$@"' sh "$@"
}

# Only "nothing found" lets a run go on: a lookup that failed (exit 1 here, as for an NSS
# source that answered with an error) refuses the run, before anything of the program runs.
# mlrun-ids not root's alone is never run (the lookup falls back to getent); a getent not root's
# alone is not run either, and then nothing is left to ask: refused.
@test "sandbox ids: a failed lookup refuses the run before the program; a helper not root's alone is not run" {
	require_root
	command -v unshare >/dev/null || skip "unshare is missing"
	mkdir out && chmod 777 out
	cp /bin/false notroot && chown 65534:65534 notroot
	ids=("$(dirname "$MLRUN")/mlrun-ids" /usr/local/libexec/mlrun/mlrun-ids)
	[ -x "${ids[0]}" ] || fail "${ids[0]} is missing (make test-deps)"
	false_ids=("/bin/false:${ids[0]}" "/bin/false:${ids[1]}")
	notroot_ids=("$WORK/notroot:${ids[0]}" "$WORK/notroot:${ids[1]}")
	prog=("$MLRUN" -q --policy strict --bind "$WORK/out:/out" --ro-bind "$PROBE:/probe" -- /probe write /out/ran)

	# mlrun-ids fails
	run in_own_mounts "${false_ids[@]}" -- "${prog[@]}"
	assert_equal "$status" 125
	assert_output "mlrun: cannot tell whether the sandbox's ids are taken on this host: \`mlrun-ids 60000 60000\` exited with status 1"
	[ ! -e out/ran ] || fail "the program ran (mlrun-ids failed)"

	# mlrun-ids not root's alone: skipped, getent asked, the run goes on
	run in_own_mounts "${notroot_ids[@]}" -- "${prog[@]}"
	assert_success
	[ -e out/ran ] || fail "the program did not run (mlrun-ids not root's, getent fine)"
	rm out/ran

	# no usable mlrun-ids, and getent fails: refused
	run in_own_mounts "${notroot_ids[@]}" /bin/false:/usr/bin/getent -- "${prog[@]}"
	assert_equal "$status" 125
	assert_output "mlrun: cannot tell whether the sandbox's ids are taken on this host: \`getent passwd 60000\` exited with status 1"
	[ ! -e out/ran ] || fail "the program ran (getent failed)"

	# no usable mlrun-ids, and getent not root's alone: refused
	run in_own_mounts "${notroot_ids[@]}" "$WORK/notroot:/usr/bin/getent" -- "${prog[@]}"
	assert_equal "$status" 125
	assert_output "mlrun: /usr/bin/getent is not a regular executable owned by root and writable by root alone: not running it"
	[ ! -e out/ran ] || fail "the program ran (getent not root's)"
}

# The account check answers the same through either program.
@test "sandbox ids: mlrun-ids and getent give the same verdicts" {
	require_root
	command -v unshare >/dev/null || skip "unshare is missing"
	uid=$(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 { print $3; exit }')
	gid=$(getent group | awk -F: '$3 >= 1000 && $3 < 65534 { print $3; exit }')
	[ -n "$uid" ] && [ -n "$gid" ] || skip "no account and group with an id from 1000 to 65533 here"
	cp /bin/false notroot && chown 65534:65534 notroot
	notroot_ids=("$WORK/notroot:$(dirname "$MLRUN")/mlrun-ids" "$WORK/notroot:/usr/local/libexec/mlrun/mlrun-ids")
	printf '[sandbox]\nuid = %s\n' "$uid" > u.ini
	printf '[sandbox]\ngid = %s\n' "$gid" > g.ini
	for ini in u.ini g.ini; do
		run "$MLRUN" -q -p "$WORK/$ini" -- /bin/true
		assert_equal "$status" 125
		with_ids=$output
		run in_own_mounts "${notroot_ids[@]}" -- "$MLRUN" -q -p "$WORK/$ini" -- /bin/true
		assert_equal "$status" 125
		assert_equal "$output" "$with_ids"
	done
	assert_output "mlrun: [sandbox] gid = $gid belongs to the group '$(getent group "$gid" | cut -d: -f1)' on this host; the sandbox needs an id no account or group uses"
}

@test "--seccomp FILE does not echo the file's content in its error" {
	printf 's3cr3t_token_line\nsecond\n' > secret
	chmod 600 secret
	run "$MLRUN" -q --seccomp "$WORK/secret" -- /bin/true
	assert_equal "$status" 125
	assert_output "mlrun: $WORK/secret:1: not a syscall name this libseccomp knows"
	refute_output --partial s3cr3t
	printf '[security]\nseccomp = %s\n' "$WORK/secret" > p.ini
	run "$MLRUN" -q -p "$WORK/p.ini" -- /bin/true
	assert_equal "$status" 125
	refute_output --partial s3cr3t
	mkfifo fifo
	run "$MLRUN" -q --seccomp "$WORK/fifo" -- /bin/true
	assert_equal "$status" 125
	assert_output "mlrun: the seccomp profile $WORK/fifo is not a regular file"
}

@test "MLRUN_SECCOMP=off with -p strict: the environment's override is in the report, the summary and stderr; a flag wins" {
	run env MLRUN_SECCOMP=off "$MLRUN" --ro-bind "$PROBE:/probe" -p "$REPO/policies/strict.ini" --summary --report r.json -- /probe syscall ptrace
	assert_line "mlrun: warning: MLRUN_SECCOMP=off overrides the policy strict (the environment wins over the policy file; a flag wins over both)"
	assert_line "mlrun: from env    MLRUN_SECCOMP=off"
	run jfield r.json 'r["policy"], r["seccomp_profile"], r["env_overrides"], r["enforced"]["seccomp"]'
	assert_output "('strict', 'off', {'MLRUN_SECCOMP': 'off'}, False)"
	run env MLRUN_SECCOMP=off "$MLRUN" -q --ro-bind "$PROBE:/probe" -p "$REPO/policies/strict.ini" --seccomp strict --report r.json -- /probe syscall ptrace
	assert_output "errno EPERM"
	run jfield r.json 'r["seccomp_profile"], r["enforced"]["seccomp"]'
	assert_output "('strict', True)"
}

@test "--report to a symlink another user planted in a shared directory is refused; the target is untouched" {
	ensure_test_user2
	mkdir -m 777 shared # a shared, non-sticky directory (a project dir, a CI workspace)
	printf 'precious\n' > victim.txt
	as_user2 ln -s "$WORK/victim.txt" shared/r.json
	run "$MLRUN" -q --report "$WORK/shared/r.json" -- /bin/true
	assert_output "mlrun: refusing to write the report to $WORK/shared/r.json: it is a symbolic link"
	assert_equal "$(cat victim.txt)" "precious"
	# a file of the attacker's, to read the victim's report from
	as_user2 touch shared/r2.json
	run "$MLRUN" -q --report "$WORK/shared/r2.json" -- /bin/true
	assert_output --regexp "^mlrun: refusing to write the report to $WORK/shared/r2.json: it belongs to uid [0-9]+, not to uid 0; remove it or choose another path$"
	[ ! -s shared/r2.json ]
	# the caller's own file is rewritten (shorter than before: truncated)
	head -c 100000 /dev/zero > own.json
	run "$MLRUN" -q --report "$WORK/own.json" -- /bin/true
	assert_success
	run jfield own.json 'r["status"]'
	assert_output exited
}

@test "--report: a FIFO another user planted is refused without hanging; the caller's own fds, pipes and devices work" {
	ensure_test_user2
	mkdir -m 777 shared
	as_user2 mkfifo shared/r.json
	# a bounded guard, not a timing assertion: without O_NONBLOCK the open would wait forever
	run timeout $((10 * SLOW)) "$MLRUN" -q --report "$WORK/shared/r.json" -- /bin/true
	# no reader: ENXIO at once; with one, the owner check refuses it
	assert_output --regexp "^mlrun: (cannot write the report to $WORK/shared/r.json: No such device or address|refusing to write the report to $WORK/shared/r.json: it belongs to uid [0-9]+)"
	assert_equal "$status" 125
	# a descriptor the caller hands over (/dev/fd/N, a shell's >(...)) is used as it is
	run "$MLRUN" -q --report /dev/fd/3 -- /bin/true 3>fd3.json
	assert_success
	run jfield fd3.json 'r["status"]'
	assert_output exited
	# a device: /dev/null takes it, /dev/full cannot, and a report that was not written is exit 125
	run "$MLRUN" -q --report /dev/null -- /bin/true
	assert_success
	run "$MLRUN" -q --report /dev/full -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "cannot write the report to /dev/full"
}

@test "profile --output and batch --report-dir follow no planted link either" {
	ensure_test_user2
	mkdir -m 777 shared
	printf 'precious\n' > victim.txt
	as_user2 ln -s "$WORK/victim.txt" shared/p.csv
	run "$MLRUN" profile -q --output "$WORK/shared/p.csv" -- /bin/true
	assert_equal "$status" 125
	assert_output --partial "refusing to write the profile to $WORK/shared/p.csv: it is a symbolic link"
	assert_equal "$(cat victim.txt)" "precious"
	as_user2 mkdir -m 777 shared/out
	printf '/bin/true\n' > jobs
	run "$MLRUN" batch --report-dir "$WORK/shared/out" jobs
	assert_failure
	assert_output --partial "batch: refusing the report directory $WORK/shared/out: it does not belong to uid 0"
}
