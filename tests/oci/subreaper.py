"""subreaper.py PIDFILE CMD...: run CMD (an `mlrun-oci exec --detach --pid-file PIDFILE`) as
a subreaper would (conmon, containerd's shim): the exec'd process is reparented to us; reap
the pid the file names and print "exec status N" (its exit code, -SIG for a signal)."""
import ctypes, os, subprocess, sys

PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("subreaper: prctl failed")
rc = subprocess.call(sys.argv[2:])
if rc != 0:
    print("runtime status", rc)
    sys.exit(1)
pid = int(open(sys.argv[1]).read())
print("runtime status 0")
sys.stdout.flush()
_, st = os.waitpid(pid, 0)
print("exec status", os.waitstatus_to_exitcode(st))
