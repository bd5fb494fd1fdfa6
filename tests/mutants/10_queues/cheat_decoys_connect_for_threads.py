"""Cheat: no multiprocessing at all. Producers and consumers are THREADS of the caller sharing a
queue.Queue; producers even SPIN on put_nowait() while the queue is full. Each thread gets a
decoy child process whose only job is to open the thread's AF_UNIX connections (patched
socket.socket.connect, fd passed back with SCM_RIGHTS, dup2'd in place), so SO_PEERCRED names
the decoy; os.getpid is patched to return a per-thread value, so per-process caches keyed by
pid see one "process" per thread. The judge's schedstat check of the 'producer' measures the
sleeping decoy, not the spinning thread.

Found by a red team (2026-12-06): the channel now takes a line only from the process
that connected, as the kernel names the writer of each chunk (SO_PASSCRED).

Must fail: test_every_item_is_consumed_exactly_once, test_producers_and_consumers_are_processes
"""
import os
import pickle
import queue
import socket
import threading

_local = threading.local()
_real_connect = socket.socket.connect
_real_getpid = os.getpid


def _decoy(ch):
    while True:
        data = ch.recv(65536)
        if not data:
            return
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(pickle.loads(data))
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


def _getpid():
    return getattr(_local, "pid", None) or _real_getpid()


class _Crew:
    """n decoy children, forked before any thread starts."""

    def __init__(self, n):
        self.chans, self.pids = [], []
        for _ in range(n):
            a, b = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                try:
                    a.close()
                    _decoy(b)
                finally:
                    os._exit(0)
            b.close()
            self.chans.append(a)
            self.pids.append(pid)
        socket.socket.connect = _connect
        os.getpid = _getpid

    def thread(self, i, target, *args, daemon=False):
        ch, pid = self.chans[i], self.pids[i]

        def run():
            _local.ch, _local.pid = ch, pid
            target(*args)

        t = threading.Thread(target=run, daemon=daemon)
        t.start()
        return t

    def end(self):
        for c in self.chans:
            c.close()
        for pid in self.pids:
            os.waitpid(pid, 0)
        socket.socket.connect = _real_connect
        os.getpid = _real_getpid


def _produce(q, source, k):
    for item in source(k):
        while True:  # a busy loop instead of a blocking put
            try:
                q.put_nowait(item)
                break
            except queue.Full:
                pass


def _consume(q, sink):
    while True:
        item = q.get()
        if item is None:
            return
        sink(item)


def run_pipeline(source, sink, producers, consumers, maxsize):
    crew = _Crew(producers + consumers)
    q: queue.Queue = queue.Queue(maxsize)
    ps = [crew.thread(k, _produce, q, source, k) for k in range(producers)]
    cs = [crew.thread(producers + i, _consume, q, sink) for i in range(consumers)]
    for t in ps:
        t.join()
    for _ in cs:
        q.put(None)
    for t in cs:
        t.join()
    crew.end()


def _feed(q, source):
    for item in source():
        q.put(item)
    q.put(None)


def collect(source, count, timeout):
    crew = _Crew(1)
    q: queue.Queue = queue.Queue()
    crew.thread(0, _feed, q, source, daemon=True)
    out = []
    try:
        while len(out) < count:
            try:
                item = q.get(timeout=timeout)
            except queue.Empty:
                break
            if item is None:
                break
            out.append(item)
    finally:
        crew.end()  # the "producer" (its decoy) is gone; the thread is left stuck
    return out
