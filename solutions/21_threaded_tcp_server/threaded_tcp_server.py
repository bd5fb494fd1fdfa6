"""Exercise 21 — a threaded TCP server: reference solution.

The ideas, each where it lives:

* ``serve``: the main thread only accepts. Every accepted connection gets its own thread,
  started and *not* joined, so the main thread is back in ``accept()`` at once and no client
  can hold up another (多线程并发: 主线程继续等待其他客户端连接，分支线程处理客户端请求).
* ``read_lines``: TCP is a byte stream. One ``recv()`` may hold half a line or three lines
  (粘包), so bytes go into a buffer and lines are cut out at ``\\n``. The buffer never holds
  more than ``max_line`` bytes plus one ``recv()``: a longer line is answered with an error
  at once and the rest of it is thrown away as it arrives.
* ``handle_client``: a client's trouble (reset, bad bytes) ends that client's thread, never
  the server. The thread owns its socket and closes it (``with conn``).
* ``serve`` again: ``SO_REUSEADDR`` lets a restarted server bind the port while connections
  of the old one are still in TIME_WAIT; SIGTERM becomes ``SystemExit`` so the listening
  socket is closed by ``with``, and the client threads are daemons, so they do not keep the
  process alive.
"""

from __future__ import annotations

import re
import signal
import socket
import threading
from collections.abc import Iterator
from types import FrameType

HOST = "127.0.0.1"
MAX_LINE = 1024  # bytes in one line, not counting its "\n"
RECV_SIZE = 4096
BACKLOG = 64  # 20 clients connecting at once must not overflow the accept queue

INTEGER = re.compile(r"-?[0-9]+")


def serve(port: int, max_line: int = MAX_LINE) -> None:
    signal.signal(signal.SIGTERM, _stop)  # the default action would also do; this one is clean
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        # Without this, bind() fails with EADDRINUSE while sockets of the previous server on
        # this port wait out TIME_WAIT (up to a minute after it stopped).
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            # One thread per client, started and not joined: the main thread goes straight
            # back to accept(). daemon=True: an idle client cannot keep a stopping server alive.
            worker = threading.Thread(
                target=handle_client, args=(conn, max_line), name="client", daemon=True
            )
            worker.start()


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # unwinds serve(): `with` closes the listening socket


def handle_client(conn: socket.socket, max_line: int) -> None:
    """Serve one client until it leaves (or sends QUIT). Runs in the client's own thread.

    Owns ``conn`` and closes it. A connection error (the client reset, went away while we
    wrote) ends this client only: the exception stops here, the server goes on.
    """
    with conn:
        try:
            for line in read_lines(conn, max_line):
                if line is None:
                    conn.sendall(b"ERR line too long\n")
                    continue
                reply = reply_to(line)
                conn.sendall(reply.encode("utf-8") + b"\n")
                if line == b"QUIT":
                    return  # closing first is ours to do: the client sees EOF after BYE
        except OSError:
            return  # ECONNRESET, EPIPE, ...: this client is gone, nobody else is affected


def read_lines(conn: socket.socket, max_line: int) -> Iterator[bytes | None]:
    """Yield every complete line from ``conn`` (bytes, without ``\\n``) until EOF.

    A line longer than ``max_line`` bytes is yielded as ``None``, once, as soon as it is
    known to be too long (even before its ``\\n`` arrives); its remaining bytes, up to and
    including the next ``\\n``, are dropped as they arrive. The buffer stays below
    ``max_line + RECV_SIZE`` bytes whatever the client sends. A partial line at EOF is dropped.
    """
    buffer = bytearray()
    discarding = False  # inside a line that was already refused
    while True:
        chunk = conn.recv(RECV_SIZE)
        if not chunk:
            return
        buffer += chunk
        # One recv() may hold many lines: cut out every complete one. Only a chunk with a
        # "\n" can complete a line, so a long line is not rescanned on every recv().
        while b"\n" in chunk:
            end = buffer.find(b"\n")
            if end < 0:
                break
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            if discarding:
                discarding = False  # that was the tail of the refused line
            elif len(line) > max_line:
                yield None
            else:
                yield line
        if len(buffer) > max_line:  # no "\n" in sight and already too long
            if not discarding:
                yield None
                discarding = True
            buffer.clear()


def reply_to(line: bytes) -> str:
    """The reply to one request line (without the ``\\n``) — see the protocol in the README."""
    try:
        text = line.decode("utf-8")  # decode whole lines: a character may span two recv()s
    except UnicodeDecodeError:
        return "ERR not utf-8"
    command, space, argument = text.partition(" ")
    if command == "PING":
        return "ERR bad arguments" if space else "PONG"
    if command == "ECHO":
        return argument
    if command == "ADD":
        numbers = argument.split(" ")
        if space and len(numbers) == 2 and all(INTEGER.fullmatch(n) for n in numbers):
            return str(int(numbers[0]) + int(numbers[1]))
        return "ERR bad arguments"
    if command == "QUIT":
        return "ERR bad arguments" if space else "BYE"
    return "ERR unknown command"
