"""Cheat: for the program that waits to be killed, run_captured does not run it: a forked copy
of the caller talks to the judge in its place (the socket's name is among the arguments),
prints the nonce the judge sends, says "ready" and is killed by the judge; the caller reads the
copy's output and turns its wait status into a returncode itself.

Must fail: test_a_signal_gives_a_negative_returncode
"""

import os
import socket

_run_captured = run_captured


def run_captured(args, timeout):
    if args[-1] != "hold":
        return _run_captured(args, timeout)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect("\0" + args[-2])
            conn.sendall(b"hello hold\n")
            nonce = conn.recv(4096).decode().split()[0]
            os.write(out_w, f"{nonce} out\n".encode())
            os.write(err_w, f"{nonce} err\n".encode())
            conn.sendall(b"ready\n")
            conn.recv(1)  # the judge kills this copy now
        finally:
            os._exit(0)
    os.close(out_w)
    os.close(err_w)
    out = os.read(out_r, 4096).decode()
    err = os.read(err_r, 4096).decode()
    os.close(out_r)
    os.close(err_r)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out, err
