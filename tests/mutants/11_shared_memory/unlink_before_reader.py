"""The segment is unlinked as soon as the children are done, before the reader is called:
the reader finds no segment of that name.

Must fail: test_children_fill_a_segment_the_reader_finds_by_name
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
    name = shm.name
    shm.close()
    shm.unlink()
    return reader(name)
