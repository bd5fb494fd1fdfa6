"""returncode is turned into abs(returncode): a signal now looks like an exit code.

Must fail: test_a_signal_gives_a_negative_returncode, test_the_first_stage_ends_by_sigpipe
"""

_run_captured = run_captured
_pipeline = pipeline


def run_captured(args, timeout):
    code, out, err = _run_captured(args, timeout)
    return abs(code), out, err


def pipeline(first, second):
    out, rc1, rc2 = _pipeline(first, second)
    return out, abs(rc1), abs(rc2)
