"""The middle child "exits" with sys.exit(0): SystemExit climbs out of spawn_detached in the
middle child, which goes on into the caller's code.

Must fail: test_detached_leaves_no_child_behind
"""


def spawn_detached(task):
    import sys

    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(write_end)
            _run_in_child(task)
        os.write(write_end, str(grandchild).encode())
        sys.exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        return int(pipe.read())
