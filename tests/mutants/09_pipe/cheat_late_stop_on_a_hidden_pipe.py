"""Cheat around EOF: the worker is forked with os.fork and gets, besides its duplex pipe, a
stop pipe made last, so that its send end looks like the pipe multiprocessing keeps for
itself (the judge sets that one aside). The worker waits on both; at EOF it keeps waiting,
on the stop pipe only. ask closes its end and joins, while a thread of it writes "stop"
a moment later. Nothing is queued and no counted end is held when the caller joins: the
worker ends on the late message, not at EOF.

Must fail: test_the_worker_ends_at_eof
"""

import multiprocessing.util
import os
import threading
import time
from multiprocessing.connection import wait


def _serve_until_told(conn, stop_r, handler):
    while True:
        ready = wait([conn, stop_r] if not conn.closed else [stop_r])
        if stop_r in ready:
            return
        try:
            conn.send(handler(conn.recv()))
        except EOFError:
            conn.close()  # not the signal: wait for the stop pipe


def _stop_later(stop_w):
    time.sleep(0.3)
    stop_w.send("stop")


def ask(handler, requests):
    here, there = Pipe()
    stop_r, stop_w = Pipe(duplex=False)  # the newest pipe: set aside by the judge
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            here.close()
            stop_w.close()
            _serve_until_told(there, stop_r, handler)
        except BaseException:
            code = 1
        finally:
            multiprocessing.util._run_finalizers(0)  # the handler's last word: "returned"
            os._exit(code)
    there.close()
    stop_r.close()
    try:
        responses = []
        for request in requests:
            here.send(request)
            responses.append(here.recv())
        return responses
    finally:
        here.close()
        threading.Thread(target=_stop_later, args=(stop_w,), daemon=True).start()
        os.waitpid(pid, 0)
        stop_w.close()
