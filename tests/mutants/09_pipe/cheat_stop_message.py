"""Cheat around EOF: the worker stops on an in-band ("stop", None) message instead of EOF,
and ask never closes its copy of the worker's end; a dead worker is found by polling
is_alive(), and ask raises an EOFError of its own. Nothing hangs, nothing is left behind,
and the worker's function returns - but no recv() ever sees the end of a pipe.

Must fail: test_the_worker_ends_at_eof, test_a_dead_worker_is_an_eof_error
"""

_STOP = ("stop", None)


def _serve(conn, callers_end, handler):
    while True:
        request = conn.recv()
        if request == _STOP:
            break
        conn.send(handler(request))


def ask(handler, requests):
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    try:
        responses = []
        for request in requests:
            here.send(request)
            while not here.poll(0.01):
                if not worker.is_alive():
                    raise EOFError("the worker died")
            responses.append(here.recv())
        here.send(_STOP)
        return responses
    finally:
        worker.join()
        here.close()
        there.close()
