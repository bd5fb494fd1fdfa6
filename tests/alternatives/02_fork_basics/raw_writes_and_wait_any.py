"""Exercise 02 written another way: unbuffered os.write() instead of print() and flush,
a file written with os.open/os.write, the parent reading it as one string, and Part 3
collecting the children with os.wait() in whatever order they end, decoding the status with
WIFEXITED/WEXITSTATUS and putting each result in its place by pid.
"""

import os


def _say(text):
    os.write(1, (text + "\n").encode())  # no Python buffer: nothing to flush, nothing copied


def fork_and_greet():
    me = os.getpid()
    _say(f"parent {me}: forking")
    child = os.fork()
    if child == 0:
        try:
            _say(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}")
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    _say(f"parent {me}: fork returned {child}")
    return child


def change_in_child(items, change, path):
    child = os.fork()
    if child == 0:
        code = 1
        try:
            change(items)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, "\n".join(str(n) for n in items).encode())
            finally:
                os.close(fd)
            code = 0
        finally:
            os._exit(code)
    os.waitpid(child, 0)
    with open(path) as f:
        text = f.read()
    return (items, [int(word) for word in text.split()])


def fork_children(codes):
    place = {}
    for index, code in enumerate(codes):
        child = os.fork()
        if child == 0:
            os._exit(code)
        place[child] = index
    results = [None] * len(codes)
    while place:
        child, status = os.wait()  # whichever child ends first
        index = place.pop(child)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        results[index] = (child, code)
    return results
