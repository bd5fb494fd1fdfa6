"""ask sends every request first and reads the responses afterwards. With small messages the
pipe's buffer hides the mistake; with 1 MiB messages the worker blocks in send() with a
response nobody reads, and ask blocks in send() with a request nobody reads: a deadlock.

Must fail: test_big_messages_one_at_a_time
"""


def ask(handler, requests):
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    there.close()
    try:
        requests = list(requests)
        for request in requests:
            here.send(request)
        return [here.recv() for _ in requests]
    finally:
        here.close()
        worker.join()
