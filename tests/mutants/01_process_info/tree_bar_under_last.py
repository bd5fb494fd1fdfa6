"""pstree draws '│   ' below every child, the last one too: the line goes on under a branch
that has ended ('└──').

Must fail: test_the_tree_of_a_process
"""


def pstree(pid):
    rows = _table()
    if pid not in rows:
        return ""
    below = {}
    for p in sorted(rows):
        below.setdefault(rows[p]["ppid"], []).append(p)
    lines = [f"{pid} {rows[pid]['state']} {rows[pid]['name']}"]

    def walk(p, prefix):
        kids = below.get(p, [])
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(
                prefix
                + ("└── " if last else "├── ")
                + f"{kid} {rows[kid]['state']} {rows[kid]['name']}"
            )
            walk(kid, prefix + "│   ")

    walk(pid, "")
    return "\n".join(lines)
