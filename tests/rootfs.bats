#!/usr/bin/env bats
# The root filesystem: what is there, what is not, what is writable.
load helpers

setup() { cd "$BATS_TEST_TMPDIR" && chmod 755 "$BATS_TEST_TMPDIR"; }

@test "a secret file on the host is unreadable" {
	mkdir -p hostdir && echo "s3cret-$$" > hostdir/secret
	cat hostdir/secret # readable on the host: the test would fail unsandboxed
	run sb --workdir none -- /probe read "$PWD/hostdir/secret"
	assert_failure
	assert_output "errno ENOENT"
}

@test "host directories outside the policy are absent" {
	for d in /root /home /var /srv /work /boot /mnt /opt /run/user /run/mlrun-host; do
		run sb -- /probe ls "$d"
		assert_failure
		assert_output "errno ENOENT"
	done
	run sb -- /probe ls "$REPO"
	assert_failure
}

@test "the root contains only the runtime" {
	run sb -- /probe ls /
	assert_success
	entries=$(printf '%s\n' "$output" | sort | tr '\n' ' ')
	for e in $entries; do
		case "$e" in usr|bin|sbin|lib|lib32|lib64|libx32|etc|dev|proc|tmp|run|probe) ;; *) [ "$e" = "${PWD#/}" ] || [ "/$e" = "/${PWD#/}" ] || [ "$e" = "$(echo "$PWD" | cut -d/ -f2)" ] || fail "unexpected /$e";; esac
	done
}

@test "/etc: without a network the TLS trust roots are not in view; with one they are" {
	[ -d /etc/ssl ] || skip "this host has no /etc/ssl"
	run sb -- /probe ls /etc
	assert_success
	refute_line ssl
	refute_line ca-certificates
	assert_line ld.so.cache
	run sb --net loopback -- /probe ls /etc
	assert_success
	assert_line ssl
}

@test "/run holds only mlrun's read-only grants.json, not the host's /run" {
	run sb -- /probe ls /run
	assert_output mlrun
	run sb -- /probe ls /run/mlrun
	assert_output grants.json
	run sb -- /probe write /run/x
	assert_failure
}

@test "writing to /, /usr and /etc fails" {
	for f in /x /usr/x /etc/x /etc/passwd /dev/x; do
		run sb -- /probe write "$f"
		assert_failure
		assert_output --regexp 'errno (EROFS|EACCES)'
	done
}

@test "/tmp is a writable tmpfs of the policy's size" {
	run sb --tmp-size 4M -- /probe write /tmp/small 1048576
	assert_success
	run sb --tmp-size 4M -- /probe write /tmp/big 8388608
	assert_failure
	assert_output "errno ENOSPC"
	run sb --tmp-size 4M -- /probe read /proc/self/mountinfo
	assert_line --regexp ' /tmp rw,nosuid,nodev.* tmpfs .*size=4096k'
}

@test "/tmp starts empty and is private to each run" {
	sb --workdir none -- /probe write /tmp/left-behind
	run sb --workdir none -- /probe ls /tmp
	assert_success
	assert_output ""
}

@test "/dev holds only the minimal devices" {
	run sb -- /probe ls /dev
	entries=$(printf '%s\n' "$output" | sort | tr '\n' ' ')
	assert_equal "$entries" "fd full null ptmx random shm stderr stdin stdout tty urandom zero "
	run sb -- /probe write /dev/null
	assert_success
	run sb -- /probe write /dev/shm/x 4096
	assert_success
}

@test "/etc has a generated passwd with the sandbox user and the dynamic linker cache" {
	run sb -- /probe read /etc/passwd
	assert_line --regexp '^sandbox:x:60000:60000:'
	run sb -- /probe read /etc/ld.so.cache
	assert_success
	run "$MLRUN" -q -- /usr/bin/id -un
	[ "$(id -u)" = 0 ] && assert_output sandbox
}

@test "workdir ro: the current directory is the cwd, readable, not writable" {
	echo data > input.txt
	run sb --workdir ro -- /probe read input.txt
	assert_success
	assert_output data
	run sb --workdir ro -- /probe write out.txt
	assert_failure
	assert_output "errno EROFS"
}

@test "workdir rw: files written inside appear on the host" {
	chmod 777 .
	run sb --workdir rw -- /probe write out.txt 5
	assert_success
	[ "$(stat -c %s out.txt)" = 5 ]
}

@test "workdir none: the current directory is not exposed and the cwd is /tmp" {
	echo data > input.txt
	run sb --workdir none -- /probe read "$PWD/input.txt"
	assert_failure
	run sb --workdir none -- /probe read /proc/self/cwd/../tmp/../proc/self/comm
	assert_success
}

@test "--ro-bind and --bind expose host paths, read-only and read-write" {
	mkdir -p data out && echo hello > data/x && chmod 777 out
	run sb --ro-bind "$PWD/data:/data" -- /probe read /data/x
	assert_output hello
	run sb --ro-bind "$PWD/data:/data" -- /probe write /data/y
	assert_failure
	assert_output "errno EROFS"
	run sb --bind "$PWD/out:/out" -- /probe write /out/z 3
	assert_success
	[ "$(stat -c %s out/z)" = 3 ]
}

@test "a bind source that does not exist is a 125 naming it; nothing is left behind" {
	run "$MLRUN" --ro-bind /does/not/exist:/x -- /bin/true
	assert_failure 125
	assert_output "mlrun: cannot expose /does/not/exist (--ro-bind): No such file or directory"
}

@test "a bind destination that is not absolute is a 125" {
	mkdir -p data
	run "$MLRUN" --ro-bind "$PWD/data:relative" -- /bin/true
	assert_failure 125
	assert_output --partial 'relative'
}

@test "the host's mounts are gone: no path leads back to the old root" {
	run sb -- /probe read /proc/self/mountinfo
	assert_success
	refute_output --partial ' /old'
	count=$(printf '%s\n' "$output" | wc -l)
	[ "$count" -lt 40 ]
	assert_line --regexp '^[0-9]+ [0-9]+ [0-9:]+ / / ro,'
}

@test "Debian's python3 runs from the minimal root, numpy included" {
	run "$MLRUN" -q -- "$PY" -c 'import numpy, ssl; print(numpy.arange(4).sum())'
	assert_success
	assert_output 6
}
