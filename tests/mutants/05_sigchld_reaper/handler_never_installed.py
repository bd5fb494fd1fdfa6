"""install_reaper defines the handler and a restore(), but never installs the handler:
SIGCHLD keeps its old disposition, and every child that ends stays a zombie.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_handler_reaps_a_whole_burst, test_exit_statuses_are_the_ones_the_judge_chose, test_restore_puts_the_old_disposition_back, test_serve_reaps_while_it_waits_for_work
"""


def install_reaper(statuses):
    def on_sigchld(signum, frame):
        _reap_every_ended_child(statuses)

    previous = signal.getsignal(signal.SIGCHLD)  # looked at, never replaced

    def restore():
        signal.signal(signal.SIGCHLD, previous)

    return restore
