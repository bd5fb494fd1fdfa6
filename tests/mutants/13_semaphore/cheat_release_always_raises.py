"""Cheat: permits() wraps a plain Semaphore; `with` works, but an explicit release() always
raises ValueError, so "the extra release is refused" without anything being counted. A
permit a child took and the caller gives back is refused too, and lost.

Must fail: test_an_extra_release_is_refused
"""

from multiprocessing import Semaphore


class _Seats:
    def __init__(self, limit):
        self._sem = Semaphore(limit)

    def __enter__(self):
        return self._sem.__enter__()

    def __exit__(self, *exc):
        return self._sem.__exit__(*exc)

    def acquire(self, *args, **kwargs):
        return self._sem.acquire(*args, **kwargs)

    def release(self):
        raise ValueError("semaphore or lock released too many times")


def permits(limit):
    return _Seats(limit)
