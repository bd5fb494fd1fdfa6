"""The handler decodes with WEXITSTATUS only: right for exits, 0 for a child killed by a signal.

Must fail: test_exit_statuses_are_the_ones_the_judge_chose
"""


def _reap_every_ended_child(statuses):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.WEXITSTATUS(status)
