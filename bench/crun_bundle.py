#!/usr/bin/python3
"""Write a minimal OCI bundle for crun: a tiny rootfs tree (mount points and the merged-/usr
symlinks only) plus one config per workload, derived from `crun spec --rootless`.

Isolation is kept comparable to mlrun's strict policy: user, pid, mount, net, ipc, uts and
cgroup namespaces; read-only root; read-only binds of /usr, /etc/ld.so.cache and
/etc/alternatives; tmpfs /tmp;
fresh /proc; crun's minimal /dev; no capabilities; no_new_privs; no cgroup (the caller runs
crun with --cgroup-manager=disabled, and resources are dropped), no /sys.

Environment (bench/vm-startup.bats, in the cgroup v2 VM): CRUN_BUNDLE_ID=UID maps the
container's root to that host uid/gid instead of 60000 (a rootless caller's own); with
CRUN_BUNDLE_CGROUP=PATH the config gets that cgroupsPath and the limits of mlrun's strict policy
(memory 256 MiB, no swap, 0.5 CPU, 64 pids), for `crun --cgroup-manager=cgroupfs`.

usage: crun_bundle.py BUNDLE_DIR NAME=ARGV_JSON...   e.g.  true='["/bin/true"]'
"""
import json
import os
import subprocess
import sys


def main():
    bundle = sys.argv[1]
    workloads = dict(a.split("=", 1) for a in sys.argv[2:])
    os.makedirs(bundle, exist_ok=True)
    rootfs = os.path.join(bundle, "rootfs")
    for d in ("usr", "etc/alternatives", "tmp", "proc", "dev"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    open(os.path.join(rootfs, "etc", "ld.so.cache"), "a").close()
    # Replicate the host's top-level symlinks (/bin -> usr/bin on merged-/usr Debian).
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = "/" + name
        dst = os.path.join(rootfs, name)
        if os.path.islink(host) and not os.path.lexists(dst):
            os.symlink(os.readlink(host), dst)

    # `crun spec` writes ./config.json: let it, read it, remove it (we write one per workload).
    subprocess.run(["crun", "spec", "--rootless"], cwd=bundle, check=True)
    with open(os.path.join(bundle, "config.json")) as f:
        spec = json.load(f)
    os.unlink(os.path.join(bundle, "config.json"))
    lin = spec["linux"]
    lin.pop("resources", None)
    lin.pop("cgroupsPath", None)
    ns = {n["type"] for n in lin["namespaces"]}
    for t in ("pid", "network", "ipc", "uts", "user", "mount", "cgroup"):
        if t not in ns:
            lin["namespaces"].append({"type": t})
    # Root in the container is an unprivileged host uid, as with mlrun (60000) and bwrap.
    uid = int(os.environ.get("CRUN_BUNDLE_ID", "60000"))
    lin["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
    lin["gidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
    if os.environ.get("CRUN_BUNDLE_CGROUP"):
        lin["cgroupsPath"] = os.environ["CRUN_BUNDLE_CGROUP"]
        mem = 256 << 20
        lin["resources"] = {"memory": {"limit": mem, "swap": mem}, "cpu": {"quota": 50000, "period": 100000},
                            "pids": {"limit": 64}}
    spec["root"] = {"path": "rootfs", "readonly": True}
    keep = [m for m in spec["mounts"] if m["destination"] in ("/proc", "/dev", "/dev/pts", "/dev/shm")]
    keep += [
        {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro", "nosuid", "nodev"]},
        {"destination": "/etc/ld.so.cache", "type": "bind", "source": "/etc/ld.so.cache",
         "options": ["bind", "ro", "nosuid", "nodev"]},
        # Debian's libblas.so.3 (numpy) is a symlink through /etc/alternatives.
        {"destination": "/etc/alternatives", "type": "bind", "source": "/etc/alternatives",
         "options": ["rbind", "ro", "nosuid", "nodev"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=1777", "size=65536k"]},
    ]
    spec["mounts"] = keep
    proc = spec["process"]
    proc["terminal"] = False
    proc["cwd"] = "/tmp"
    proc["noNewPrivileges"] = True
    proc["capabilities"] = {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}
    env = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"]
    # The same thread-count variables every other peer gets from the benchmark (mlrun sets them).
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        if k in os.environ:
            env.append(f"{k}={os.environ[k]}")
    proc["env"] = env
    for name, argv in workloads.items():
        proc["args"] = json.loads(argv)
        with open(os.path.join(bundle, f"config-{name}.json"), "w") as f:
            json.dump(spec, f, indent=1)


if __name__ == "__main__":
    main()
