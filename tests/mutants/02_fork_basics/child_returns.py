"""The child prints its line and returns instead of ending with os._exit: it climbs back
into the caller's code (the sandbox stops it there and reports it).

Must fail: test_fork_returns_twice, test_output_is_not_doubled, test_greeting_child_is_reaped
"""


def fork_and_greet():
    me = os.getpid()
    print(f"parent {me}: forking", flush=True)
    pid = os.fork()
    if pid == 0:
        print(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}", flush=True)
        return 0
    os.waitpid(pid, 0)
    print(f"parent {me}: fork returned {pid}")
    return pid
