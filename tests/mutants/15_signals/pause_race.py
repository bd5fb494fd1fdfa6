"""signal_and_wait with a handler that sets a flag, then `if not flag: signal.pause()` (and a
setitimer for the time limit). An answer that comes before the check is fine, but one that
the caller had blocked never reaches the handler, and one that comes between the check and
pause() is lost: pause() sleeps until the next signal.

Must fail: test_an_answer_that_came_first_is_not_lost
"""


def signal_and_wait(pid, ask, answer, seconds):
    came = []

    def on_answer(signum, frame):
        came.append(signum)

    def on_alarm(signum, frame):
        pass

    old_answer = signal.signal(answer, on_answer)
    old_alarm = signal.signal(signal.SIGALRM, on_alarm)
    try:
        os.kill(pid, ask)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        if not came:
            signal.pause()
        return bool(came)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_alarm)
        signal.signal(answer, old_answer)
