#!/usr/bin/python3
"""A minimal Kubernetes CRI client (runtime.v1, the gRPC API a kubelet speaks to containerd), for
tests/vm/oci-config.bats: Debian 12 packages no crictl, but python3-grpcio speaks gRPC, and the
few messages needed here are encoded by hand (protobuf wire format; field numbers from
k8s.io/cri-api's api.proto). Also builds a local single-layer OCI image for the pod sandbox, so
no registry is needed.

usage: cri.py status SOCKET               the CRI plugin's own config (Status, verbose) as JSON
       cri.py runpod SOCKET HANDLER NAME [LOGDIR [NET[,PID[,IPC]]]]
                                          RunPodSandbox with that runtime handler (NET: node, the
                                          host network, default; pod: a network namespace of the
                                          pod's own, made by CNI; PID, IPC: pod, default, container
                                          or node); prints the sandbox id, or the error and exits 1
       cri.py podstatus SOCKET ID         the sandbox's state (READY, NOTREADY) and its verbose
                                          info (containerd: pid, runtimeSpec) as JSON
       cri.py rmpod SOCKET ID             StopPodSandbox + RemovePodSandbox
       cri.py run SOCKET POD NAME LOGDIR LOGFILE MODES IMAGE CMD...
                                          CreateContainer (CMD as its command; LOGDIR and MODES as
                                          the sandbox was run with, LOGFILE under LOGDIR) +
                                          StartContainer in that sandbox; prints the container id
       cri.py cstatus SOCKET ID           the container's state (CREATED, RUNNING, EXITED) and exit code
       cri.py image OUT.tar NAME BUSYBOX  an OCI image layout tarball named NAME (busybox, sleep)
"""
import hashlib
import io
import json
import os
import sys
import tarfile

SERVICE = "/runtime.v1.RuntimeService/"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, value):
    """One field: an int (varint) or bytes/str/encoded message (length-delimited)."""
    if isinstance(value, bool) or isinstance(value, int):
        return varint(num << 3) + varint(int(value))
    if isinstance(value, str):
        value = value.encode()
    return varint((num << 3) | 2) + varint(len(value)) + value


def parse(buf):
    """Top-level fields of a message: [(num, value)], value an int or bytes."""
    out, i = [], 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wt}")
        out.append((num, v))
    return out


def read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def call(sock, method, request):
    import grpc
    with grpc.insecure_channel(f"unix://{sock}") as ch:
        return ch.unary_unary(SERVICE + method)(request, timeout=int(os.environ.get("CRI_TIMEOUT", "120")))


def status(sock):
    resp = call(sock, "Status", field(1, True))  # StatusRequest.verbose
    info = {}
    for num, v in parse(resp):
        if num == 2:  # StatusResponse.info: map<string, string>
            kv = dict(parse(v))
            info[kv.get(1, b"").decode()] = kv.get(2, b"").decode()
    print(info.get("config", "{}"))


NS_MODE = {"pod": 0, "container": 1, "node": 2}


def ns_options(modes):
    """NamespaceOption: network, pid, ipc."""
    net, pid, ipc = (modes.split(",") + ["pod", "pod"])[:3]
    return field(1, NS_MODE[net]) + field(2, NS_MODE[pid]) + field(3, NS_MODE[ipc])


def pod_config(name, logdir="", modes="node"):
    """PodSandboxConfig. modes: "NET[,PID[,IPC]]", each pod, container or node (NamespaceMode);
    PID and IPC default to pod (the pause container's)."""
    metadata = field(1, name) + field(2, name + "-uid") + field(3, "default") + field(4, 0)
    linux = field(2, field(1, ns_options(modes)))  # LinuxPodSandboxConfig.security_context.namespace_options
    return field(1, metadata) + field(2, name) + (field(3, logdir) if logdir else b"") + field(8, linux)


def runpod(sock, handler, name, logdir="", net="node"):
    import grpc
    try:
        resp = call(sock, "RunPodSandbox", field(1, pod_config(name, logdir, net)) + field(2, handler))
    except grpc.RpcError as e:
        print(f"RunPodSandbox: {e.code().name}: {e.details()}")
        sys.exit(1)
    print(dict(parse(resp)).get(1, b"").decode())


def podstatus(sock, pod):
    """PodSandboxStatusResponse: 1 status (3: state), 2 info (map: containerd's verbose JSON)."""
    state, info = 0, {}
    for num, v in parse(call(sock, "PodSandboxStatus", field(1, pod) + field(2, True))):
        if num == 1:
            state = dict(parse(v)).get(3, 0)
        elif num == 2:
            kv = dict(parse(v))
            info[kv.get(1, b"").decode()] = kv.get(2, b"").decode()
    print(["READY", "NOTREADY"][state], info.get("info", "{}"))


def run(sock, pod, name, logdir, logfile, net, image, *cmd):
    """The sandbox config must be the pod's own: the pod is named after the sandbox (runpod NAME)."""
    import grpc
    st = dict(parse(dict(parse(call(sock, "PodSandboxStatus", field(1, pod)))).get(1, b"")))
    pod_name = dict(parse(st.get(2, b""))).get(1, b"").decode()
    # the container's own namespace options are the pod's, as a kubelet sets them
    # (LinuxContainerConfig.security_context.namespace_options)
    config = (field(1, field(1, name)) + field(2, field(1, image)) + b"".join(field(3, c) for c in cmd) +
              field(11, logfile) + field(15, field(2, field(3, ns_options(net)))))
    try:
        resp = call(sock, "CreateContainer", field(1, pod) + field(2, config) + field(3, pod_config(pod_name, logdir, net)))
        cid = dict(parse(resp)).get(1, b"").decode()
        call(sock, "StartContainer", field(1, cid))
    except grpc.RpcError as e:
        print(f"{e.code().name}: {e.details()}")
        sys.exit(1)
    print(cid)


def cstatus(sock, cid):
    st = dict(parse(dict(parse(call(sock, "ContainerStatus", field(1, cid)))).get(1, b"")))
    print(["CREATED", "RUNNING", "EXITED", "UNKNOWN"][st.get(3, 0)], st.get(7, 0))


def rmpod(sock, pod):
    call(sock, "StopPodSandbox", field(1, pod))
    call(sock, "RemovePodSandbox", field(1, pod))


def image(out, name, busybox):
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as t:
        t.add(busybox, arcname="bin/busybox")
        for a in ("sh", "sleep", "echo", "cat", "readlink"):
            ti = tarfile.TarInfo("bin/" + a)
            ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(ti)
    blobs = {}

    def blob(data):
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return {"digest": d, "size": len(data)}

    lb = blob(layer.getvalue())
    cfg = blob(json.dumps({"architecture": "amd64", "os": "linux",
                           "config": {"Entrypoint": ["/bin/sleep", "3600"]},
                           "rootfs": {"type": "layers", "diff_ids": [lb["digest"]]}}).encode())
    man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
                           "layers": [dict(lb, mediaType="application/vnd.oci.image.layer.v1.tar")]}).encode())
    index = {"schemaVersion": 2, "manifests": [dict(man, mediaType="application/vnd.oci.image.manifest.v1+json",
                                                    annotations={"io.containerd.image.name": name,
                                                                 "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]},
                                                    platform={"architecture": "amd64", "os": "linux"})]}
    with tarfile.open(out, "w") as t:
        def add(path, data):
            ti = tarfile.TarInfo(path)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", json.dumps(index).encode())
        for d, data in blobs.items():
            add("blobs/sha256/" + d.split(":", 1)[1], data)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"status": status, "runpod": runpod, "podstatus": podstatus, "rmpod": rmpod, "run": run, "cstatus": cstatus,
     "image": image}[cmd](*args)
