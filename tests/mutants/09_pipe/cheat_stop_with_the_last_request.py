"""Cheat around EOF: ask sends an in-band ("stop", None) message right behind the last
request, before it reads that request's response, then closes its end and joins. The
worker stops on the message, not on EOF.

Must fail: test_the_worker_ends_at_eof
"""

_STOP = ("stop", None)


def _serve(conn, callers_end, handler):
    callers_end.close()
    while True:
        request = conn.recv()
        if request == _STOP:
            break
        conn.send(handler(request))
    conn.close()


def ask(handler, requests):
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    there.close()
    try:
        requests = list(requests)
        responses = []
        for i, request in enumerate(requests):
            here.send(request)
            if i == len(requests) - 1:
                here.send(_STOP)
            responses.append(here.recv())
        return responses
    finally:
        here.close()
        worker.join()
