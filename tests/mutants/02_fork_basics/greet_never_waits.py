"""The parent prints and returns without waiting for its child: the child is still running
(or a zombie) when the call returns.

Must fail: test_greeting_child_is_reaped
"""


def fork_and_greet():
    me = os.getpid()
    print(f"parent {me}: forking", flush=True)
    pid = os.fork()
    if pid == 0:
        try:
            print(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}")
            sys.stdout.flush()
        finally:
            os._exit(0)
    print(f"parent {me}: fork returned {pid}")
    return pid
