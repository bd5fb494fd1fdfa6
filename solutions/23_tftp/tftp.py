"""Exercise 23 — a tftp-style file server over TCP: reference solution.

Three ideas live here:

* TCP is a byte stream, not a stream of messages (粘包). ``Channel`` keeps what ``recv``
  returned in a buffer and cuts lines and counted payloads out of it, so it does not matter
  whether a message arrives in ten pieces or glued to the next one.
* One process per client: the parent only accepts and forks; the child serves one client and
  ends with ``os._exit``. The parent closes its copy of the connection, and reaps every child
  from a SIGCHLD handler, so no zombie is left even when no new client comes.
* Nothing outside the folder: a name is one plain file name (no ``/``, no ``..``, no leading
  dot), and an upload goes to a hidden temporary file that is renamed only when complete.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
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


# -- the server ---------------------------------------------------------------------------------


def _reap_children(signum: int, frame: object) -> None:
    """SIGCHLD handler: reap *every* finished child (signals merge: one may stand for many)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class TFTPServer:
    """Serves the regular files of one folder on 127.0.0.1:port, one child process per client.

    The server owns the listening socket. After ``fork`` the parent closes its copy of the
    connected socket and the child closes the listening socket: each process keeps only what
    it uses.
    """

    def __init__(self, folder: str, port: int) -> None:
        self.folder = os.path.abspath(folder)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, port))
        self.listener.listen(64)

    def serve_forever(self) -> None:
        # signal.SIG_IGN would work too: the kernel then reaps the children by itself.
        signal.signal(signal.SIGCHLD, _reap_children)
        while True:
            conn, _ = self.listener.accept()  # retried by Python if SIGCHLD interrupts it
            pid = os.fork()
            if pid == 0:  # the child: serve this one client, then end, whatever happens
                code = 0
                try:
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    self.listener.close()
                    self.handle(conn)
                except BaseException:
                    code = 1
                finally:
                    conn.close()
                    os._exit(code)  # never return into the accept loop
            conn.close()  # the parent's copy; without this the client never sees the end

    def handle(self, conn: socket.socket) -> None:
        """Answer one client's commands until QUIT or until it goes away."""
        chan = Channel(conn)
        try:
            while True:
                line = chan.read_line()
                if line is None:  # the client left without QUIT: fine
                    return
                verb, _, rest = line.partition(" ")
                if verb == "LIST" and not rest:
                    self.do_list(chan)
                elif verb == "GET" and rest:
                    self.do_get(chan, rest)
                elif verb == "PUT" and rest:
                    name, _, size = rest.rpartition(" ")
                    if not (size.isascii() and size.isdigit()):
                        # Without a byte count we cannot tell where the data ends: stop here.
                        chan.send_line("ERR PUT needs a name and a byte count")
                        return
                    self.do_put(chan, name, int(size))
                elif verb == "QUIT" and not rest:
                    chan.send_line("OK 0")
                    return
                else:
                    chan.send_line(f"ERR unknown command {verb[:40]!r}")
        except (ProtocolError, OSError):
            return  # the client broke the protocol or vanished: end this client only

    def _regular(self, name: str) -> bool:
        """A regular file of the folder itself: a symbolic link is not, wherever it points."""
        path = os.path.join(self.folder, name)
        return os.path.isfile(path) and not os.path.islink(path)

    def do_list(self, chan: Channel) -> None:
        names = sorted(
            name for name in os.listdir(self.folder) if valid_name(name) and self._regular(name)
        )
        payload = "".join(name + "\n" for name in names).encode("utf-8")
        chan.sock.sendall(f"OK {len(payload)}\n".encode() + payload)

    def do_get(self, chan: Channel, name: str) -> None:
        if not valid_name(name):
            chan.send_line(f"ERR refused name {name!r}")
            return
        try:
            # O_NOFOLLOW: a symbolic link in the folder could point anywhere (/etc/passwd).
            fd = os.open(os.path.join(self.folder, name), os.O_RDONLY | os.O_NOFOLLOW)
            f = os.fdopen(fd, "rb")
        except OSError:
            chan.send_line(f"ERR no such file: {name}")
            return
        with f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                chan.send_line(f"ERR not a regular file: {name}")
                return
            size = info.st_size
            chan.send_line(f"OK {size}")  # the count first, so the client knows where data ends
            left = size
            while left > 0:
                data = f.read(min(CHUNK, left))
                if not data:  # the file shrank under us: the promise cannot be kept
                    raise ProtocolError(f"{name} shrank while it was being sent")
                chan.sock.sendall(data)
                left -= len(data)

    def do_put(self, chan: Channel, name: str, size: int) -> None:
        if not valid_name(name):
            for _ in chan.read_chunks(size):  # read the data anyway: the next command follows it
                pass
            chan.send_line(f"ERR refused name {name!r}")
            return
        # A hidden temporary file in the same folder: LIST never shows it, GET refuses it, and
        # os.replace() onto the real name is atomic. An interrupted upload leaves nothing.
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                for piece in chan.read_chunks(size):
                    f.write(piece)
            os.chmod(tmp, 0o644)
            os.replace(tmp, os.path.join(self.folder, name))
        except BaseException as exc:
            os.unlink(tmp)
            if isinstance(exc, IsADirectoryError):
                chan.send_line(f"ERR cannot store {name!r}: a folder has that name")
                return
            raise
        chan.send_line("OK 0")  # only now is the file there, complete, under its name


def serve(folder: str, port: int) -> None:
    """Serve ``folder`` on 127.0.0.1:port until killed."""
    TFTPServer(folder, port).serve_forever()


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
