"""Cheat: signal_and_wait reports the child asked without sending anything: it only waits
for the answer (which the judge sends anyway in one test).

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline
"""


def signal_and_wait(pid, ask, answer, seconds):
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer})
    try:
        return signal.sigtimedwait({answer}, seconds) is not None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
