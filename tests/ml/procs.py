# What ML code does around the maths: a process pool, threads, a subprocess, a socketpair,
# temporary files with fsync, /dev/null.
import multiprocessing as mp
import os
import socket
import subprocess
import tempfile
import threading


def square(x):
    return x * x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        assert sum(pool.map(square, range(10))) == 285
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
    subprocess.run(["/bin/true"], check=True)
    a, b = socket.socketpair()
    a.send(b"x")
    assert b.recv(1) == b"x"
    with tempfile.NamedTemporaryFile(dir="/tmp") as f:
        f.write(b"abc")
        f.flush()
        os.fsync(f.fileno())
    with open("/dev/null", "w") as null:
        null.write("x")
    print("procs ok")
