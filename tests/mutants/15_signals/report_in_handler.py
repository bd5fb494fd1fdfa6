"""serve_until_stopped calls report() right in the SIGUSR1 handler instead of setting a
flag: the handler runs in the middle of step(), which holds the lock report() needs, and the
program waits for ever.

Must fail: test_report_runs_in_the_loop_not_in_the_handler
"""


def serve_until_stopped(step, report):
    flags = {"stop": False}

    def on_usr1(signum, frame):
        report()

    def on_term(signum, frame):
        flags["stop"] = True

    old_usr1 = signal.signal(signal.SIGUSR1, on_usr1)
    old_term = signal.signal(signal.SIGTERM, on_term)
    steps = 0
    try:
        while not flags["stop"]:
            step()
            steps += 1
    finally:
        signal.signal(signal.SIGUSR1, old_usr1)
        signal.signal(signal.SIGTERM, old_term)
    return steps
