"""Cheat: the parent calls read(i) and fetch(i) itself and writes the shared memory, while
idle decoy children are started and joined around it so that the process table shows a
child per index.

Must fail: test_each_reading_comes_from_a_child_of_its_own,
test_each_piece_is_written_by_a_child_into_shared_memory,
test_children_fill_a_segment_the_reader_finds_by_name
"""


def _idle():
    pass


def _with_decoys(n, work):
    decoys = [Process(target=_idle) for _ in range(n)]
    for decoy in decoys:
        decoy.start()
    try:
        return work()
    finally:
        for decoy in decoys:
            decoy.join()


def collect_readings(read, n):
    def work():
        counts = Array("q", n)
        values = Array("d", n)
        for i in range(n):
            counts[i], values[i] = read(i)
        return [(counts[i], values[i]) for i in range(n)]

    return _with_decoys(n, work)


def gather_bytes(fetch, sizes):
    def work():
        buffer = Array("c", sum(sizes))
        for i, start in enumerate(_offsets(sizes)):
            buffer[start : start + sizes[i]] = fetch(i)
        return buffer.raw

    return _with_decoys(len(sizes), work)


def share_blocks(fetch, sizes, reader):
    shm = SharedMemory(create=True, size=sum(sizes))
    try:

        def work():
            for i, start in enumerate(_offsets(sizes)):
                shm.buf[start : start + sizes[i]] = fetch(i)

        _with_decoys(len(sizes), work)
        return reader(shm.name)
    finally:
        shm.close()
        shm.unlink()
