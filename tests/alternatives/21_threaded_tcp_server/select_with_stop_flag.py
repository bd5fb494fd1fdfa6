"""Correct, written another way than the reference: a server that can be stopped from
inside. Every thread waits with ``select.select`` and a one-second timeout, then checks a
shared ``threading.Event``: the accept loop selects on the listening socket, each client's
thread on its own socket before each ``recv()``. SIGTERM sets the event and the main thread
leaves its loop (``SystemExit``); client threads are daemons all the same.
"""

from __future__ import annotations

import re
import select
import signal
import socket
import threading

HOST = "127.0.0.1"
MAX_LINE = 1024
TICK = 1.0
INTEGER = re.compile(r"-?[0-9]+")

stopping = threading.Event()


def answer(text: str) -> str:
    command, space, argument = text.partition(" ")
    if command == "PING":
        return "ERR bad arguments" if space else "PONG"
    if command == "QUIT":
        return "ERR bad arguments" if space else "BYE"
    if command == "ECHO":
        return argument
    if command == "ADD":
        a, _, b = argument.partition(" ")
        if space and INTEGER.fullmatch(a) and INTEGER.fullmatch(b):
            return str(int(a) + int(b))
        return "ERR bad arguments"
    return "ERR unknown command"


def client(conn: socket.socket, max_line: int) -> None:
    buffer = bytearray()
    dropping = False
    with conn:
        try:
            while not stopping.is_set():
                ready, _, _ = select.select([conn], [], [], TICK)
                if not ready:
                    continue
                data = conn.recv(16384)
                if not data:
                    return
                buffer += data
                while (end := buffer.find(b"\n")) >= 0:
                    line = bytes(buffer[:end])
                    del buffer[: end + 1]
                    if dropping:
                        dropping = False
                        continue
                    if len(line) > max_line:
                        conn.sendall(b"ERR line too long\n")
                        continue
                    try:
                        text = answer(line.decode("utf-8"))
                    except UnicodeDecodeError:
                        text = "ERR not utf-8"
                    conn.sendall(text.encode("utf-8") + b"\n")
                    if line == b"QUIT":
                        return
                if len(buffer) > max_line:
                    if not dropping:
                        conn.sendall(b"ERR line too long\n")
                        dropping = True
                    buffer.clear()
        except OSError:
            return


def _on_sigterm(signum, frame) -> None:
    stopping.set()
    raise SystemExit(0)


def serve(port: int, max_line: int = MAX_LINE) -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    with socket.create_server((HOST, port), backlog=64, reuse_port=False) as listener:
        while not stopping.is_set():
            ready, _, _ = select.select([listener], [], [], TICK)
            if ready:
                conn, _ = listener.accept()
                threading.Thread(target=client, args=(conn, max_line), daemon=True).start()
