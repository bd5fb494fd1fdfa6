"""restore() does nothing: the handler stays installed after install_reaper's caller is done
with it, and after serve has returned.

Must fail: test_restore_puts_the_old_disposition_back, test_serve_runs_each_job_in_its_own_child
"""


def install_reaper(statuses):
    def on_sigchld(signum, frame):
        _reap_every_ended_child(statuses)

    signal.signal(signal.SIGCHLD, on_sigchld)

    def restore():
        pass

    return restore
