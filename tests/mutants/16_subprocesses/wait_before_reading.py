"""run_captured waits for the child before reading its output: the child fills the stdout
pipe (64 KiB) and blocks in write, the parent blocks in wait, and wait(timeout) finally gives
up with TimeoutExpired although the program would have ended at once.

Must fail: test_output_and_exit_code_are_captured
"""


def run_captured(args, timeout):
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise
    return p.returncode, p.stdout.read(), p.stderr.read()
