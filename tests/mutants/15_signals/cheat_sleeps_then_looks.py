"""Cheat: signal_and_wait blocks the answer and asks, then sleeps the whole time limit and
only afterwards looks whether the answer is pending (and takes it). It burns no CPU and
wakes up once, but a blocked signal does not end a sleep: an answer that came early is seen
only when the time is up.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline, test_an_answer_that_came_first_is_not_lost
"""


def signal_and_wait(pid, ask, answer, seconds):
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer})
    try:
        os.kill(pid, ask)
        time.sleep(seconds)
        if answer in signal.sigpending():
            signal.sigwait({answer})
            return True
        return False
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
