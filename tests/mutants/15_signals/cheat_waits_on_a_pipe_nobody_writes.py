"""Cheat: signal_and_wait blocks the answer and asks, then sleeps in a select() on the read
end of a pipe nobody writes (it holds the write end itself, so the pipe never reads as
closed): the program sleeps on a descriptor, as one that waits on a wakeup fd or a signalfd
does, but the blocked answer cannot make that pipe readable. When the time is up it looks
whether the answer is pending, and takes it.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline, test_an_answer_that_came_first_is_not_lost
"""

import select


def signal_and_wait(pid, ask, answer, seconds):
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
