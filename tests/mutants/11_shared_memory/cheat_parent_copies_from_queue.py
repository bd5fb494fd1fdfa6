"""Cheat (red team 2026-12-06, gap 11): the children never write any shared memory. The parent
creates the Arrays and the segment BEFORE start(), so the children inherit the mappings; each
child sends its result through a Queue and the PARENT copies what it received into the Arrays
and the segment. Read after the function returned, the caller's shared memory holds every
piece, and each child had the segment mapped.

Must fail: test_readings_live_in_shared_memory,
test_each_piece_is_written_by_a_child_into_shared_memory,
test_children_fill_a_segment_the_reader_finds_by_name
"""

import multiprocessing


def _send(call, index, queue):
    queue.put((index, call(index)))


def _by_queue(call, n):
    queue = multiprocessing.Queue()
    workers = [Process(target=_send, args=(call, i, queue)) for i in range(n)]
    for worker in workers:
        worker.start()
    results = dict(queue.get() for _ in workers)  # get before join
    for worker in workers:
        worker.join()
    return [results[i] for i in range(n)]


def collect_readings(read, n):
    counts = Array("q", n, lock=False)
    values = Array("d", n, lock=False)
    for i, (count, value) in enumerate(_by_queue(read, n)):  # the parent fills the Arrays
        counts[i], values[i] = count, value
    return [(counts[i], values[i]) for i in range(n)]


def gather_bytes(fetch, sizes):
    buffer = Array("c", sum(sizes), lock=False)
    data = b"".join(_by_queue(fetch, len(sizes)))
    buffer[:] = data  # the parent copies the bytes in
    return buffer.raw


def share_blocks(fetch, sizes, reader):
    shm = SharedMemory(create=True, size=sum(sizes))  # before start(): the children map it
    try:
        data = b"".join(_by_queue(fetch, len(sizes)))
        shm.buf[: len(data)] = data  # the parent copies the bytes in
        return reader(shm.name)
    finally:
        shm.close()
        shm.unlink()
