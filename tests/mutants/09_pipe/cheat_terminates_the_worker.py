"""Cheat around EOF: ask never closes its end, so the worker never sees EOF; instead, once
the responses are in, ask terminates the worker (SIGTERM) and joins it. Nothing is left
behind, yet the worker never ended by itself.

Must fail: test_the_worker_ends_at_eof
"""


def ask(handler, requests):
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    try:
        responses = []
        for request in requests:
            here.send(request)
            responses.append(here.recv())
        return responses
    finally:
        worker.terminate()
        worker.join()
        here.close()
