"""Exercise 23 — a tftp-style file server over TCP (LIST, GET, PUT, QUIT).

Read README.md (or README.zh-CN.md) first: it defines the protocol byte by byte. Replace
each ``raise NotImplementedError`` with your code; keep the names and parameters of
``serve``, ``client_list``, ``client_get``, ``client_put``, ``TFTPError`` and
``ProtocolError`` (the grader calls those). The classes and helpers in between are a
suggested structure: change them as you like. Check your work with::

    grader check tftp
"""

from __future__ import annotations

import os  # noqa: F401 - you will need it
import signal  # noqa: F401 - you will need it
import socket
import tempfile  # noqa: F401 - you will need it
from collections.abc import Iterator

HOST = "127.0.0.1"
LINE_MAX = 1024  # longest command or status line, without the newline
CHUNK = 64 * 1024  # bytes per recv / read / send
TIMEOUT = 5.0  # seconds a client waits for the server


class TFTPError(Exception):
    """The server answered ``ERR <message>``; ``str(error)`` is the message."""


class ProtocolError(Exception):
    """The other side broke the protocol: it closed mid-message, or sent a bad line."""


# -- framing: lines and counted bytes on a byte stream (README: 'Framing') ----------------------


class Channel:
    """One connected TCP socket, seen as lines and counted payloads.

    ``recv`` returns whatever bytes have arrived: part of a message, or the end of one and
    the start of the next (粘包). Keep everything received but not used yet in
    ``self.buffer`` and cut lines and payloads out of it. The caller owns the socket and
    closes it; a Channel never does.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def read_line(self) -> str | None:
        """The next line, decoded, without its ``\\n``.

        None if the peer closed the connection before sending any byte of a line.
        ProtocolError if it closed in the middle of a line, or the line is longer than
        LINE_MAX bytes.
        """
        # TODO: look for b"\n" in the buffer; while there is none, recv() more and append.
        raise NotImplementedError

    def read_chunks(self, size: int) -> Iterator[bytes]:
        """Yield exactly ``size`` bytes, in pieces (buffered bytes first, then recv()).

        ProtocolError if the connection ends before ``size`` bytes have come.
        """
        # TODO: a generator; recv() returning b"" means the peer has closed.
        raise NotImplementedError

    def send_line(self, text: str) -> None:
        """Send ``text`` encoded as UTF-8, followed by ``\\n``."""
        # TODO: sendall(), never send(): send() may send only part of the bytes.
        raise NotImplementedError


def valid_name(name: str) -> bool:
    """True for a plain file name that stays inside the served folder and is not hidden.

    Refused: the empty name, names containing ``/``, ``\\`` or ``..``, names starting with
    ``.``, names with control characters (a newline!), names longer than 255 bytes.
    """
    # TODO (README: 'Names')
    raise NotImplementedError


# -- the server (README: 'One process per client', 'Zombies') ----------------------------------


class TFTPServer:
    """Serves the regular files of one folder on 127.0.0.1:port, one child process per client."""

    def __init__(self, folder: str, port: int) -> None:
        """Remember the folder; create the listening socket: bind (HOST, port), listen."""
        # TODO: set SO_REUSEADDR before bind().
        raise NotImplementedError

    def serve_forever(self) -> None:
        """Accept clients forever; fork one child per client; reap every child that ends.

        Parent: close its copy of the connected socket, go back to accept().
        Child: close the listening socket, ``self.handle(conn)``, close the connection,
        ``os._exit(0)`` — whatever happened (try/finally). Never return into this loop.
        """
        # TODO: SIGCHLD handler (loop on os.waitpid(-1, os.WNOHANG)) or SIG_IGN, then the loop.
        raise NotImplementedError

    def handle(self, conn: socket.socket) -> None:
        """Answer one client's commands until QUIT, or until it goes away.

        Unknown commands and failed ones are answered with ``ERR <message>``; the
        connection stays open. A PUT whose size is not decimal digits gets ``ERR`` and may
        end the connection (where its data ends cannot be known). A client that vanishes
        (b"", ProtocolError, OSError) ends this handler quietly.
        """
        # TODO: read_line(), split the verb from the rest, call do_list / do_get / do_put.
        raise NotImplementedError

    def do_list(self, chan: Channel) -> None:
        """``OK <n>`` and n bytes: the regular files with valid names, each followed by \\n.

        Folders and symbolic links are not listed."""
        # TODO (README: 'LIST')
        raise NotImplementedError

    def do_get(self, chan: Channel, name: str) -> None:
        """``OK <size>`` and the file's bytes, or ``ERR <message>`` (also for a symbolic link)."""
        # TODO (README: 'GET')
        raise NotImplementedError

    def do_put(self, chan: Channel, name: str, size: int) -> None:
        """Receive exactly ``size`` bytes and store them as ``name``; then ``OK 0``.

        A refused name: read the ``size`` bytes anyway, throw them away, answer ERR.
        A good name: write into a hidden temporary file in the folder, and os.replace() it
        onto ``name`` after the last byte. If the connection ends first, delete it; if
        ``name`` is a folder, os.replace() fails: delete it and answer ERR.
        """
        # TODO (README: 'PUT')
        raise NotImplementedError


def serve(folder: str, port: int) -> None:
    """Serve ``folder`` on 127.0.0.1:port until killed. The grader starts this."""
    TFTPServer(folder, port).serve_forever()


# -- the client (README: 'Client') ---------------------------------------------------------------
#
# Each function opens its own connection (with a timeout), sends its command, reads the
# answer, then sends QUIT, reads its ``OK 0``, and closes.


def client_list(port: int) -> list[str]:
    """The names the server on 127.0.0.1:port lists."""
    # TODO
    raise NotImplementedError


def client_get(port: int, name: str, dest_folder: str) -> int:
    """Download ``name`` into ``dest_folder/name``; return its size in bytes.

    ``ERR <message>`` from the server: raise TFTPError(message) and create no file.
    A connection that ends before all bytes came: raise ProtocolError and leave no file.
    """
    # TODO: receive into a temporary file in dest_folder, os.replace() it when complete.
    raise NotImplementedError


def client_put(port: int, path: str) -> int:
    """Upload the file at ``path`` under its own name (os.path.basename); return its size.

    Return only after the server has answered ``OK 0``; ``ERR <message>``: raise TFTPError.
    """
    # TODO
    raise NotImplementedError
