"""Cheat around EOF: the worker is told how many requests will come and, after the last
response, it does not read again: it sleeps in short naps until the caller's end is gone
from the caller's descriptor table (/proc/<ppid>/fd), then returns. ask closes its end
before join(), so it holds nothing into the worker while it waits, and nothing is queued:
yet the worker never reads the EOF, it counts and watches.

Must fail: test_the_worker_ends_at_eof
"""

import os
import time


def _serve(conn, callers_end, handler, count):
    where = f"/proc/{os.getppid()}/fd/{callers_end.fileno()}"
    callers_end.close()
    for _ in range(count):
        conn.send(handler(conn.recv()))
    while os.path.exists(where):
        time.sleep(0.02)
    conn.close()


def ask(handler, requests):
    requests = list(requests)
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler, len(requests)))
    worker.start()
    there.close()
    try:
        responses = []
        for request in requests:
            here.send(request)
            responses.append(here.recv())
        return responses
    finally:
        here.close()
        worker.join()
