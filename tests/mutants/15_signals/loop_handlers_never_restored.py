"""serve_until_stopped leaves its handlers installed after it returns: SIGUSR1 was ignored
and SIGTERM default before, and now both run a handler of a loop that is over.

Must fail: test_sigterm_ends_the_loop_and_the_handlers_are_put_back
"""


def serve_until_stopped(step, report):
    flags = {"report": False, "stop": False}

    def on_usr1(signum, frame):
        flags["report"] = True

    def on_term(signum, frame):
        flags["stop"] = True

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, on_term)
    steps = 0
    while not flags["stop"]:
        step()
        steps += 1
        if flags["report"]:
            flags["report"] = False
            report()
    return steps
