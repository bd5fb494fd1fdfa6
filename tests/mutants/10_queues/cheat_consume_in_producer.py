"""Cheat: the producers call sink themselves (no queue between them), while idle consumer
processes wait for their sentinels to look the part.

Must fail: test_producers_and_consumers_are_processes, test_every_item_is_consumed_exactly_once
"""


def _produce(q, source, index, sink):
    for item in source(index):
        sink(item)


def run_pipeline(source, sink, producers, consumers, maxsize):
    q = Queue(maxsize)
    makers = [Process(target=_produce, args=(q, source, k, sink)) for k in range(producers)]
    takers = [Process(target=_consume, args=(q, sink)) for _ in range(consumers)]
    for p in makers + takers:
        p.start()
    for p in makers:
        p.join()
    for _ in takers:
        q.put(STOP)
    for p in takers:
        p.join()
