"""ask closes its end (so the worker sees EOF and returns) but never joins the worker: when
ask returns, the worker is still exiting or already a zombie nobody reaped.

Must fail: test_the_worker_ends_at_eof, test_a_dead_worker_is_an_eof_error
"""


def ask(handler, requests):
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
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
