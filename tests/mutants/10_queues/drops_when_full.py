"""A producer that gives up on an item when the queue stays full for a moment: the item is lost.

Must fail: test_every_item_is_consumed_exactly_once, test_put_blocks_while_the_queue_is_full
"""


def _produce(q, source, index):
    for item in source(index):
        try:
            q.put(item, timeout=0.05)
        except queue.Full:
            pass
