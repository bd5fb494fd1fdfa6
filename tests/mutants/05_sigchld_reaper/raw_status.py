"""The handler stores the raw wait status, not the exit code: 512 for exit 2, 9 for SIGKILL.

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
        statuses[pid] = status
