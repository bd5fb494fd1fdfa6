"""run_with_deadline cancels its timer and restores the handler, but forgets the caller's
own timer that setitimer replaced: the program's timer never fires.

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
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
