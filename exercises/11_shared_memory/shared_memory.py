"""Exercise 11 — shared memory: Value, Array, typecodes, a byte buffer, SharedMemory.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the names and parameters. Check your work with::

    grader check shared_memory

Start children with ``multiprocessing.Process``; create every shared object in the parent,
BEFORE ``start()``, and pass it to the children as an argument. Target functions are defined
at module level (on macOS the children are started by "spawn" and must find them by name).
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import Array, Process  # noqa: F401  (you will need them)
from multiprocessing.shared_memory import SharedMemory  # noqa: F401

# -- Part 1: one slot per child, with the right typecodes -------------------------------------


def collect_readings(read: Callable[[int], tuple[int, float]], n: int) -> list[tuple[int, float]]:
    """Start ``n`` children; child ``i`` calls ``read(i)``, which returns ``(count, value)``:
    ``count`` an int that needs 8 bytes, ``value`` a float. The child writes them into slot
    ``i`` of two shared arrays made by the parent. Once every child is joined, return
    ``[(count, value), ...]`` in the order of ``i``.
    """
    # TODO: two Arrays with the right typecodes (see README: Typecodes), one Process per
    # index writing only its own slot; start all, join all, then read the arrays.
    raise NotImplementedError


# -- Part 2: a byte buffer --------------------------------------------------------------------


def gather_bytes(fetch: Callable[[int], bytes], sizes: list[int]) -> bytes:
    """Start one child per piece; child ``i`` calls ``fetch(i)`` (``sizes[i]`` bytes) and
    copies it into one shared byte buffer at offset ``sizes[0] + ... + sizes[i - 1]``. Once
    every child is joined, return every byte of the buffer.
    """
    # TODO: Array('c', sum(sizes)); each child writes buffer[start:end] = piece; return .raw
    raise NotImplementedError


# -- Part 3: a named shared memory segment ----------------------------------------------------


def share_blocks(
    fetch: Callable[[int], bytes], sizes: list[int], reader: Callable[[str], object]
) -> object:
    """Like ``gather_bytes``, but into a new ``SharedMemory`` segment of ``sum(sizes)``
    bytes. Once every child is joined, call ``reader(name)`` with the segment's name and
    return what it returns. Whatever happens (the reader may raise: let its exception
    through), the segment is closed and unlinked before the function ends.
    """
    # TODO: SharedMemory(create=True, size=...); children write shm.buf[start:end];
    # join; return reader(shm.name); finally: close() and unlink().
    raise NotImplementedError
