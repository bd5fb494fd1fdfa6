"""The caller reads the pid with one os.read and never closes the read end: one descriptor
leaked per call, until os.pipe() fails with "Too many open files".

Must fail: test_detached_leaks_nothing
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
    os.waitpid(middle, 0)
    return int(os.read(read_end, 64))  # read_end stays open
