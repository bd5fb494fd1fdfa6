"""The worker never closes its copy of the caller's end, which fork gave it. When ask closes
its own end, one copy is still open - in the worker itself - so the worker's recv() never
raises EOFError, and ask's join() waits for ever.

Must fail: test_one_worker_answers_each_request, test_the_worker_ends_at_eof
"""


def _serve(conn, callers_end, handler):
    while True:
        try:
            request = conn.recv()
        except EOFError:
            break
        conn.send(handler(request))
    conn.close()
