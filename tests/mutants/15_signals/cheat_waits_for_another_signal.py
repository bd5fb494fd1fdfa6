"""Cheat: signal_and_wait blocks the answer and asks, then sleeps in sigtimedwait for another
signal (SIGWINCH), which nobody sends: the program sleeps in rt_sigtimedwait, as a program
that waits for the answer does, but the answer cannot end that wait. When the time is up it
looks whether the answer is pending, and takes it.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline, test_an_answer_that_came_first_is_not_lost
"""


def signal_and_wait(pid, ask, answer, seconds):
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer, signal.SIGWINCH})
    try:
        os.kill(pid, ask)
        signal.sigtimedwait({signal.SIGWINCH}, seconds)
        if answer in signal.sigpending():
            signal.sigwait({answer})
            return True
        return False
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
