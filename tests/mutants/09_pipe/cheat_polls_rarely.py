"""Cheat around a dead worker: ask closes the worker's end as it should, but it never waits
in recv(): it polls its end with a timeout of 0.2 s and, between two polls, asks
is_alive(); a dead worker is reported with an EOFError of its own. It wakes only once or
twice in the judge's hold, well under the count of a busy poller.

Must fail: test_a_dead_worker_is_an_eof_error
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
            while not here.poll(0.2):
                if not worker.is_alive():
                    raise EOFError("the worker died")
            responses.append(here.recv())
        return responses
    finally:
        here.close()
        worker.join()
