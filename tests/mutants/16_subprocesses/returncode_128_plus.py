"""A child killed by signal N is reported as 128 + N, the shell's $? convention.

Must fail: test_a_signal_gives_a_negative_returncode, test_the_first_stage_ends_by_sigpipe
"""

_run_captured = run_captured
_pipeline = pipeline


def _shell_code(code):
    return 128 - code if code < 0 else code


def run_captured(args, timeout):
    code, out, err = _run_captured(args, timeout)
    return _shell_code(code), out, err


def pipeline(first, second):
    out, rc1, rc2 = _pipeline(first, second)
    return out, _shell_code(rc1), _shell_code(rc2)
