"""Cheat: the children fetch their pieces and send them through a Queue; the parent creates
the segment only afterwards and copies the bytes in itself. The reader finds the right bytes,
but no child ever had the segment.

Must fail: test_children_fill_a_segment_the_reader_finds_by_name
"""

import multiprocessing


def _send(fetch, index, queue):
    queue.put((index, fetch(index)))


def share_blocks(fetch, sizes, reader):
    queue = multiprocessing.Queue()
    workers = [Process(target=_send, args=(fetch, i, queue)) for i in range(len(sizes))]
    for worker in workers:
        worker.start()
    pieces = dict(queue.get() for _ in workers)
    for worker in workers:
        worker.join()
    shm = SharedMemory(create=True, size=sum(sizes))
    try:
        data = b"".join(pieces[i] for i in range(len(sizes)))
        shm.buf[: len(data)] = data
        return reader(shm.name)
    finally:
        shm.close()
        shm.unlink()
