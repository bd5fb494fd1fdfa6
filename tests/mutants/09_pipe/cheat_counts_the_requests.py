"""Cheat around EOF: the worker is told how many requests will come (an argument of the
Process) and returns after that many; ask closes its end only after join(). The worker
never reads EOF: it counts.

Must fail: test_the_worker_ends_at_eof
"""


def _serve(conn, callers_end, handler, count):
    callers_end.close()
    for _ in range(count):
        conn.send(handler(conn.recv()))


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
        worker.join()
        here.close()
