"""The child prints its line and ends with os._exit without flushing: os._exit skips
Python's buffers, so the child's line is lost when stdout is a pipe.

Must fail: test_output_is_not_doubled, test_fork_returns_twice
"""


def fork_and_greet():
    me = os.getpid()
    print(f"parent {me}: forking", flush=True)
    pid = os.fork()
    if pid == 0:
        print(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}")
        os._exit(0)
    os.waitpid(pid, 0)
    print(f"parent {me}: fork returned {pid}")
    return pid
