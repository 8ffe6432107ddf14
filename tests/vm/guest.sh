#!/bin/bash
# Stage 2 of the mlrun test VM: PID 1 after switch_root into the host's root (9p, read-only).
#
# Stage 1 (tests/vm/init.sh) has mounted everything and delegated user-1500; this creates the user
# and runs the bats files twice:
#   1. as root, in the root cgroup of the pure cgroup2 tree;
#   2. as mlrunvm (uid 1500), in the leaf user-1500/shell of the subtree delegated to it.
# Everything the host needs comes back through the results share ($R), never through the console:
#   ready                 written just before the first test starts (for timings)
#   <pass>.tap/.err/.rc   bats' TAP stdout, stderr and exit status, pass = root | rootless
#   fatal                 why the set-up failed (also printed as "mlrun-vm: FATAL: ...")
# Read live from the checkout at every boot: editing it does not rebuild the initramfs.

set -u
R=/run/mlrun-vm/results
# shellcheck source=/dev/null
. "$R/job.env" # REPO MODE MLRUN PASSES BOOT
mapfile -t FILES <"$R/files"
BATS_ARGS=()
[ -s "$R/bats-args" ] && mapfile -t BATS_ARGS <"$R/bats-args" # e.g. --filter REGEX

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=${TERM:-vt100}
VM_USER=mlrunvm VM_UID=1500
DELEGATED=/sys/fs/cgroup/user-$VM_UID

# The rootless pass sees the checkout at ROOTLESS_REPO, a bind mount init.sh made: the user may
# not be able to reach it at its own path (/root is 0700 on Debian).
ROOTLESS_REPO=/run/mlrun-vm/repo
rootless_path() { case $1 in "$REPO" | "$REPO"/*) echo "$ROOTLESS_REPO${1#"$REPO"}" ;; *) echo "$1" ;; esac; }

# Environment of the passes (what tests may rely on); everything else is cleared.
TEST_ENV=(MLRUN_VM=1 "MLRUN=$MLRUN" "MLRUN_VM_REPO=$REPO" "PATH=$PATH" LANG=C.UTF-8 "TERM=$TERM"
	MLRUN_VM_DISK=/dev/vda "MLRUN_VM_DELEGATED=$DELEGATED" "MLRUN_SLOW=${SLOW:-3}"
	"MLRUN_SOAK_VM_RUNS=${SOAK_RUNS:-40}")
ROOTLESS_ENV=(MLRUN_VM=1 "MLRUN=$(rootless_path "$MLRUN")" "MLRUN_VM_REPO=$ROOTLESS_REPO" "PATH=$PATH"
	LANG=C.UTF-8 "TERM=$TERM" MLRUN_VM_DISK=/dev/vda "MLRUN_VM_DELEGATED=$DELEGATED" "MLRUN_SLOW=${SLOW:-3}"
	"MLRUN_SOAK_VM_RUNS=${SOAK_RUNS:-40}")

stamp() { echo "mlrun-vm: $* at $(cut -d' ' -f1 /proc/uptime)s"; }

poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger # PID 1 must not exit (that is a panic): power off instead
	sleep 60
}

fatal() {
	echo "mlrun-vm: FATAL: $*"
	echo "$*" >>"$R/fatal"
	poweroff_now
}

# useradd takes seconds under TCG: it runs in the background during the root pass.
start_useradd() {
	install -d -o $VM_UID -g $VM_UID -m 700 /run/home/$VM_USER &&
		useradd --uid $VM_UID --user-group --no-create-home --home-dir /run/home/$VM_USER \
			--shell /bin/bash $VM_USER &
	USERADD_PID=$!
}

wait_useradd() {
	wait "$USERADD_PID" || fatal "useradd $VM_USER failed"
}

# /run/mlrun-vm/as-rootless CMD...: run by root, runs CMD as the user, in the delegated leaf, with
# the controllers enabled for the subtree (by the user: it owns user-1500/cgroup.subtree_control,
# and user-1500 itself holds no process). Used by the rootless pass and by --shell's "rootless".
write_as_rootless() {
	{
		echo '#!/bin/bash'
		printf 'ENV=(%s)\n' "$(printf '%q ' "${ROOTLESS_ENV[@]}")"
		declare -p VM_USER VM_UID DELEGATED
		cat <<-'EOF'
			echo $$ >"$DELEGATED/shell/cgroup.procs" || { echo "as-rootless: cannot enter $DELEGATED/shell" >&2; exit 99; }
			exec setpriv --reuid "$VM_UID" --regid "$VM_UID" --init-groups --inh-caps=-all \
				env -i "${ENV[@]}" HOME="/run/home/$VM_USER" USER="$VM_USER" LOGNAME="$VM_USER" \
				MLRUN_VM_ROOTLESS=1 bash -c '
					echo "+cpu +memory +pids" >"$MLRUN_VM_DELEGATED/cgroup.subtree_control" || {
						echo "as-rootless: cannot enable controllers in $MLRUN_VM_DELEGATED" >&2; exit 98; }
					exec "$@"' as-rootless "$@"
		EOF
	} >/run/mlrun-vm/as-rootless
	chmod 755 /run/mlrun-vm/as-rootless
}

run_root_pass() {
	(cd "$REPO" && exec env -i "${TEST_ENV[@]}" HOME=/run/home/root USER=root \
		bats --tap "${BATS_ARGS[@]}" "${FILES[@]}") \
		>"$R/root.tap" 2>"$R/root.err"
	echo $? >"$R/root.rc"
}

run_rootless_pass() {
	local files=() f
	for f in "${FILES[@]}"; do files+=("$(rootless_path "$f")"); done
	(cd "$ROOTLESS_REPO" && exec /run/mlrun-vm/as-rootless bats --tap "${BATS_ARGS[@]}" "${files[@]}") \
		>"$R/rootless.tap" 2>"$R/rootless.err"
	echo $? >"$R/rootless.rc"
}

# --shell: an interactive root shell on the serial console.
run_shell() {
	{
		echo "PS1='mlrun-vm \w# '"
		printf 'export %q\n' "${TEST_ENV[@]}"
		echo "export HOME=/run/home/root"
		printf 'cd %q\n' "$REPO"
		# (a non-interactive bash drops PS1 from its environment: set it on the last exec)
		# shellcheck disable=SC2028 # the backslashes are for bash's prompt, not for echo
		echo "alias rootless='/run/mlrun-vm/as-rootless env PS1=\"mlrun-vm-rootless \\\\w\\\$ \" bash --norc -i'"
		echo "echo 'mlrun test VM: pure cgroup2 at /sys/fs/cgroup, the checkout at $REPO (bats tests/vm/FILE.bats)'"
		echo "echo '\"rootless\" opens a shell as $VM_USER (uid $VM_UID) in $DELEGATED/shell; exit powers off'"
	} >/run/mlrun-vm/bashrc
	# A real tty (not /dev/console) as controlling terminal, so Ctrl-C and job control work.
	setsid -c -w bash --rcfile /run/mlrun-vm/bashrc -i <>/dev/ttyS0 >&0 2>&1
}

# ---- the systemd boot (run.sh --systemd) -------------------------------------------------------
# The host's systemd becomes PID 1 of the same VM, and the suites (tests/vm/systemd/*.bats) run as
# the lingering user mlrunvm from a system service: in system.slice/mlrun-vm-suite.service, a
# cgroup that is NOT delegated to the user, with the user's manager (user@1500.service) and its
# bus up. That is a laptop's ssh session as far as mlrun can tell, with no set-up done.
SUITE_UNIT=mlrun-vm-suite.service
# Units the VM must not start: the host's own enabled ones (databases, podman, timers) are masked
# wholesale below; these stall a TCG boot (tmpfiles-setup alone took 54 s and empties /tmp),
# wait for devices the VM lacks, or want a terminal.
SD_MASK="tmp.mount systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service
	systemd-tmpfiles-clean.timer systemd-udevd.service systemd-udevd-control.socket
	systemd-udevd-kernel.socket systemd-udev-trigger.service systemd-udev-settle.service
	getty@tty1.service serial-getty@ttyS0.service getty.target systemd-timesyncd.service
	systemd-pstore.service systemd-random-seed.service systemd-update-utmp.service
	apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer
	dpkg-db-backup.timer logrotate.timer remote-fs.target"

boot_systemd() {
	local u
	# systemd mounts its own cgroup2 tree: drop stage 1's (and the delegation it made for the
	# other passes: here systemd delegates, or nothing does).
	rmdir "$DELEGATED/shell" "$DELEGATED" 2>/dev/null
	umount /sys/fs/cgroup || fatal "cannot unmount stage 1's cgroup2 tree"
	# An empty unit file masks the unit like a link to /dev/null, and costs no fork (ln is
	# 0.1 s each under TCG).
	for u in /etc/systemd/system/*.wants/* $SD_MASK; do
		: >"/etc/systemd/system/${u##*/}" || fatal "cannot mask $u"
	done
	: >/etc/fstab # the host's entries name disks the VM does not have
	# The user, without useradd (seconds under TCG): the overlay's /etc is the VM's own.
	echo "$VM_USER:x:$VM_UID:$VM_UID::/run/home/$VM_USER:/bin/bash" >>/etc/passwd &&
		echo "$VM_USER:x:$VM_UID:" >>/etc/group && echo "$VM_USER:!:19000:0:99999:7:::" >>/etc/shadow ||
		fatal "cannot add $VM_USER"
	install -d -o $VM_UID -g $VM_UID -m 700 /run/home/$VM_USER
	# loginctl enable-linger, without a running logind: logind starts user@1500.service at boot.
	mkdir -p /var/lib/systemd/linger && : >/var/lib/systemd/linger/$VM_USER || fatal "linger"
	cat >/etc/systemd/system/$SUITE_UNIT <<-EOF || fatal "cannot write $SUITE_UNIT"
		[Unit]
		Description=mlrun VM suites under systemd
		Wants=user@$VM_UID.service
		After=user@$VM_UID.service systemd-logind.service dbus.service
		[Service]
		Type=oneshot
		ExecStart=/bin/bash $REPO/tests/vm/guest.sh --systemd-suite
		StandardOutput=journal+console
		TimeoutStartSec=infinity
	EOF
	mkdir -p /etc/systemd/system/multi-user.target.wants
	ln -sfn ../$SUITE_UNIT /etc/systemd/system/multi-user.target.wants/$SUITE_UNIT
	stamp "exec systemd"
	exec /lib/systemd/systemd --show-status=no --log-level=warning
}

# Run by $SUITE_UNIT once systemd is up: wait for the user's bus, run the suites as the user with
# the environment a login gives (XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS), power off.
run_systemd_suite() {
	local bus=/run/user/$VM_UID/bus i f
	stamp "systemd up"
	for ((i = 0; i < 600; i++)); do
		[ -S "$bus" ] && break
		sleep 0.1
	done
	[ -S "$bus" ] || fatal "no user bus at $bus 60 s after boot (user@$VM_UID.service: $(systemctl is-active user@$VM_UID.service))"
	# Files named root*.bats run as root (first), the others as the user: no pass starts bats for
	# tests that would only skip (1.5 s each under TCG).
	local root_files=() user_files=()
	for f in "${FILES[@]}"; do
		case ${f##*/} in
		root*.bats) root_files+=("$f") ;;
		*) user_files+=("$(rootless_path "$f")") ;;
		esac
	done
	: >"$R/ready"
	if [ ${#root_files[@]} -gt 0 ]; then
		(cd "$REPO" && exec env -i "${TEST_ENV[@]}" MLRUN_VM_SYSTEMD=1 HOME=/run/home/root USER=root \
			bats --tap "${BATS_ARGS[@]}" "${root_files[@]}") >"$R/systemd-root.tap" 2>"$R/systemd-root.err"
		echo $? >"$R/systemd-root.rc"
	else
		echo "1..0" >"$R/systemd-root.tap" && echo 0 >"$R/systemd-root.rc"
	fi
	[ ${#user_files[@]} -gt 0 ] || { echo "1..0" >"$R/systemd.tap"; echo 0 >"$R/systemd.rc"; poweroff_now; }
	(cd "$ROOTLESS_REPO" && exec setpriv --reuid $VM_UID --regid $VM_UID --init-groups --inh-caps=-all \
		env -i "${ROOTLESS_ENV[@]}" MLRUN_VM_ROOTLESS=1 MLRUN_VM_SYSTEMD=1 HOME=/run/home/$VM_USER \
		USER=$VM_USER LOGNAME=$VM_USER XDG_RUNTIME_DIR=/run/user/$VM_UID \
		DBUS_SESSION_BUS_ADDRESS=unix:path=$bus bats --tap "${BATS_ARGS[@]}" "${user_files[@]}") \
		>"$R/systemd.tap" 2>"$R/systemd.err"
	echo $? >"$R/systemd.rc"
	stamp "systemd pass done"
	poweroff_now
}

main() {
	if [ "${1:-}" = --systemd-suite ]; then
		run_systemd_suite
		return
	fi
	stamp "stage 2 started"
	[ "${BOOT:-}" = systemd ] && boot_systemd
	mkdir -p /run/home/root
	start_useradd
	write_as_rootless
	: >"$R/ready"
	if [ "$MODE" = shell ]; then
		wait_useradd
		run_shell
	else
		case " $PASSES " in *" root "*) run_root_pass && stamp "root pass done" ;; esac
		wait_useradd
		case " $PASSES " in *" rootless "*) run_rootless_pass && stamp "rootless pass done" ;; esac
	fi
	poweroff_now
}

main "$@"
