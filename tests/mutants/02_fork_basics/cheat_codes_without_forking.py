"""Cheat: no child at all; fork_children returns made-up pids (the caller's pid plus one,
two, ...) with the codes it was asked for.

Must fail: test_children_are_forked_by_the_caller, test_exit_codes_come_back_through_wait, test_every_child_is_reaped
"""


def fork_children(codes):
    me = os.getpid()
    return [(me + i + 1, code) for i, code in enumerate(codes)]
