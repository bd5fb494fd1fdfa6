"""Cheat: install_reaper sets SIGCHLD to SIG_IGN ("no zombie, ever") and stores nothing:
children vanish, and their exit statuses with them.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_exit_statuses_are_the_ones_the_judge_chose
"""


def install_reaper(statuses):
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)

    def restore():
        signal.signal(signal.SIGCHLD, previous)

    return restore
