"""Correct, written another way than the reference: every thread wakes every 50 ms to check a
stop flag, and reads in large pieces. The accept loop and each client's thread wait with
``select.poll`` and a short timeout, the client's thread on its own socket alone, then
``recv_into()`` a 1 MiB buffer (the socket itself stays blocking, so ``sendall`` to a slow
reader has no deadline). SIGTERM sets the flag and raises ``SystemExit``; the client threads
are not daemons, they see the flag within a tick and end by themselves.

A busy way to idle (each thread wakes 20 times a second) and the cheapest way to read (few
large ``recv`` calls): the judge's check that a client's own thread reads its bytes must hold
for it too.
"""

from __future__ import annotations

import re
import select
import signal
import socket
import threading

HOST = "127.0.0.1"
MAX_LINE = 1024
TICK_MS = 50
READ_SIZE = 1 << 20
INTEGER = re.compile(r"-?[0-9]+")

stop = threading.Event()


def respond(line: bytes) -> bytes:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return b"ERR not utf-8\n"
    command, space, argument = text.partition(" ")
    if command == "PING" and not space:
        text = "PONG"
    elif command == "QUIT" and not space:
        text = "BYE"
    elif command in ("PING", "QUIT"):
        text = "ERR bad arguments"
    elif command == "ECHO":
        text = argument
    elif command == "ADD":
        numbers = argument.split(" ")
        ok = space and len(numbers) == 2 and all(INTEGER.fullmatch(n) for n in numbers)
        text = str(int(numbers[0]) + int(numbers[1])) if ok else "ERR bad arguments"
    else:
        text = "ERR unknown command"
    return text.encode("utf-8") + b"\n"


def ready(sock: socket.socket) -> bool:
    """Wait up to one tick for ``sock`` to be readable; False on a quiet tick."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(TICK_MS))


def talk(conn: socket.socket, max_line: int) -> None:
    piece = bytearray(READ_SIZE)
    line = bytearray()  # the line so far
    refused = False  # inside a line that was already answered with an error
    with conn:
        try:
            while not stop.is_set():
                if not ready(conn):
                    continue
                n = conn.recv_into(piece)
                if n == 0:
                    return
                start = 0
                while start < n:
                    end = piece.find(b"\n", start, n)
                    stop_at = n if end < 0 else end
                    if not refused:
                        line += piece[start:stop_at]
                        if len(line) > max_line:
                            conn.sendall(b"ERR line too long\n")
                            refused = True
                            line.clear()
                    if end < 0:
                        break
                    start = end + 1
                    if refused:
                        refused = False
                        continue
                    request = bytes(line)
                    line.clear()
                    conn.sendall(respond(request))
                    if request == b"QUIT":
                        return
        except OSError:
            return


def _on_sigterm(signum, frame) -> None:
    stop.set()
    raise SystemExit(0)


def serve(port: int, max_line: int = MAX_LINE) -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(64)
        while not stop.is_set():
            if ready(listener):
                conn, _ = listener.accept()
                threading.Thread(target=talk, args=(conn, max_line)).start()
