"""The queue is created without its maxsize: the producers never wait, and run as far ahead
of the consumers as they like.

Must fail: test_put_blocks_while_the_queue_is_full
"""


def run_pipeline(source, sink, producers, consumers, maxsize):
    q = Queue()
    makers = [Process(target=_produce, args=(q, source, k)) for k in range(producers)]
    takers = [Process(target=_consume, args=(q, sink)) for _ in range(consumers)]
    for p in makers + takers:
        p.start()
    for p in makers:
        p.join()
    for _ in takers:
        q.put(STOP)
    for p in takers:
        p.join()
