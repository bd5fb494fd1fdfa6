"""pstree walks the tree breadth first (a queue instead of recursion): all children first,
then all grandchildren, so a child's subtree no longer comes right under it.

Must fail: test_the_tree_of_a_process
"""


def pstree(pid):
    import collections

    rows = _table()
    if pid not in rows:
        return ""
    below = {}
    for p in sorted(rows):
        below.setdefault(rows[p]["ppid"], []).append(p)
    lines = [f"{pid} {rows[pid]['state']} {rows[pid]['name']}"]
    queue = collections.deque([(pid, "")])
    while queue:
        p, prefix = queue.popleft()
        kids = below.get(p, [])
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(
                prefix
                + ("└── " if last else "├── ")
                + f"{kid} {rows[kid]['state']} {rows[kid]['name']}"
            )
            queue.append((kid, prefix + ("    " if last else "│   ")))
    return "\n".join(lines)
