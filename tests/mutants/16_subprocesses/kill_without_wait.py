"""run_captured kills the child on timeout but never waits for it: it stays a zombie.

Must fail: test_the_timeout_kills_and_reaps_the_child
"""


def run_captured(args, timeout):
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        raise
    return p.returncode, out, err
