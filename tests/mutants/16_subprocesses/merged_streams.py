"""run_captured merges stderr into stdout (stderr=STDOUT): the two streams come back as one.

Must fail: test_output_and_exit_code_are_captured
"""


def run_captured(args, timeout):
    done = subprocess.run(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )
    return done.returncode, done.stdout, ""
