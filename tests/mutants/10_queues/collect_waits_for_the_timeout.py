"""collect() ignores the sentinel and the count, and gets until a get() times out: it always
waits the whole timeout after the last item.

Must fail: test_collect_does_not_wait_needlessly
"""


def collect(source, count, timeout):
    q = Queue()
    producer = Process(target=_feed, args=(q, source))
    producer.start()
    items = []
    try:
        while True:
            try:
                item = q.get(timeout=timeout)
            except queue.Empty:
                break
            if item is not STOP:
                items.append(item)
    finally:
        producer.terminate()
        producer.join()
    return items[:count]
