#!/usr/bin/python3
"""Write an OCI bundle for crun that looks like the containers CI and clusters run us in.

usage: bundle.py DIR KIND [--user UID] [--bind PATH]... [--cwd DIR] [--unmasked] [--deny NAME]... -- ARGV...

KIND is one of
  k8s       a Kubernetes pod's default: Docker's capability set, the standard maskedPaths and
            readonlyPaths over /proc, no seccomp profile (a pod's default is Unconfined)
  docker    the same plus the containers-common seccomp profile podman and Docker use
            (/usr/share/containers/seccomp.json, its includes/excludes resolved for these caps)
  fewcaps   crun's default spec: only AUDIT_WRITE, KILL, NET_BIND_SERVICE (root without
            CAP_SETUID/CAP_SETGID/CAP_SYS_ADMIN), masked /proc, no seccomp
  nosetid   k8s without CAP_SETUID and CAP_SETGID (root that still holds CAP_SETFCAP)
  unmasked  k8s with procMount: Unmasked (no maskedPaths/readonlyPaths)

--unmasked drops maskedPaths/readonlyPaths from any KIND (procMount: Unmasked,
--security-opt systempaths=unconfined). --deny NAME (docker only) makes the profile deny
syscall NAME with EPERM, as Docker's own profile (moby) denies mount, unshare and clone with
namespace flags to a container without CAP_SYS_ADMIN.

The root is the bundle's empty rootfs/ with the host's /usr, /etc (read-only) and the merged-/usr
links; every --bind PATH is bound read-only at the same path. Private pid, net, ipc, uts and
mount namespaces, no user namespace (root in the container is host root, as with Docker).
"""
import json
import os
import platform
import subprocess
import sys

DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
               "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT",
               "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"]
CRUN_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
SECCOMP_JSON = "/usr/share/containers/seccomp.json"
GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def seccomp_for(caps, deny):
    """containers-common's profile as the engines apply it: a rule counts when all of its
    includes.caps are granted, none of its excludes.caps is, and the arch matches."""
    with open(SECCOMP_JSON) as f:
        prof = json.load(f)
    arches = []
    for m in prof.get("archMap") or []:
        if m["architecture"] == "SCMP_ARCH_" + {"amd64": "X86_64", "arm64": "AARCH64"}.get(GO_ARCH, GO_ARCH.upper()):
            arches = [m["architecture"]] + m.get("subArchitectures", [])
    out = []
    for r in prof["syscalls"]:
        inc, exc = r.get("includes") or {}, r.get("excludes") or {}
        if any(c not in caps for c in inc.get("caps") or []):
            continue
        if any(c in caps for c in exc.get("caps") or []):
            continue
        if inc.get("arches") and GO_ARCH not in inc["arches"]:
            continue
        if exc.get("arches") and GO_ARCH in exc["arches"]:
            continue
        names = [n for n in r["names"] if n not in deny]
        if not names:
            continue
        rule = {"names": names, "action": r["action"]}
        if r.get("args"):
            rule["args"] = r["args"]
        if r.get("errnoRet") is not None:
            rule["errnoRet"] = r["errnoRet"]
        out.append(rule)
    if deny:
        out.append({"names": deny, "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
    seccomp = {"defaultAction": prof["defaultAction"], "architectures": arches, "syscalls": out}
    if prof.get("defaultErrnoRet") is not None:
        seccomp["defaultErrnoRet"] = prof["defaultErrnoRet"]
    return seccomp


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    opts, argv = args[:sep], args[sep + 1:]
    bundle, kind = opts[0], opts[1]
    uid, binds, cwd, unmasked, deny = 0, [], "/", kind == "unmasked", []
    i = 2
    while i < len(opts):
        if opts[i] == "--unmasked":
            unmasked = True
            i += 1
            continue
        if opts[i] == "--user":
            uid = int(opts[i + 1])
        elif opts[i] == "--bind":
            binds.append(opts[i + 1])
        elif opts[i] == "--deny":
            deny.append(opts[i + 1])
        elif opts[i] == "--cwd":
            cwd = opts[i + 1]
        else:
            sys.exit(f"bundle.py: unknown option {opts[i]}")
        i += 2
    if kind not in ("k8s", "docker", "fewcaps", "nosetid", "unmasked"):
        sys.exit(f"bundle.py: unknown kind {kind}")

    rootfs = os.path.join(bundle, "rootfs")
    for d in ("usr", "etc", "tmp", "proc", "dev", "sys", "run"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host, dst = "/" + name, os.path.join(rootfs, name)
        if os.path.islink(host) and not os.path.lexists(dst):
            os.symlink(os.readlink(host), dst)
    for b in binds:  # mount points for the binds, inside the bundle only
        os.makedirs(os.path.join(rootfs, b.lstrip("/")), exist_ok=True)

    subprocess.run(["crun", "spec"], cwd=bundle, check=True)
    cfg = os.path.join(bundle, "config.json")
    with open(cfg) as f:
        spec = json.load(f)
    lin = spec["linux"]
    lin.pop("resources", None)  # crun runs with --cgroup-manager=disabled here (hybrid host)
    spec["root"] = {"path": "rootfs", "readonly": True}
    spec["hostname"] = "ci-job"
    mounts = [m for m in spec["mounts"] if m["destination"] not in ("/sys/fs/cgroup",)]
    ro = ["rbind", "ro", "nosuid", "nodev"]
    mounts += [{"destination": "/usr", "type": "bind", "source": "/usr", "options": ro},
               {"destination": "/etc", "type": "bind", "source": "/etc", "options": ro},
               {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                "options": ["nosuid", "nodev", "mode=1777", "size=262144k"]},
               {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                "options": ["nosuid", "nodev", "mode=755", "size=16384k"]}]
    mounts += [{"destination": b, "type": "bind", "source": b, "options": ro} for b in binds]
    spec["mounts"] = mounts
    if unmasked:  # crun's spec keeps the standard lists (runc's and Docker's) otherwise
        lin.pop("maskedPaths", None)
        lin.pop("readonlyPaths", None)
    caps = CRUN_CAPS if kind == "fewcaps" else DOCKER_CAPS
    if kind == "nosetid":
        caps = [c for c in caps if c not in ("CAP_SETUID", "CAP_SETGID")]
    proc = spec["process"]
    proc["terminal"] = False
    proc["args"] = argv
    proc["cwd"] = cwd
    proc["user"] = {"uid": uid, "gid": uid}
    proc["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp"]
    proc["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    proc["noNewPrivileges"] = False  # Docker's default
    if uid != 0:  # a USER line: the engines give a non-root user no effective capabilities
        proc["capabilities"] = {"bounding": caps, "effective": [], "inheritable": [], "permitted": [],
                                "ambient": []}
    else:
        proc["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
        proc["capabilities"].update({"inheritable": [], "ambient": []})
    if kind == "docker":
        lin["seccomp"] = seccomp_for(caps, deny)
    with open(cfg, "w") as f:
        json.dump(spec, f, indent=1)


if __name__ == "__main__":
    main()
