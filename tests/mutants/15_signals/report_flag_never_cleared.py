"""serve_until_stopped never clears the report flag: after the first SIGUSR1 it reports
after every step.

Must fail: test_report_runs_in_the_loop_not_in_the_handler
"""


def serve_until_stopped(step, report):
    flags = {"report": False, "stop": False}

    def on_usr1(signum, frame):
        flags["report"] = True

    def on_term(signum, frame):
        flags["stop"] = True

    old_usr1 = signal.signal(signal.SIGUSR1, on_usr1)
    old_term = signal.signal(signal.SIGTERM, on_term)
    steps = 0
    try:
        while not flags["stop"]:
            step()
            steps += 1
            if flags["report"]:
                report()
    finally:
        signal.signal(signal.SIGUSR1, old_usr1)
        signal.signal(signal.SIGTERM, old_term)
    return steps
