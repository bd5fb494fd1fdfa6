"""ask never closes its copy of the worker's end. All goes well while the worker lives; when
it dies without answering, ask's recv() does not raise EOFError, because ask itself still
holds a copy of the worker's end: it waits for ever.

Must fail: test_a_dead_worker_is_an_eof_error
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
        here.close()
        worker.join()
