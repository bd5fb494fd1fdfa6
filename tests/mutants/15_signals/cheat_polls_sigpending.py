"""Cheat: no sigtimedwait, sigwait or pause. The answer is blocked, then a loop asks "has it
come yet?" (signal.sigpending()) again and again, sleeping 10 ms between looks, so it burns
almost no CPU; a pending answer is thrown away by setting SIG_IGN for a moment. The program
wakes up once a turn, and it sleeps in a call the blocked answer cannot end.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline
"""


def signal_and_wait(pid, ask, answer, seconds):
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {answer})
    try:
        os.kill(pid, ask)
        end = time.monotonic() + seconds
        while True:
            if answer in signal.sigpending():
                was = signal.signal(answer, signal.SIG_IGN)  # discards the pending signal
                signal.signal(answer, was)
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.01)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
