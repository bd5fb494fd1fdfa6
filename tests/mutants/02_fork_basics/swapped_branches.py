"""The branches are swapped (`if pid:` taken for the child): the caller runs the child's
code and ends itself with os._exit, while the real child runs the parent's code.

Must fail: test_fork_returns_twice
"""


def fork_and_greet():
    me = os.getpid()
    print(f"parent {me}: forking", flush=True)
    pid = os.fork()
    if pid:
        try:
            print(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}")
            sys.stdout.flush()
        finally:
            os._exit(0)
    print(f"parent {me}: fork returned {pid}", flush=True)
    return pid
