"""A real double fork, but the caller never waits for the middle child: it stays a zombie.

Must fail: test_detached_leaves_no_child_behind
"""


def spawn_detached(task):
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
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()
    return int(answer)  # forgot os.waitpid(middle, 0)
