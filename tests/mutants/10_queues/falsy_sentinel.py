"""Consumers that stop on any falsy item: 0 and "" are taken for the sentinel, and lost.

Must fail: test_every_item_is_consumed_exactly_once
"""


def _consume(q, sink):
    while True:
        item = q.get()
        if not item:
            return
        sink(item)
