"""Consumers that stop as soon as the queue looks empty, with no sentinel at all.

Must fail: test_consumers_stop_on_sentinels
"""


def _consume(q, sink):
    while not q.empty():
        item = q.get()
        if item is STOP:
            return
        sink(item)
