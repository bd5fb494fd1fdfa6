"""ask joins the worker without closing its own end first: the worker waits in recv() for a
request that never comes, and ask waits in join() for a worker that never ends.

Must fail: test_one_worker_answers_each_request, test_the_worker_ends_at_eof
"""


def ask(handler, requests):
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    there.close()
    responses = []
    for request in requests:
        here.send(request)
        responses.append(here.recv())
    worker.join()
    here.close()
    return responses
