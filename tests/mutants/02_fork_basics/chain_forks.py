"""Children forked in a chain: the caller forks the first child, each child forks the next
one and waits for it; the pids come back to the caller through a pipe.

Must fail: test_children_are_forked_by_the_caller
"""


def fork_children(codes):
    if not codes:
        return []
    r, w = os.pipe()

    def link(i):
        pid = os.fork()
        if pid == 0:
            try:
                if i == 0:
                    os.close(r)  # the later links inherit it closed
                os.write(w, f"{os.getpid()}\n".encode())
                if i + 1 < len(codes):
                    nxt = link(i + 1)
                    os.waitpid(nxt, 0)
            finally:
                os._exit(codes[i])
        return pid

    first = link(0)
    os.close(w)
    _, status = os.waitpid(first, 0)
    with os.fdopen(r) as f:
        pids = [int(line) for line in f]
    return [(pid, code) for pid, code in zip(pids, codes)]
