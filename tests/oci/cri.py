#!/usr/bin/python3
"""A minimal Kubernetes CRI client (runtime.v1, the gRPC API a kubelet speaks to containerd), for
tests/vm/oci-config.bats: Debian 12 packages no crictl, but python3-grpcio speaks gRPC, and the
few messages needed here are encoded by hand (protobuf wire format; field numbers from
k8s.io/cri-api's api.proto). Also builds a local single-layer OCI image for the pod sandbox, so
no registry is needed.

usage: cri.py status SOCKET               the CRI plugin's own config (Status, verbose) as JSON
       cri.py runpod SOCKET HANDLER NAME  RunPodSandbox (host network) with that runtime
                                          handler; prints the sandbox id, or the error and exits 1
       cri.py rmpod SOCKET ID             StopPodSandbox + RemovePodSandbox
       cri.py image OUT.tar NAME BUSYBOX  an OCI image layout tarball named NAME (busybox, sleep)
"""
import hashlib
import io
import json
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
        return ch.unary_unary(SERVICE + method)(request, timeout=120)


def status(sock):
    resp = call(sock, "Status", field(1, True))  # StatusRequest.verbose
    info = {}
    for num, v in parse(resp):
        if num == 2:  # StatusResponse.info: map<string, string>
            kv = dict(parse(v))
            info[kv.get(1, b"").decode()] = kv.get(2, b"").decode()
    print(info.get("config", "{}"))


def runpod(sock, handler, name):
    import grpc
    metadata = field(1, name) + field(2, name + "-uid") + field(3, "default") + field(4, 0)
    ns_options = field(1, 2) + field(2, 0) + field(3, 0)  # network NODE, pid and ipc POD
    linux = field(2, field(1, ns_options))  # LinuxPodSandboxConfig.security_context.namespace_options
    config = field(1, metadata) + field(2, name) + field(8, linux)
    try:
        resp = call(sock, "RunPodSandbox", field(1, config) + field(2, handler))
    except grpc.RpcError as e:
        print(f"RunPodSandbox: {e.code().name}: {e.details()}")
        sys.exit(1)
    print(dict(parse(resp)).get(1, b"").decode())


def rmpod(sock, pod):
    call(sock, "StopPodSandbox", field(1, pod))
    call(sock, "RemovePodSandbox", field(1, pod))


def image(out, name, busybox):
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as t:
        t.add(busybox, arcname="bin/busybox")
        for a in ("sh", "sleep", "echo"):
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
    {"status": status, "runpod": runpod, "rmpod": rmpod, "image": image}[cmd](*args)
