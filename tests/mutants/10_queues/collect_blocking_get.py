"""collect() waits with a get() that has no timeout: a stalled producer keeps it for ever.

Must fail: test_collect_gives_up_after_the_timeout
"""


def collect(source, count, timeout):
    q = Queue()
    producer = Process(target=_feed, args=(q, source))
    producer.start()
    items = []
    try:
        while len(items) < count:
            item = q.get()
            if item is STOP:
                break
            items.append(item)
    finally:
        producer.terminate()
        producer.join()
    return items
