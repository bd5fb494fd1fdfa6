"""Cheat: signal_and_wait installs a handler for the answer (so the kernel shows it caught)
but keeps it blocked, asks, and sleeps in a select() on a pipe nobody writes. A blocked
signal runs no handler and writes no wakeup byte: the answer cannot end that wait. When the
time is up it looks whether the answer is pending, and takes it.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline, test_an_answer_that_came_first_is_not_lost
"""

import select


def signal_and_wait(pid, ask, answer, seconds):
    old_handler = signal.signal(answer, lambda signum, frame: None)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer})
    r, w = os.pipe()
    try:
        os.kill(pid, ask)
        select.select([r], [], [], seconds)
        if answer in signal.sigpending():
            signal.sigwait({answer})
            return True
        return False
    finally:
        os.close(r)
        os.close(w)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        signal.signal(answer, old_handler)
