"""The double fork waits for the task to end before returning (a grandchild cannot be waited
for, so it holds the pipe open and reads until EOF: the read ends when the grandchild does).

Must fail: test_detached_grandchild_does_its_task, test_detached_grandchild_is_not_your_child
"""


def spawn_detached(task):
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        grandchild = os.fork()
        if grandchild == 0:
            os.write(write_end, str(os.getpid()).encode())
            _run_in_child(task)  # keeps its copy of the write end open while the task runs
        os._exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()  # EOF only when the grandchild has ended
    return int(answer)
