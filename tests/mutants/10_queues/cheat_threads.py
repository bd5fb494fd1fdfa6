"""Cheat: threads and a queue.Queue(maxsize) in the caller, dressed up as the pipeline.

Must fail: test_every_item_is_consumed_exactly_once, test_producers_and_consumers_are_processes,
test_put_blocks_while_the_queue_is_full, test_consumers_stop_on_sentinels
"""


def run_pipeline(source, sink, producers, consumers, maxsize):
    import threading

    q = queue.Queue(maxsize)
    makers = [threading.Thread(target=_produce, args=(q, source, k)) for k in range(producers)]
    takers = [threading.Thread(target=_consume, args=(q, sink)) for _ in range(consumers)]
    for t in makers + takers:
        t.start()
    for t in makers:
        t.join()
    for _ in takers:
        q.put(STOP)
    for t in takers:
        t.join()
