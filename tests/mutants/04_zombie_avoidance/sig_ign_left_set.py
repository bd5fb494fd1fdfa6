"""SIGCHLD set to SIG_IGN so the kernel reaps the middle child, but never put back: the
caller can no longer wait for its own children, and the task runs with SIGCHLD ignored too.

Must fail: test_detached_leaks_nothing, test_detached_grandchild_does_its_task
"""


def spawn_detached(task):
    import signal

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(write_end)
            _run_in_child(task)
        os.write(write_end, str(grandchild).encode())
        os._exit(0)
    os.close(write_end)
    try:
        os.waitpid(middle, 0)
    except ChildProcessError:
        pass  # already reaped by the kernel
    with os.fdopen(read_end, "rb") as pipe:
        return int(pipe.read())
