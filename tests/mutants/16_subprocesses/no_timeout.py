"""run_captured ignores its timeout: a program that never ends hangs the caller for ever.

Must fail: test_the_timeout_kills_and_reaps_the_child
"""


def run_captured(args, timeout):
    done = subprocess.run(args, capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr
