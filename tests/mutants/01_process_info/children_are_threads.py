"""children lists the folders of /proc/<pid>/task: those are the threads of the process,
not the processes it forked.

Must fail: test_children_of_a_process
"""


def children(pid):
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid)
    except FileNotFoundError:
        return []
