"""children reads /proc/<pid>/task/<pid>/children: it lists only the children forked by the
main thread (a child forked by another thread is missing), and it exists only on kernels
built with CONFIG_PROC_CHILDREN.

Must fail: test_children_of_a_process
"""


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return sorted(int(p) for p in f.read().split())
