"""permits() returns a plain Semaphore(limit - 1): the extra release() is silently counted
and brings it back to limit permits, so the section looks right while the bug hides; and,
without that release, one permit is missing.

Must fail: test_an_extra_release_is_refused, test_permits_hold_limit_processes
"""

from multiprocessing import Semaphore


def permits(limit):
    return Semaphore(limit - 1)
