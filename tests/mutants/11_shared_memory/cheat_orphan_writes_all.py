"""Cheat: a double-forked helper writes every piece. Before it starts the children, the caller
forks a helper that forks again and leaves at once, so the helper is re-parented away from the
caller (to the judge, a child subreaper): it is no process below the caller. It inherits the
shared memory and a Queue; every child asks for its own piece and sends it through the Queue;
the helper writes them all and says so through a Pipe, for which the caller waits before it
reads the shared memory. No child writes any shared memory.

Must fail: test_readings_live_in_shared_memory,
test_each_piece_is_written_by_a_child_into_shared_memory,
test_children_fill_a_segment_the_reader_finds_by_name
"""

import multiprocessing
import os


def _relay(call, index, queue):
    queue.put((index, call(index)))


def _run_with_orphan(call, n, store):
    queue = multiprocessing.Queue()
    done_r, done_w = multiprocessing.Pipe(duplex=False)
    middle = os.fork()
    if middle == 0:
        if os.fork() == 0:  # the helper: re-parented once the middle process has left
            try:
                for _ in range(n):
                    store(*queue.get(timeout=30))
                done_w.send("done")
            finally:
                os._exit(0)
        os._exit(0)
    os.waitpid(middle, 0)
    workers = [Process(target=_relay, args=(call, i, queue)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done_r.poll(30)
    done_r.recv()


def collect_readings(read, n):
    counts = Array("q", n, lock=False)
    values = Array("d", n, lock=False)

    def store(index, reading):
        counts[index], values[index] = reading

    _run_with_orphan(read, n, store)
    return [(counts[i], values[i]) for i in range(n)]


def gather_bytes(fetch, sizes):
    buffer = Array("c", sum(sizes), lock=False)
    starts = _offsets(sizes)

    def store(index, piece):
        buffer[starts[index] : starts[index] + len(piece)] = piece

    _run_with_orphan(fetch, len(sizes), store)
    return buffer.raw


def share_blocks(fetch, sizes, reader):
    shm = SharedMemory(create=True, size=sum(sizes))
    starts = _offsets(sizes)

    def store(index, piece):
        shm.buf[starts[index] : starts[index] + len(piece)] = piece

    try:
        _run_with_orphan(fetch, len(sizes), store)
        return reader(shm.name)
    finally:
        shm.close()
        shm.unlink()
