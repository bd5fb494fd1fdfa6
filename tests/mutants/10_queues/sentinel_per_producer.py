"""Each producer puts one sentinel when it is done, instead of one per consumer after all of
them: with more consumers than producers, a consumer waits for ever (and with fewer, the
consumers stop while a producer still has items).

Must fail: test_consumers_stop_on_sentinels
"""


def _produce(q, source, index):
    for item in source(index):
        q.put(item)
    q.put(STOP)


def run_pipeline(source, sink, producers, consumers, maxsize):
    q = Queue(maxsize)
    makers = [Process(target=_produce, args=(q, source, k)) for k in range(producers)]
    takers = [Process(target=_consume, args=(q, sink)) for _ in range(consumers)]
    for p in makers + takers:
        p.start()
    for p in makers + takers:
        p.join()
