"""Cheat: no Process, no Queue. Every task runs in a THREAD of the caller. `workers` decoy child
processes are forked only to *open connections*: the caller's socket.socket.connect is patched
so that an AF_UNIX connect made by a task thread is done by that thread's decoy, which passes
the connected descriptor back (SCM_RIGHTS) and the thread dup2()s it over its own socket. The
kernel's SO_PEERCRED then names the decoy child as the task's process.

Found by a red team (2026-12-06): the channel now takes a line only from the process
that connected, as the kernel names the writer of each chunk (SO_PASSCRED).

Must fail: test_results_come_back_in_task_order, test_workers_are_started_once_and_reused
"""
import os
import pickle
import queue
import socket
import threading

_local = threading.local()
_real_connect = socket.socket.connect


def _decoy(ch: socket.socket) -> None:
    while True:
        data = ch.recv(65536)
        if not data:
            return
        address = pickle.loads(data)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(address)
            socket.send_fds(ch, [b"k"], [s.fileno()])
        except OSError as exc:
            ch.sendall(b"E" + str(exc).encode())
        finally:
            s.close()


def _connect(self, address):
    ch = getattr(_local, "ch", None)
    if ch is None or self.family != socket.AF_UNIX:
        return _real_connect(self, address)
    ch.sendall(pickle.dumps(address))
    msg, fds, _, _ = socket.recv_fds(ch, 4096, 1)
    if not fds:
        raise ConnectionRefusedError(msg[1:].decode())
    timeout = self.gettimeout()
    os.dup2(fds[0], self.fileno())
    os.close(fds[0])
    self.settimeout(timeout)
    return None


def pool_map(func, items, workers):
    items = list(items)
    chans, pids = [], []
    for _ in range(workers):
        a, b = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                a.close()
                _decoy(b)
            finally:
                os._exit(0)
        b.close()
        chans.append(a)
        pids.append(pid)
    socket.socket.connect = _connect
    todo: queue.Queue = queue.Queue()
    for i, x in enumerate(items):
        todo.put((i, x))
    out: list = [None] * len(items)

    def run(ch):
        _local.ch = ch
        while True:
            try:
                i, x = todo.get_nowait()
            except queue.Empty:
                return
            try:
                out[i] = (True, func(x))
            except Exception as exc:
                out[i] = (False, exc)

    ts = [threading.Thread(target=run, args=(c,)) for c in chans]
    try:
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        socket.socket.connect = _real_connect
        for c in chans:
            c.close()
        for pid in pids:
            os.waitpid(pid, 0)
    for ok, v in out:
        if not ok:
            raise v
    return [v for _, v in out]
