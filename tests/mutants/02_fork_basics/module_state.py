"""fork_children keeps its pids in a module-level list: a second call in the same process
returns the first call's children too.

Must fail: test_exit_codes_come_back_through_wait
"""

_PIDS = []


def fork_children(codes):
    for code in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        _PIDS.append(pid)
    results = []
    for pid in _PIDS:
        try:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            code = 0
        results.append((pid, code))
    return results
