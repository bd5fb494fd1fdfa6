"""The handler loops with WNOHANG but does not catch ChildProcessError: once the last child
is reaped, the next waitpid raises, and the exception comes out of whatever code the handler
interrupted.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_serve_runs_each_job_in_its_own_child
"""


def _reap_every_ended_child(statuses):
    while True:
        pid, status = os.waitpid(-1, os.WNOHANG)  # ChildProcessError once no child is left
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)
