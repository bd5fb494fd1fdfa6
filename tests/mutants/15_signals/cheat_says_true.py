"""Cheat: signal_and_wait sends the ask and says the answer came, at once, without waiting.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline
"""


def signal_and_wait(pid, ask, answer, seconds):
    os.kill(pid, ask)
    return True
