"""run_captured times out with Popen.communicate(timeout=...) and lets TimeoutExpired out:
communicate() gives up waiting, but it does not kill the child, which goes on running.

Must fail: test_the_timeout_kills_and_reaps_the_child
"""


def run_captured(args, timeout):
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err
