"""The parent reads the file right after forking, without waiting for the child: the file
is not written yet (the parent reaps the child only afterwards).

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
    try:
        with open(path) as f:
            numbers = [int(line) for line in f]
    except FileNotFoundError:
        numbers = []
    os.waitpid(pid, 0)
    return items, numbers
