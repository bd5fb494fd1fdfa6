"""restore() sets SIGCHLD to SIG_DFL instead of what was there before install_reaper.

Must fail: test_restore_puts_the_old_disposition_back
"""


def install_reaper(statuses):
    def on_sigchld(signum, frame):
        _reap_every_ended_child(statuses)

    signal.signal(signal.SIGCHLD, on_sigchld)

    def restore():
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # "the default is what was there"

    return restore
