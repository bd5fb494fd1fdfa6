"""Alternative for exercise 23: the server is socketserver.ForkingTCPServer.

ForkingMixIn forks one child per connection, closes the parent's copy of it, ends the child
with os._exit, and reaps finished children in its serve_forever loop (every poll interval), so
no SIGCHLD handler is needed. Uploads to a refused name still go through a temporary file that
is thrown away. The client side is the reference's.
"""

from __future__ import annotations

import os
import socket
import socketserver
import tempfile
from collections.abc import Iterator

HOST = "127.0.0.1"
LINE_MAX = 1024  # longest command or status line, without the newline
CHUNK = 64 * 1024  # bytes per recv / read / send
TIMEOUT = 5.0  # seconds a client waits for the server


class TFTPError(Exception):
    """The server answered ``ERR <message>``; ``str(error)`` is the message."""


class ProtocolError(Exception):
    """The other side broke the protocol: it closed mid-message, or sent a bad line."""


# -- framing: lines and counted bytes on a byte stream ------------------------------------------


class Channel:
    """One connected TCP socket, seen as lines and counted payloads.

    ``recv`` returns whatever bytes have arrived: part of a message, or the end of one and
    the start of the next. Everything received but not used yet waits in ``self.buffer``.
    The caller owns the socket and closes it; a Channel never does.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> bool:
        """Receive more bytes into the buffer; False when the peer has closed its side."""
        data = self.sock.recv(CHUNK)
        self.buffer += data
        return bool(data)

    def read_line(self) -> str | None:
        """The next line without its ``\\n``; None if the peer closed before sending one."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                raw = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ProtocolError("a line that is not UTF-8") from None
            if len(self.buffer) > LINE_MAX:
                raise ProtocolError(f"a line longer than {LINE_MAX} bytes")
            if not self._fill():
                if self.buffer:
                    raise ProtocolError("the connection closed in the middle of a line")
                return None

    def read_chunks(self, size: int) -> Iterator[bytes]:
        """Yield exactly ``size`` bytes, in pieces; ProtocolError if the connection ends first."""
        left = size
        while left > 0:
            if not self.buffer and not self._fill():
                raise ProtocolError(f"the connection closed with {left} of {size} bytes missing")
            piece = bytes(self.buffer[:left])
            del self.buffer[: len(piece)]
            left -= len(piece)
            yield piece

    def send_line(self, text: str) -> None:
        self.sock.sendall(text.encode("utf-8") + b"\n")


def valid_name(name: str) -> bool:
    """True for a plain file name that stays inside the served folder and is not hidden."""
    return (
        0 < len(name.encode("utf-8")) <= 255
        and not name.startswith(".")  # hidden files, ".", "..", and our own temporary files
        and ".." not in name
        and "/" not in name
        and "\\" not in name
        and all(ord(c) >= 32 for c in name)  # no newline, no NUL
    )


# -- the server: socketserver.ForkingTCPServer does the accept / fork / reap loop -----------------


def _regular(folder: str, name: str) -> bool:
    path = os.path.join(folder, name)
    return os.path.isfile(path) and not os.path.islink(path)


class Handler(socketserver.BaseRequestHandler):
    """One client, in the child process ForkingMixIn forked for it (it ends with os._exit)."""

    server: Server

    def handle(self) -> None:
        chan = Channel(self.request)
        try:
            while True:
                line = chan.read_line()
                if line is None:
                    return
                verb, _, rest = line.partition(" ")
                if verb == "QUIT" and not rest:
                    chan.send_line("OK 0")
                    return
                if verb == "PUT" and rest:
                    name, _, size = rest.rpartition(" ")
                    if not (size.isascii() and size.isdigit()):
                        chan.send_line("ERR malformed PUT line")
                        return
                    self.put(chan, name, int(size))
                elif verb == "LIST" and not rest:
                    self.list(chan)
                elif verb == "GET" and rest:
                    self.get(chan, rest)
                else:
                    chan.send_line("ERR unknown command")
        except (ProtocolError, OSError):
            return

    def list(self, chan: Channel) -> None:
        folder = self.server.folder
        names = [n for n in sorted(os.listdir(folder)) if valid_name(n) and _regular(folder, n)]
        payload = b"".join(n.encode() + b"\n" for n in names)
        chan.sock.sendall(b"OK %d\n" % len(payload) + payload)

    def get(self, chan: Channel, name: str) -> None:
        if not valid_name(name) or not _regular(self.server.folder, name):
            chan.send_line(f"ERR cannot send {name!r}")
            return
        try:
            with open(os.path.join(self.server.folder, name), "rb") as f:
                data = f.read()
        except OSError as exc:
            chan.send_line(f"ERR {exc.strerror}")
            return
        chan.sock.sendall(b"OK %d\n" % len(data) + data)

    def put(self, chan: Channel, name: str, size: int) -> None:
        good = valid_name(name)
        fd, tmp = tempfile.mkstemp(dir=self.server.folder, prefix=".in-")
        try:
            with os.fdopen(fd, "wb") as f:
                for piece in chan.read_chunks(size):
                    if good:
                        f.write(piece)
            if not good:
                chan.send_line("ERR bad name")
                return
            try:
                os.replace(tmp, os.path.join(self.server.folder, name))
            except OSError as exc:
                chan.send_line(f"ERR {exc.strerror}")
                return
            chan.send_line("OK 0")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True

    def __init__(self, folder: str, port: int) -> None:
        self.folder = os.path.abspath(folder)
        super().__init__((HOST, port), Handler)


def serve(folder: str, port: int) -> None:
    """Serve ``folder`` on 127.0.0.1:port until killed."""
    with Server(folder, port) as server:
        server.serve_forever(poll_interval=0.1)


# -- the client ---------------------------------------------------------------------------------


def _connect(port: int) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=TIMEOUT)


def _expect_ok(chan: Channel) -> int:
    """Read one status line: the byte count of ``OK <n>``, or raise TFTPError for ``ERR``."""
    line = chan.read_line()
    if line is None:
        raise ProtocolError("the server closed the connection instead of answering")
    status, _, rest = line.partition(" ")
    if status == "OK" and rest.isascii() and rest.isdigit():
        return int(rest)
    if status == "ERR":
        raise TFTPError(rest)
    raise ProtocolError(f"unexpected reply {line[:80]!r}")


def _quit(chan: Channel) -> None:
    chan.send_line("QUIT")
    for _ in chan.read_chunks(_expect_ok(chan)):
        pass


def client_list(port: int) -> list[str]:
    """The names the server lists."""
    with _connect(port) as sock:
        chan = Channel(sock)
        chan.send_line("LIST")
        payload = b"".join(chan.read_chunks(_expect_ok(chan)))
        _quit(chan)
    return payload.decode("utf-8").splitlines()


def client_get(port: int, name: str, dest_folder: str) -> int:
    """Download ``name`` into ``dest_folder/name``; its size in bytes."""
    if not valid_name(name):
        raise ValueError(f"refusing to download {name!r}: not a plain file name")
    with _connect(port) as sock:
        chan = Channel(sock)
        chan.send_line(f"GET {name}")
        size = _expect_ok(chan)  # ERR -> TFTPError, before any file is created
        fd, tmp = tempfile.mkstemp(dir=dest_folder, prefix=".download-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                for piece in chan.read_chunks(size):
                    f.write(piece)
            os.replace(tmp, os.path.join(dest_folder, name))
        except BaseException:
            os.unlink(tmp)  # an interrupted download leaves nothing behind
            raise
        _quit(chan)
    return size


def client_put(port: int, path: str) -> int:
    """Upload the file at ``path`` under its own name; its size in bytes."""
    name = os.path.basename(path)
    with open(path, "rb") as f, _connect(port) as sock:
        chan = Channel(sock)
        size = os.fstat(f.fileno()).st_size
        chan.send_line(f"PUT {name} {size}")
        left = size
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                raise ProtocolError(f"{path} shrank while it was being sent")
            sock.sendall(data)
            left -= len(data)
        _expect_ok(chan)  # ERR -> TFTPError; OK -> the server has stored the whole file
        _quit(chan)
    return size
