"""permits() returns a plain Semaphore: the extra release() is silently counted as one more
permit, and one process too many gets in for ever.

Must fail: test_an_extra_release_is_refused
"""

from multiprocessing import Semaphore


def permits(limit):
    return Semaphore(limit)
