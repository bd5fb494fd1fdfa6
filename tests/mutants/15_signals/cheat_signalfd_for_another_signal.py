"""Cheat: signal_and_wait blocks the answer and asks, then sleeps in a select() on a signalfd
that reads another signal (SIGWINCH), which nobody sends: the program sleeps on a signalfd,
as one that takes the answer from it does, but the descriptor's mask does not hold the
answer, so it never becomes readable. When the time is up it looks whether the answer is
pending, and takes it.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline, test_an_answer_that_came_first_is_not_lost
"""

import ctypes
import select


def signal_and_wait(pid, ask, answer, seconds):
    libc = ctypes.CDLL(None, use_errno=True)
    mask = ctypes.create_string_buffer(128)  # sigset_t
    libc.sigemptyset(mask)
    libc.sigaddset(mask, int(signal.SIGWINCH))
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer, signal.SIGWINCH})
    fd = libc.signalfd(-1, mask, os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.kill(pid, ask)
        select.select([fd], [], [], seconds)
        if answer in signal.sigpending():
            signal.sigwait({answer})
            return True
        return False
    finally:
        os.close(fd)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
