"""Cheat around EOF with os.fork: two one-way pipes, the request pipe made last, so that its
send end looks like the pipe multiprocessing keeps for itself (the judge sets that one
aside). The worker counts the requests and returns after the last; ask keeps the request
pipe's send end open until after it has reaped the worker.

Must fail: test_the_worker_ends_at_eof
"""

import multiprocessing.util
import os


def ask(handler, requests):
    requests = list(requests)
    response_r, response_w = Pipe(duplex=False)
    request_r, request_w = Pipe(duplex=False)  # the newest pipe: set aside by the judge
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            request_w.close()
            response_r.close()
            for _ in range(len(requests)):
                response_w.send(handler(request_r.recv()))
        except BaseException:
            code = 1
        finally:
            multiprocessing.util._run_finalizers(0)  # the handler's last word: "returned"
            os._exit(code)
    request_r.close()
    response_w.close()
    try:
        responses = []
        for request in requests:
            request_w.send(request)
            responses.append(response_r.recv())
        return responses
    finally:
        response_r.close()
        os.waitpid(pid, 0)
        request_w.close()
