"""The handler waits without WNOHANG until no child is left: after the first child ends it
blocks in waitpid until the others end too, and the program it interrupted stops meanwhile.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_serve_reaps_while_it_waits_for_work
"""


def _reap_every_ended_child(statuses):
    while True:
        try:
            pid, status = os.waitpid(-1, 0)  # blocks while any child still runs
        except ChildProcessError:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)
