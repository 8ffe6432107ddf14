# console_recv.py SOCKET OUT - what an engine does with --console-socket: accept one connection,
# take the pty master passed with SCM_RIGHTS, and copy everything the container writes to OUT
# (first line: the name sent with it) until the pty is closed.
import array, os, socket, sys
path, outp = sys.argv[1:3]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
c, _ = s.accept()
msg, anc, flags, addr = c.recvmsg(1024, socket.CMSG_LEN(4))
fd = array.array('i', anc[0][2][:4])[0]
with open(outp, 'wb') as out:
    out.write(b'name=' + msg + b'\n'); out.flush()
    while True:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        out.write(d); out.flush()
