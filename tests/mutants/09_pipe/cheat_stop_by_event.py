"""Cheat around EOF: the stop is sent another way, through a multiprocessing Event. The
worker never blocks in recv(): it polls its end every 10 ms and checks the Event between two
polls; ask sets the Event when every response is in, closes its end (so no end into the
worker is left while it joins) and joins. Nothing is queued for the worker, nothing is held:
the worker ends because of the Event, not because of EOF.

Must fail: test_the_worker_ends_at_eof
"""

from multiprocessing import Event


def _serve(conn, callers_end, handler, stop):
    callers_end.close()
    while not stop.is_set():
        if conn.poll(0.01):
            conn.send(handler(conn.recv()))
    conn.close()


def ask(handler, requests):
    here, there = Pipe()
    stop = Event()
    worker = Process(target=_serve, args=(there, here, handler, stop))
    worker.start()
    there.close()
    try:
        responses = []
        for request in requests:
            here.send(request)
            responses.append(here.recv())
        return responses
    finally:
        stop.set()
        here.close()
        worker.join()
