"""run_with_deadline "restores" SIGALRM by setting SIG_DFL instead of handing back what
signal.signal returned: a program that ignored SIGALRM now dies of it.

Must fail: test_value_comes_back_and_the_handler_is_put_back
"""


def run_with_deadline(func, seconds):
    def on_alarm(signum, frame):
        raise TimeoutError(f"no result after {seconds} s")

    signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    old_left, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return func()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        if old_left > 0:
            left = max(old_left - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)
