"""permits() returns a threading.BoundedSemaphore: fork copies it into every child, and each
copy lets everybody in.

Must fail: test_permits_hold_limit_processes
"""

import threading


def permits(limit):
    return threading.BoundedSemaphore(limit)
