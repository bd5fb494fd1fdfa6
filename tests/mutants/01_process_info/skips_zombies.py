"""children leaves zombies out ("they are dead"): a zombie is still a child of its parent
until the parent collects it.

Must fail: test_children_of_a_process
"""


def children(pid):
    return sorted(p for p, info in _table().items() if info["ppid"] == pid and info["state"] != "Z")
