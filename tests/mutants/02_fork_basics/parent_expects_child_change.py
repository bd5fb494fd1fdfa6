"""The child changes the list and the parent expects to see the change in its own list:
it returns its own (unchanged) list as the child's, never reading the file.

Must fail: test_parent_reads_what_the_child_wrote
"""


def change_in_child(items, change, path):
    pid = os.fork()
    if pid == 0:
        try:
            change(items)
            with open(path, "w") as f:
                f.write("".join(f"{n}\n" for n in items))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return items, items
