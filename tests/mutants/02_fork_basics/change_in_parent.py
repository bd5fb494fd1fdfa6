"""change() is called in the parent (a single process does the work); the child only
writes the file. The parent's own list is changed and the pid in it is the caller's.

Must fail: test_child_change_stays_in_the_child, test_parent_reads_what_the_child_wrote
"""


def change_in_child(items, change, path):
    change(items)
    pid = os.fork()
    if pid == 0:
        try:
            with open(path, "w") as f:
                f.write("".join(f"{n}\n" for n in items))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    with open(path) as f:
        return items, [int(line) for line in f]
