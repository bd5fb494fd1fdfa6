"""Cheat around a dead worker: ask closes the worker's end as it should, but it never waits
in recv(): it polls the pipe every 10 ms and, between two polls, asks is_alive(); a dead
worker is reported with an EOFError of its own.

Must fail: test_a_dead_worker_is_an_eof_error
"""

import time


def ask(handler, requests):
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    there.close()
    try:
        responses = []
        for request in requests:
            here.send(request)
            while True:
                if not worker.is_alive():
                    raise EOFError("the worker died")
                if here.poll():
                    break
                time.sleep(0.01)
            responses.append(here.recv())
        return responses
    finally:
        here.close()
        worker.join()
