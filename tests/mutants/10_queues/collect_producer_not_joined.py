"""collect() terminates the producer but never joins it: a zombie is left behind.

Must fail: test_collect_gives_up_after_the_timeout
"""


def collect(source, count, timeout):
    q = Queue()
    producer = Process(target=_feed, args=(q, source))
    producer.start()
    items = []
    while len(items) < count:
        try:
            item = q.get(timeout=timeout)
        except queue.Empty:
            break
        if item is STOP:
            break
        items.append(item)
    producer.terminate()
    return items
