"""fork_children forks a child and waits for it before forking the next: the children
never run at the same time.

Must fail: test_children_are_forked_by_the_caller
"""


def fork_children(codes):
    results = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        results.append((pid, os.waitstatus_to_exitcode(status)))
    return results
