"""Cheat: signal_and_wait never waits for any signal: it asks, sleeps the whole time with the
answer neither blocked nor handled (had it come, it would have killed the program) and says
False.

Must fail: test_waits_for_the_answer_without_spinning, test_no_answer_means_false_after_the_deadline, test_an_answer_that_came_first_is_not_lost
"""


def signal_and_wait(pid, ask, answer, seconds):
    os.kill(pid, ask)
    time.sleep(seconds)
    return False
