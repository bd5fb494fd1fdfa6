"""Exercise 21 — a threaded TCP server: one thread per client.

Read README.md (or README.zh-CN.md) first: it has the protocol and the rules that are graded.
Replace each ``raise NotImplementedError`` with your code; keep the function names and
parameters of ``serve``. The other functions are a suggested shape: change them if you like.
Check your work with::

    grader check 21

Try it by hand: ``python3 -c "import threaded_tcp_server as s; s.serve(8021)"`` in this
folder, then ``nc 127.0.0.1 8021`` in another terminal and type ``PING``.
"""

from __future__ import annotations

import socket
import threading  # noqa: F401 - you will need it
from collections.abc import Iterator

HOST = "127.0.0.1"  # bind here only, never to "" or "0.0.0.0"
MAX_LINE = 1024  # bytes in one line, not counting its "\n"
RECV_SIZE = 4096


def serve(port: int, max_line: int = MAX_LINE) -> None:
    """Serve the line protocol of the README on ``127.0.0.1:port`` until the process ends.

    Create a TCP socket, set ``SO_REUSEADDR``, bind ``(HOST, port)``, listen, and accept
    forever. Each accepted connection is served by its own ``threading.Thread`` (running
    ``handle_client``); the main thread never talks to clients, it only accepts. The server
    starts no processes. SIGTERM must stop it within a second.

    ``max_line`` is the longest line (in bytes, without its ``\\n``) the server accepts.
    """
    # TODO: socket, SO_REUSEADDR, bind, listen; then loop: accept, start a thread, repeat.
    raise NotImplementedError


def handle_client(conn: socket.socket, max_line: int) -> None:
    """Serve one client until it disconnects or sends ``QUIT``; runs in the client's thread.

    This thread owns ``conn`` and must close it when done. A broken connection (the client
    reset it) ends this client only, never the server: catch ``OSError`` here.
    """
    # TODO: for each line from read_lines(): send reply_to(line) + "\n", or the error reply
    # for a line that is too long; after QUIT's reply, close the connection.
    raise NotImplementedError


def read_lines(conn: socket.socket, max_line: int) -> Iterator[bytes | None]:
    """Yield each complete line received on ``conn`` (bytes, without ``\\n``) until EOF.

    One ``recv()`` is not one line: it may bring half a line, or several lines (粘包). Keep
    the bytes in a buffer and cut lines out at ``b"\\n"``. A line longer than ``max_line``
    is yielded as ``None`` as soon as that is known, even before its ``\\n`` arrives, and the
    rest of it is dropped as it arrives: the buffer must never grow without bound.
    """
    # TODO: buffer, split at b"\n", refuse over-long lines early, keep the buffer small.
    raise NotImplementedError


def reply_to(line: bytes) -> str:
    """The reply (without ``\\n``) to one request line (without ``\\n``).

    ``PING`` -> ``PONG``; ``ECHO <text>`` -> ``<text>``; ``ADD <a> <b>`` -> the sum;
    ``QUIT`` -> ``BYE``; and the ``ERR ...`` replies of the README. Decode the whole line
    as UTF-8 here (not each chunk from ``recv()``: a character can be split between two).
    """
    # TODO: decode (bad bytes -> "ERR not utf-8"), split off the command, answer it.
    raise NotImplementedError
