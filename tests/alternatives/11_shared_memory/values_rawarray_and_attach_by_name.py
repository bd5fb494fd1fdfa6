"""Correct, written another way than the reference: Part 1 gives each child a Value('q') and
a Value('d') of its own (a list of Values instead of two Arrays); Part 2 uses a RawArray of
unsigned bytes ('B', no lock) and bytes(...) of it; Part 3's children attach to the segment
by name and close their own mapping, and the parent tracks the children with a pool of
Process objects joined in a finally block.
"""

from __future__ import annotations

from multiprocessing import Process, Value
from multiprocessing.shared_memory import SharedMemory
from multiprocessing.sharedctypes import RawArray


def _one_reading(read, index, count, value):
    count.value, value.value = read(index)


def collect_readings(read, n):
    slots = [(Value("q", 0, lock=False), Value("d", 0.0, lock=False)) for _ in range(n)]
    children = [
        Process(target=_one_reading, args=(read, i, count, value))
        for i, (count, value) in enumerate(slots)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
    return [(count.value, value.value) for count, value in slots]


def _starts(sizes):
    return [sum(sizes[:i]) for i in range(len(sizes))]


def _one_piece(fetch, index, start, buffer):
    piece = fetch(index)
    buffer[start : start + len(piece)] = piece


def gather_bytes(fetch, sizes):
    buffer = RawArray("B", sum(sizes))
    children = [
        Process(target=_one_piece, args=(fetch, i, start, buffer))
        for i, start in enumerate(_starts(sizes))
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
    return bytes(buffer)


def _one_block(fetch, index, start, name):
    segment = SharedMemory(name=name)  # attach by name
    try:
        piece = fetch(index)
        segment.buf[start : start + len(piece)] = piece
    finally:
        segment.close()


def share_blocks(fetch, sizes, reader):
    segment = SharedMemory(create=True, size=sum(sizes))
    children = []
    try:
        for i, start in enumerate(_starts(sizes)):
            child = Process(target=_one_block, args=(fetch, i, start, segment.name))
            child.start()
            children.append(child)
        for child in children:
            child.join()
        return reader(segment.name)
    finally:
        for child in children:
            child.join()
        segment.close()
        segment.unlink()
