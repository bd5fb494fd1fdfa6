"""run_with_deadline rounds the deadline up to whole seconds for signal.alarm: a 0.2 s
deadline becomes 1 s.

Must fail: test_a_blocked_call_ends_at_a_sub_second_deadline
"""

import math


def run_with_deadline(func, seconds):
    def on_alarm(signum, frame):
        raise TimeoutError(f"no result after {seconds} s")

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_left = signal.alarm(math.ceil(seconds))
    try:
        return func()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_left:
            signal.alarm(old_left)
