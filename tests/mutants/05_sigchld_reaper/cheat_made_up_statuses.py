"""Cheat: the handler reaps every child right, and stores 0 for each: "they all went well".

Must fail: test_exit_statuses_are_the_ones_the_judge_chose
"""


def _reap_every_ended_child(statuses):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = 0  # made up
