"""Cheat: the handler blocks in waitpid without WNOHANG, as blocking_wait_in_handler does, and
hides it. Before it blocks, it forks a stand-in: a child that inherits the connection the
parent was waiting on when the signal came (found in the interrupted frames), reads the judge's
work requests from it and answers them, computing the sum with the spec's own function (found in
the frames' globals), until a line comes that is not a work request; then it ends, the blocked
waitpid collects it, and the parent reads that line itself. A judge that takes whatever comes on
the parent's connection for the parent's words hears a parent that is never stuck. The kernel
names who opened a connection, not who writes on it: a connection says one line, and the
judge's answer to it is the next order; a second line on it is another process speaking.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_serve_reaps_while_it_waits_for_work
"""

_STAND_IN = {"pid": None, "busy": False}


def _interrupted_connection():
    """The socket the interrupted code was reading, and the spec's _work, from the frames."""
    import socket
    import sys

    sock = work = None
    frame = sys._getframe(1)
    while frame is not None:
        for value in frame.f_locals.values():
            if sock is None and isinstance(getattr(value, "sock", None), socket.socket):
                value = value.sock
            if sock is None and isinstance(value, socket.socket) and value.fileno() >= 0:
                sock = value
        if work is None and callable(frame.f_globals.get("_work")):
            work = frame.f_globals["_work"]
        frame = frame.f_back
    return sock, work


def _stand_in(sock, work):
    import socket

    try:
        sock.settimeout(20.0)
        while True:
            head = sock.recv(4096, socket.MSG_PEEK)
            if not head.startswith(b"work "):
                return  # not ours to answer: the parent reads it once we are gone
            if b"\n" not in head:
                continue
            line = sock.recv(head.index(b"\n") + 1).decode()
            sock.sendall(f"done {work(int(line.split()[1]))}\n".encode())
    finally:
        os._exit(0)


def _reap_every_ended_child(statuses):
    if _STAND_IN["busy"]:
        return  # a signal during the blocking loop below: that loop collects everyone
    _STAND_IN["busy"] = True
    try:
        if _STAND_IN["pid"] is None:
            sock, work = _interrupted_connection()
            if sock is not None and work is not None:
                pid = os.fork()
                if pid == 0:
                    _stand_in(sock, work)
                _STAND_IN["pid"] = pid
        while True:
            try:
                pid, status = os.waitpid(-1, 0)  # blocks while any child still runs
            except ChildProcessError:
                return
            if pid == _STAND_IN["pid"]:
                _STAND_IN["pid"] = None
                continue
            statuses[pid] = os.waitstatus_to_exitcode(status)
    finally:
        _STAND_IN["busy"] = False
