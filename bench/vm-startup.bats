#!/usr/bin/env bats
# bench/vm-startup.bats - start-up WITH a cgroup leaf (issue 12), in the cgroup v2 test VM, as
# root and rootless: mlrun strict (its leaf, limits, removal) side by side with the floor
# (unshare -Urpmn --fork) and crun, with its own cgroup (cgroupfs manager, the same limits) and
# without one, in the same VM run. Not a test suite: `bench/vm.sh` boots the VM with this file
# and collects the tables; the only assertions are that every command ran (never a timing).
# Outside the VM it skips. Tables go to the TAP stream as "# " lines.
load ../tests/vm/helpers

setup() { vm_require; cd "$BATS_TEST_TMPDIR"; }

PY=/usr/bin/python3
RUNS=${MLRUN_VM_BENCH_RUNS:-100} # per command, in ROUNDS rounds (the order rotated)
ROUNDS=10

say() { sed 's/^/# /' >&3; }

# mlrun -v's step durations (ms) of N runs: "step median" per line.
leaf_steps() {
	local i
	for i in $(seq 20); do
		"$MLRUN" -v --policy "$REPO/policies/strict.ini" --workdir none -- /bin/true 2>&1 >/dev/null |
			sed -n 's/^mlrun: \[+ *[0-9.]* ms\] *\([0-9.]*\) ms  \(create cgroup leaf\|remove cgroup leaf\|program ended\)$/\2\t\1/p'
	done | "$PY" -c '
import statistics, sys
d = {}
for line in sys.stdin:
    k, v = line.rstrip("\n").split("\t")
    d.setdefault(k, []).append(float(v))
for k, v in d.items():
    print(f"| mlrun -v: {k} | {statistics.median(v):.2f} | {min(v):.2f} | {len(v)} |")'
}

@test "vm bench: start-up with a cgroup leaf, side by side with the floor and crun" {
	REPO=$MLRUN_VM_REPO
	command -v hyperfine >/dev/null || skip "hyperfine is missing: make deps-bench"
	command -v crun >/dev/null || skip "crun is missing: make deps-bench"
	local who=root uid cgpath
	uid=$(id -u)
	if [ -n "${MLRUN_VM_ROOTLESS:-}" ]; then
		who=rootless
		cgpath=${MLRUN_VM_DELEGATED#/sys/fs/cgroup}/bench-crun
	else
		cgpath=/bench-crun.slice/crun
	fi
	export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1
	CRUN_BUNDLE_ID=$uid "$PY" "$REPO/bench/crun_bundle.py" nocg 'true=["/bin/true"]' >/dev/null
	CRUN_BUNDLE_ID=$uid CRUN_BUNDLE_CGROUP=$cgpath "$PY" "$REPO/bench/crun_bundle.py" cg 'true=["/bin/true"]' >/dev/null
	mkdir state
	local crun_cg="crun --cgroup-manager=cgroupfs --root=$PWD/state run -b $PWD/cg -f $PWD/cg/config-true.json bench-cg"
	local crun_none="crun --cgroup-manager=disabled --root=$PWD/state run -b $PWD/nocg -f $PWD/nocg/config-true.json bench-none"
	local mlrun="$MLRUN --policy $REPO/policies/strict.ini --workdir none -q -- /bin/true"
	# Each must run before it is timed; mlrun must really have had its leaf and limits.
	run $crun_cg
	assert_success
	run $crun_none
	assert_success
	"$MLRUN" --policy "$REPO/policies/strict.ini" --workdir none -q --report r.json -- /bin/true
	"$PY" -c 'import json,sys; e=json.load(open("r.json"))["enforced"]; sys.exit(not (e["memory"] and e["cpu"] and e["pids"]))'

	local names=(direct "unshare -Urpmn --fork (floor)" "mlrun strict, leaf + limits" "crun, cgroupfs + limits" "crun, no cgroup")
	local cmds=(/bin/true "unshare -Urpmn --fork /bin/true" "$mlrun" "$crun_cg" "$crun_none")
	local r i j parts=()
	for ((r = 0; r < ROUNDS; r++)); do
		local args=()
		for ((i = 0; i < ${#names[@]}; i++)); do
			j=$(((i + r) % ${#names[@]}))
			args+=(-n "${names[j]}" "${cmds[j]}")
		done
		hyperfine -N --style none --warmup 3 --runs $((RUNS / ROUNDS)) --export-json "hf-$r.json" "${args[@]}" >/dev/null
		parts+=("hf-$r.json")
	done
	"$PY" "$REPO/bench/merge_hf.py" hf.json "${parts[@]}"
	{
		echo "vm-bench $who: $(uname -r), $(nproc) CPUs, TCG; load $(cut -d' ' -f1-3 /proc/loadavg)"
		"$PY" "$REPO/bench/quick_table.py" --one hf.json "VM ($who), /bin/true"
		echo
		echo "| step | median ms | min ms | runs |"
		echo "| --- | ---: | ---: | ---: |"
		leaf_steps
	} | say
}
