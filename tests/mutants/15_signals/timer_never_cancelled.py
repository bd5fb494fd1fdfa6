"""run_with_deadline puts the old handler back but never cancels its own timer (no
setitimer(ITIMER_REAL, 0)) and never re-arms the caller's: after a quick call the timer is
still armed, and with SIG_DFL back in place its SIGALRM kills the program later.

Must fail: test_the_callers_timer_is_put_back
"""


def run_with_deadline(func, seconds):
    def on_alarm(signum, frame):
        raise TimeoutError(f"no result after {seconds} s")

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return func()
    finally:
        signal.signal(signal.SIGALRM, old_handler)
