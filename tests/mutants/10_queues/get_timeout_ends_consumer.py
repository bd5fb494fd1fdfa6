"""Consumers that take a get() timeout for the end of the data: slow producers cut them off.

Must fail: test_consumers_stop_on_sentinels
"""


def _consume(q, sink):
    while True:
        try:
            item = q.get(timeout=0.2)
        except queue.Empty:
            return
        if item is STOP:
            return
        sink(item)
