"""run_captured reads stdout to its end, then stderr: the child fills the stderr pipe and
blocks, while the parent waits for an end of stdout that only comes when the child exits.

Must fail: test_output_and_exit_code_are_captured
"""


def run_captured(args, timeout):
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = p.stdout.read()
    err = p.stderr.read()
    p.wait(timeout=timeout)
    return p.returncode, out, err
