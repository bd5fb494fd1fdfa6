"""reap_all collects with os.wait() and lists the codes in the order the children ended,
not in the order of codes.

Must fail: test_exit_codes_are_returned, test_killed_child_reports_the_signal
"""


def reap_all(codes):
    for code in codes:
        if os.fork() == 0:
            _child_exits_with(code)
    return [os.waitstatus_to_exitcode(os.wait()[1]) for _ in codes]
