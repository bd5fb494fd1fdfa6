"""Cheat around EOF, with two one-way pipes: after the last response, ask sends an in-band
("stop", None) message on the request pipe, then closes both its ends and joins. The worker
stops on the message, not on EOF.

Must fail: test_the_worker_ends_at_eof
"""

_STOP = ("stop", None)


def _serve(requests, responses, unused, handler):
    for end in unused:
        end.close()
    while True:
        request = requests.recv()
        if request == _STOP:
            break
        responses.send(handler(request))


def ask(handler, requests):
    request_r, request_w = Pipe(duplex=False)
    response_r, response_w = Pipe(duplex=False)
    worker = Process(
        target=_serve, args=(request_r, response_w, (request_w, response_r), handler)
    )
    worker.start()
    request_r.close()
    response_w.close()
    try:
        answers = []
        for request in requests:
            request_w.send(request)
            answers.append(response_r.recv())
        request_w.send(_STOP)
        return answers
    finally:
        request_w.close()
        response_r.close()
        worker.join()
