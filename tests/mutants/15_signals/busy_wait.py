"""signal_and_wait blocks the answer, asks, then spins: it checks signal.sigpending() again
and again until the answer is there or the time is up, burning a CPU all along.

Must fail: test_waits_for_the_answer_without_spinning
"""


def signal_and_wait(pid, ask, answer, seconds):
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer})
    try:
        os.kill(pid, ask)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if answer in signal.sigpending():
                signal.sigwait({answer})
                return True
        return False
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
