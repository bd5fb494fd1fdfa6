"""A producer that spins on put_nowait() while the queue is full instead of blocking in put().

Must fail: test_put_blocks_while_the_queue_is_full
"""


def _produce(q, source, index):
    for item in source(index):
        while True:
            try:
                q.put_nowait(item)
                break
            except queue.Full:
                continue
