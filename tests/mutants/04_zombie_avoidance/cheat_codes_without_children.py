"""Cheat: reap_all forks nothing and returns the codes it was given (an arithmetic result:
no child, no zombie, nothing to wait for).

Must fail: test_results_come_from_the_wait_status, test_every_child_is_reaped, test_exit_codes_are_returned
"""


def reap_all(codes):
    return list(codes)
