"""Correct, written another way than the reference: a ``threading.Thread`` subclass per
client, and sockets with timeouts. A client that stays silent for ten minutes is dropped
(``conn.settimeout``), so an idle client's thread waits in ``poll()`` on its socket before each
``recv_into()``, not in ``recv()`` itself; the accept loop wakes every second (a timeout on the
listening socket). Lines are cut out of each chunk as it comes (``recv_into`` a fixed
buffer), and SIGTERM keeps its default action.
"""

from __future__ import annotations

import socket
import threading

HOST = "127.0.0.1"
MAX_LINE = 1024
IDLE_TIMEOUT = 600.0  # seconds a client may stay silent


def _integer(text: str) -> bool:
    body = text.removeprefix("-")
    return body.isascii() and body.isdigit()


def reply(line: bytes) -> bytes:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return b"ERR not utf-8\n"
    command, space, argument = text.partition(" ")
    if command == "ECHO":
        answer = argument
    elif command in ("PING", "QUIT"):
        answer = "ERR bad arguments" if space else {"PING": "PONG", "QUIT": "BYE"}[command]
    elif command == "ADD":
        parts = argument.split(" ")
        if space and len(parts) == 2 and all(_integer(p) for p in parts):
            answer = str(int(parts[0]) + int(parts[1]))
        else:
            answer = "ERR bad arguments"
    else:
        answer = "ERR unknown command"
    return answer.encode("utf-8") + b"\n"


class ClientThread(threading.Thread):
    def __init__(self, conn: socket.socket, max_line: int) -> None:
        super().__init__(name="client", daemon=True)
        self.conn = conn
        self.max_line = max_line

    def run(self) -> None:
        with self.conn:
            try:
                self.serve()
            except OSError:  # a reset, a timeout (TimeoutError is an OSError), a broken pipe
                pass

    def serve(self) -> None:
        conn, limit = self.conn, self.max_line
        conn.settimeout(IDLE_TIMEOUT)
        chunk = bytearray(65536)
        view = memoryview(chunk)
        pending = bytearray()  # the start of the next line
        dropping = False  # inside a refused line
        while True:
            n = conn.recv_into(chunk)
            if n == 0:
                return  # EOF: a partial line is dropped
            start = 0
            while (end := chunk.find(b"\n", start, n)) >= 0:
                piece, start = view[start:end], end + 1
                if dropping:
                    dropping = False  # the end of a refused line
                    continue
                pending += piece
                line = bytes(pending)
                pending.clear()
                if len(line) > limit:
                    conn.sendall(b"ERR line too long\n")
                    continue
                conn.sendall(reply(line))
                if line == b"QUIT":
                    return
            if not dropping:
                pending += view[start:n]
            if len(pending) > limit:
                conn.sendall(b"ERR line too long\n")
                dropping = True
                pending.clear()


def serve(port: int, max_line: int = MAX_LINE) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(64)
    listener.settimeout(1.0)
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        ClientThread(conn, max_line).start()
