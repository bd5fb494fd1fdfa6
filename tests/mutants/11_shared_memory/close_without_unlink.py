"""The segment is closed but never unlinked: it stays in /dev/shm after the function (and
the program) has ended.

Must fail: test_the_segment_is_unlinked, test_the_segment_is_unlinked_when_the_reader_fails
"""


def share_blocks(fetch, sizes, reader):
    shm = SharedMemory(create=True, size=sum(sizes))
    try:
        workers = [
            Process(target=_write_block, args=(fetch, i, start, shm))
            for i, start in enumerate(_offsets(sizes))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return reader(shm.name)
    finally:
        shm.close()
