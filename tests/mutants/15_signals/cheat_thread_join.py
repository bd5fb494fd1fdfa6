"""Cheat: run_with_deadline runs func in a daemon thread and stops waiting after `seconds`
with join(timeout), then raises TimeoutError. Nothing was interrupted: func runs on in its
thread, for ever.

Must fail: test_a_blocked_call_ends_at_a_sub_second_deadline, test_a_busy_call_ends_at_the_deadline
"""

import threading


def run_with_deadline(func, seconds):
    box = {}

    def target():
        box["value"] = func()

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no result after {seconds} s")
    return box["value"]
