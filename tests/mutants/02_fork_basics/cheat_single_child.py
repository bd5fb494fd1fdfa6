"""Cheat: a single child does all the work; fork_children reports its pid for every code,
with the codes it was asked for.

Must fail: test_children_are_forked_by_the_caller, test_exit_codes_come_back_through_wait
"""


def fork_children(codes):
    if not codes:
        return []
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return [(pid, code) for code in codes]
