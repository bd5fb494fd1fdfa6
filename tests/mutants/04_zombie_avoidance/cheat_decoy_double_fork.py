"""Cheat: a real double fork of a decoy grandchild that only sleeps, whose pid is returned,
while the task runs in a plain child of the caller (a single fork in disguise).

Must fail: test_detached_grandchild_does_its_task, test_detached_leaves_no_child_behind
"""


def spawn_detached(task):
    import time

    if os.fork() == 0:
        _run_in_child(task)  # the real work: the caller's own child
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        decoy = os.fork()
        if decoy == 0:
            os.close(write_end)
            time.sleep(30)
            os._exit(0)
        os.write(write_end, str(decoy).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        return int(pipe.read())
