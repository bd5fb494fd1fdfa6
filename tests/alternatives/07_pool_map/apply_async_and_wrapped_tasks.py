"""Correct, written another way than the reference: parallel_map submits every item with
``apply_async`` and collects the AsyncResult objects in input order (get() re-raises the
first failed item's exception); async_map runs each task inside a module-level wrapper that
catches the task's exception in the worker, and maps the wrapper with ``imap``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any


def parallel_map(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    pool = multiprocessing.Pool(processes=workers)
    try:
        pending = [pool.apply_async(func, (item,)) for item in items]
        return [result.get() for result in pending]
    finally:
        pool.close()
        pool.join()


def _attempt(job: tuple[Callable[[Any], Any], Any]) -> tuple[Any, ...]:
    """Runs in a worker: the task's entry, ("ok", value) or ("error", type name, message)."""
    func, item = job
    try:
        return ("ok", func(item))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


def async_map(
    func: Callable[[Any], Any], items: Sequence[Any], workers: int
) -> list[tuple[Any, ...]]:
    pool = multiprocessing.Pool(processes=workers)
    try:
        return list(pool.imap(_attempt, [(func, item) for item in items]))
    finally:
        pool.close()
        pool.join()
