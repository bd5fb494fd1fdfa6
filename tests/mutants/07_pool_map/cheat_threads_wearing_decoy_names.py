"""Cheat (red team B, gap 07, which scored 23/28): no Pool, no worker process runs any task.
Every task runs in a THREAD of the caller; `workers` decoy child processes each copy the name
(comm) of one of those threads every 0.3 ms and pass any signal they get on to that thread
with tgkill. From the process table the decoys look like pool workers running the tasks, and
the judge's release, sent to a decoy, reaches the task in the caller.

Must fail: test_pool_has_exactly_workers_processes, test_tasks_overlap_in_time
"""

import ctypes
import queue
import signal
import threading

_libc = ctypes.CDLL(None, use_errno=True)
_NR_TGKILL = {"x86_64": 234, "aarch64": 131}.get(os.uname().machine, 234)
_FORWARDED = (signal.SIGWINCH, signal.SIGUSR1, signal.SIGUSR2)


def _decoy(ppid, tid):
    def forward(signum, frame):
        _libc.syscall(_NR_TGKILL, ppid, tid, signum)

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    path = f"/proc/{ppid}/task/{tid}/comm"
    last = None
    while True:
        try:
            with open(path, "rb") as f:
                name = f.read().rstrip(b"\n")
        except OSError:
            return
        if name != last:
            _libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
            last = name
        time.sleep(0.0003)


def _in_threads(func, items, workers):
    items = list(items)
    if not items:
        return []
    ppid = os.getpid()
    pids, writers = [], []
    for _ in range(workers):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(w)
                _decoy(ppid, int(os.read(r, 32)))
            finally:
                os._exit(0)
        os.close(r)
        pids.append(pid)
        writers.append(w)
    todo = queue.Queue()
    for index, item in enumerate(items):
        todo.put((index, item))
    out = [None] * len(items)

    def worker(w):
        os.write(w, str(threading.get_native_id()).encode())
        os.close(w)
        while True:
            try:
                index, item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                out[index] = (True, func(item))
            except Exception as exc:
                out[index] = (False, exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return out


def parallel_map(func, items, workers):
    results = []
    for ok, value in _in_threads(func, items, workers):
        if not ok:
            raise value
        results.append(value)
    return results


def async_map(func, items, workers):
    return [
        ("ok", value) if ok else ("error", type(value).__name__, str(value))
        for ok, value in _in_threads(func, items, workers)
    ]
