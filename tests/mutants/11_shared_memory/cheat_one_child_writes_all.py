"""Cheat (red team 2026-12-06, gap 11, open after the second session): one child writes every
piece. Every child asks for its own piece, so the judge sees one child per index, all at once;
but only child 0 writes the shared memory: the others send their pieces to it through a Queue
(created before start(), so every child inherits it) and end, and child 0 writes its own piece
and each one it receives, then ends. The caller never copies anything: held stopped until the
children have ended, it finds every piece in the shared memory.

Must fail: test_readings_live_in_shared_memory,
test_each_piece_is_written_by_a_child_into_shared_memory,
test_children_fill_a_segment_the_reader_finds_by_name
"""

import multiprocessing


def _relay_or_write(call, index, n, queue, store):
    result = call(index)
    if index:
        queue.put((index, result))  # relayed to child 0; this child writes nothing
        return
    store(0, result)
    for _ in range(n - 1):  # child 0 writes the pieces of all the others
        store(*queue.get())


def _run_relayed(call, n, store):
    queue = multiprocessing.Queue()
    workers = [
        Process(target=_relay_or_write, args=(call, i, n, queue, store)) for i in range(n)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def collect_readings(read, n):
    counts = Array("q", n, lock=False)
    values = Array("d", n, lock=False)

    def store(index, reading):
        counts[index], values[index] = reading

    _run_relayed(read, n, store)
    return [(counts[i], values[i]) for i in range(n)]


def gather_bytes(fetch, sizes):
    buffer = Array("c", sum(sizes), lock=False)
    starts = _offsets(sizes)

    def store(index, piece):
        buffer[starts[index] : starts[index] + len(piece)] = piece

    _run_relayed(fetch, len(sizes), store)
    return buffer.raw


def share_blocks(fetch, sizes, reader):
    shm = SharedMemory(create=True, size=sum(sizes))
    starts = _offsets(sizes)

    def store(index, piece):
        shm.buf[starts[index] : starts[index] + len(piece)] = piece

    try:
        _run_relayed(fetch, len(sizes), store)
        return reader(shm.name)
    finally:
        shm.close()
        shm.unlink()
