"""install_reaper stores the statuses in a copy of the dict it was given: the children are
reaped, but the caller's dict never learns how they ended (the statuses are lost).

Must fail: test_exit_statuses_are_the_ones_the_judge_chose
"""


def install_reaper(statuses):
    collected = dict(statuses)  # a new dict: the caller never sees it

    def on_sigchld(signum, frame):
        _reap_every_ended_child(collected)

    previous = signal.signal(signal.SIGCHLD, on_sigchld)

    def restore():
        signal.signal(signal.SIGCHLD, previous)

    return restore
