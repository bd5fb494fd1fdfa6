"""close() and unlink() come after the reader, not in a finally block: when the reader raises,
the segment is left behind.

Must fail: test_the_segment_is_unlinked_when_the_reader_fails
"""


def share_blocks(fetch, sizes, reader):
    shm = SharedMemory(create=True, size=sum(sizes))
    workers = [
        Process(target=_write_block, args=(fetch, i, start, shm))
        for i, start in enumerate(_offsets(sizes))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    result = reader(shm.name)
    shm.close()
    shm.unlink()
    return result
