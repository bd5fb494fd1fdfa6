"""signal_and_wait blocks the answer and never unblocks it: after the call the program can
no longer receive SIGUSR2 at all.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline
"""


def signal_and_wait(pid, ask, answer, seconds):
    signal.pthread_sigmask(signal.SIG_BLOCK, {answer})
    os.kill(pid, ask)
    return signal.sigtimedwait({answer}, seconds) is not None
