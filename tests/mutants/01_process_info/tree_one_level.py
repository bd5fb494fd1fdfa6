"""pstree lists the process and its children, but not their children: grandchildren and
everything deeper are lost.

Must fail: test_the_tree_of_a_process
"""


def pstree(pid):
    rows = _table()
    if pid not in rows:
        return ""
    kids = sorted(p for p, info in rows.items() if info["ppid"] == pid)
    lines = [f"{pid} {rows[pid]['state']} {rows[pid]['name']}"]
    for i, kid in enumerate(kids):
        branch = "└── " if i == len(kids) - 1 else "├── "
        lines.append(f"{branch}{kid} {rows[kid]['state']} {rows[kid]['name']}")
    return "\n".join(lines)
