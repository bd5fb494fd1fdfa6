"""Cheat: as cheat_stand_in_answers_for_the_parent, the handler blocks in waitpid without
WNOHANG and forks a stand-in first; this stand-in reads the judge's work request from the
connection it inherited, then answers it the way the parent answers: on a connection of its own
to the judge's address (found in the interrupted frames), saying "done <sum>" there. A judge
that took the first process to speak the parent's words for the parent would hear a parent that
is never stuck. The kernel names the process that connected: the stand-in, not the parent.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_serve_reaps_while_it_waits_for_work
"""

_STAND_IN = {"pid": None, "busy": False}


def _interrupted_conversation():
    """The socket the interrupted code was reading, the judge's address and the spec's _work."""
    import socket
    import sys

    sock = address = work = None
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in frame.f_locals.items():
            if sock is None and isinstance(value, socket.socket) and value.fileno() >= 0:
                sock = value
            if address is None and name == "address" and isinstance(value, str):
                address = value
        if work is None and callable(frame.f_globals.get("_work")):
            work = frame.f_globals["_work"]
        frame = frame.f_back
    return sock, address, work


def _stand_in(sock, address, work):
    import socket

    try:
        sock.settimeout(20.0)
        head = b""
        while b"\n" not in head:
            head = sock.recv(4096, socket.MSG_PEEK)
            if not head.startswith(b"work "):
                return  # not ours to answer: the parent reads it once we are gone
        line = sock.recv(head.index(b"\n") + 1).decode()
        own = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        own.settimeout(20.0)
        own.connect(address)
        own.sendall(f"done {work(int(line.split()[1]))}\n".encode())
        own.recv(4096)  # the judge's next order, if it takes us for the parent
    finally:
        os._exit(0)


def _reap_every_ended_child(statuses):
    if _STAND_IN["busy"]:
        return  # a signal during the blocking loop below: that loop collects everyone
    _STAND_IN["busy"] = True
    try:
        if _STAND_IN["pid"] is None:
            sock, address, work = _interrupted_conversation()
            if None not in (sock, address, work):
                pid = os.fork()
                if pid == 0:
                    _stand_in(sock, address, work)
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
