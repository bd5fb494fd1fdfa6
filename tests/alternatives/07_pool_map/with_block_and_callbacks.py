"""Correct, written another way than the reference: ``with Pool(workers) as pool:`` (leaving
the block terminates the workers and joins them, also when map() raised), and async_map
collects through ``callback=`` / ``error_callback=``, storing each entry at its item's index.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any


def parallel_map(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    with multiprocessing.Pool(workers) as pool:
        return pool.map(func, items)


def async_map(
    func: Callable[[Any], Any], items: Sequence[Any], workers: int
) -> list[tuple[Any, ...]]:
    entries: list[tuple[Any, ...]] = [()] * len(items)

    def keep(index: int) -> tuple[Callable[[Any], None], Callable[[BaseException], None]]:
        def ok(value: Any) -> None:
            entries[index] = ("ok", value)

        def failed(exc: BaseException) -> None:
            entries[index] = ("error", type(exc).__name__, str(exc))

        return ok, failed

    with multiprocessing.Pool(workers) as pool:
        for index, item in enumerate(items):
            ok, failed = keep(index)
            pool.apply_async(func, (item,), callback=ok, error_callback=failed)
        pool.close()
        pool.join()  # the callbacks have all run once the pool's threads are joined
    return entries
