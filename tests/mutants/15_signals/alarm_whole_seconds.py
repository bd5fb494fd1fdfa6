"""run_with_deadline uses signal.alarm(int(seconds)): for 0.2 s that is alarm(0), which
cancels instead of arming, so sub-second calls run with no deadline at all.

Must fail: test_a_blocked_call_ends_at_a_sub_second_deadline, test_a_busy_call_ends_at_the_deadline
"""


def run_with_deadline(func, seconds):
    def on_alarm(signum, frame):
        raise TimeoutError(f"no result after {seconds} s")

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_left = signal.alarm(int(seconds))
    try:
        return func()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_left:
            signal.alarm(old_left)
