"""Exercise 11 — shared memory: reference solution.

Read README.md for the task. The ideas live in the comments.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import Array, Process
from multiprocessing.shared_memory import SharedMemory

# -- Part 1: one slot per child, with the right typecodes -------------------------------------


def _read_into(read: Callable[[int], tuple[int, float]], index: int, counts, values) -> None:
    """In child ``index``: one reading, written into this child's own slots."""
    count, value = read(index)
    # Each child writes only its own index: no other process ever writes these slots, so no
    # lock is needed (a lock is for a read-modify-write that several processes share).
    counts[index] = count
    values[index] = value


def collect_readings(read: Callable[[int], tuple[int, float]], n: int) -> list[tuple[int, float]]:
    """Child i stores ``read(i)``; [(count, value)] in the order of the children."""
    # 'q' is a C long long (8 bytes): counts beyond 2**31 fit. 'i' is a 4-byte int and would
    # wrap them silently. 'd' is a C double, the same 64-bit float as Python's; 'f' (float)
    # keeps only about 7 digits. Create both BEFORE the children: they inherit them.
    counts = Array("q", n, lock=False)
    values = Array("d", n, lock=False)
    workers = [Process(target=_read_into, args=(read, i, counts, values)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:  # start all, then join all: the children work at the same time
        worker.join()
    # Only after join() is every write done; reading earlier could see zeros.
    return [(counts[i], values[i]) for i in range(n)]


# -- Part 2: a byte buffer --------------------------------------------------------------------


def _offsets(sizes: list[int]) -> list[int]:
    """Where each piece starts: 0, sizes[0], sizes[0] + sizes[1], ..."""
    starts, at = [], 0
    for size in sizes:
        starts.append(at)
        at += size
    return starts


def _fetch_into(fetch: Callable[[int], bytes], index: int, start: int, buffer) -> None:
    """In child ``index``: fetch the piece and copy it to its place in the buffer."""
    piece = fetch(index)
    buffer[start : start + len(piece)] = piece  # a slice of a 'c' array takes bytes


def gather_bytes(fetch: Callable[[int], bytes], sizes: list[int]) -> bytes:
    """Child i copies ``fetch(i)`` into its place in one shared byte buffer; all the bytes."""
    # 'c' (char): a byte buffer. Its size is fixed when it is made: the sum of the pieces.
    buffer = Array("c", sum(sizes))
    workers = [
        Process(target=_fetch_into, args=(fetch, i, start, buffer))
        for i, start in enumerate(_offsets(sizes))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # .raw is every byte; .value would stop at the first zero byte, like a C string.
    return buffer.raw


# -- Part 3: a named shared memory segment ----------------------------------------------------


def _write_block(fetch: Callable[[int], bytes], index: int, start: int, shm) -> None:
    """In child ``index``: write the piece into the segment the child inherited."""
    piece = fetch(index)
    shm.buf[start : start + len(piece)] = piece


def share_blocks(
    fetch: Callable[[int], bytes], sizes: list[int], reader: Callable[[str], object]
) -> object:
    """Children fill a new SharedMemory segment; ``reader(name)`` reads it; it is unlinked."""
    shm = SharedMemory(create=True, size=sum(sizes))  # a new segment with a fresh name
    try:
        workers = [
            Process(target=_write_block, args=(fetch, i, start, shm))
            for i, start in enumerate(_offsets(sizes))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        # Another process attaches by name: SharedMemory(name=shm.name). It needs the segment
        # to exist, so it is read before we unlink it.
        return reader(shm.name)
    finally:
        # close(): this process's mapping. unlink(): the segment itself, once, by its creator,
        # even when the reader raised. Without unlink() it stays in /dev/shm after we exit.
        shm.close()
        shm.unlink()
