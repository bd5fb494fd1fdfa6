"""The caller prints its first line and forks without flushing: the line is still in the
buffer that fork copies, so the child writes it again when it flushes its own line.

Must fail: test_output_is_not_doubled
"""


def fork_and_greet():
    me = os.getpid()
    print(f"parent {me}: forking")
    pid = os.fork()
    if pid == 0:
        try:
            print(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}")
            sys.stdout.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    print(f"parent {me}: fork returned {pid}")
    return pid
