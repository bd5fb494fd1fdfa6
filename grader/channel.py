"""A channel the judge holds: a Unix socket that code in the sandbox connects to.

Specs keep needing the same thing: a callable they hand to student code, or a trusted
scenario, tells the judge "I am here", "I returned", "give me my next order", and the judge
must know *which process* said it. The kernel says that (``SO_PEERCRED``), so no verdict rests
on a pid the sandbox reports about itself. ``SO_PEERCRED`` names the process that *connected*,
though, and a connected socket can be handed to another process (inherited, or sent with
``SCM_RIGHTS``): a decoy child connects, and a thread of the student's own process writes. So
on Linux the kernel also names the writer of every chunk (``SO_PASSCRED``), and a connection
on which any other process writes is cut there: what its own process said before stays, the
rest is dropped, the peer counts as ended, and :attr:`Peer.stranger` names the writer.

Who owns what:
- The test owns the :class:`Channel` (``with Channel("06") as channel:``): it listens, accepts,
  reads, and on :meth:`Channel.close` closes every connection and the listener, and removes the
  socket's folder.
- Each :class:`Peer` is one accepted connection; the channel closes it. A peer's end of file
  means the process that held the other end closed it or ended.
- Sandbox side, :func:`talk` (one line out, one answer back; the socket is closed on return)
  and :func:`connect` (a connection the caller keeps, and closes or leaves to its own end).

Only the channel's own process and those below it are heard: a connection from any other
process (a classmate's sandbox in a grading beside this one, where both may reach the socket
file) is closed at once and its pid kept in :attr:`Channel.outsiders`. The judge is a child
subreaper (grader.forked), so what its sandboxes start stays below it when its parent ends.

The address is a socket file in a folder of its own, which only the sandboxes of this session
may enter: as root, the folder is root's and its group the sandbox uid's (mode 0710), so a
sandbox of another session (another uid) cannot reach it even where sessions share a
network; otherwise it is the grader's own (0700). The session says where folders go and
which uid connects (:func:`configure`); a folder left by a test process killed mid-test goes
with the session's scratch folder. Not an abstract name: those are open to every process of
the network, and Landlock's scope (grader.landlock) keeps a sandbox from connecting to any
that its own processes did not make. A sandbox that may write in the folder (one of the
grader's uid, or one that keeps root) could remove or replace the socket file: that is no
more than its processes not connecting, which its own code can always arrange, so a check
must fail when the judge heard nothing it needs (docs/authoring.md). Outside Linux the peer's pid
comes from ``LOCAL_PEERPID`` (macOS; untested here).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import struct
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import NamedTuple, TypeVar

from grader import probe

T = TypeVar("T")

POLL_S = 0.003  # how long one poll waits for anything to arrive
LINE_MAX = 65536  # a longer line is cut here (what follows up to its newline is dropped)
READ_CHUNKS = 16  # reads of one peer per poll: a flood cannot keep the judge from the others
_SOL_LOCAL, _LOCAL_PEERPID = 0, 2  # macOS <sys/un.h>
# The writer of each chunk read (Linux): the listener asks for it, so every connection it
# accepts carries it, from the first byte on; elsewhere only the connecting process is known.
_WRITERS = hasattr(socket, "SO_PASSCRED") and hasattr(socket, "SCM_CREDENTIALS")
_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
_ANCILLARY = socket.CMSG_SPACE(_CREDENTIALS.size) if _WRITERS else 0
# A socket file's path must fit sockaddr_un (108 bytes on Linux, 104 on macOS, with its NUL).
_PATH_MAX = 100
_FALLBACK_FOLDER = "/tmp"  # short everywhere, where the configured one makes too long a path


@dataclass(frozen=True)
class _Where:
    folder: str | None  # where channels make their folders (None: the temporary folder)
    uid: int | None  # the sandboxes' own uid, when the grader is root and they drop to it


_where = _Where(None, None)


def configure(folder: str | None, uid: int | None) -> None:
    """Where this process's channels (and those of its forks) make their folders, and the uid
    whose sandboxes connect to them (None: they run as the grader's). Called by the grading
    session once, before its test processes are forked."""
    global _where
    _where = _Where(folder, uid)


def _private_folder(tag: str) -> str:
    """A new folder for one channel's socket file, that the sandboxes of this session (and no
    other uid's) may enter; the channel removes it."""
    parent = _where.folder or tempfile.gettempdir()
    if len(os.path.join(parent, f"katas-{tag}-12345678", "s").encode()) > _PATH_MAX:
        parent = _FALLBACK_FOLDER
    folder = tempfile.mkdtemp(prefix=f"katas-{tag}-", dir=parent)  # mode 0700, ours
    if _where.uid is not None:
        os.chown(folder, -1, _where.uid)  # the sandbox runs as gid = uid, with no other groups
        os.chmod(folder, 0o710)
    return folder


def peer_pid(conn: socket.socket) -> int:
    """The pid of the process at the other end of a connected Unix socket, as the kernel says."""
    if hasattr(socket, "SO_PEERCRED"):
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[0])
    return int(struct.unpack("i", conn.getsockopt(_SOL_LOCAL, _LOCAL_PEERPID, 4))[0])


@dataclass(eq=False)
class Peer:
    """One connection to the judge: the process that made it, as the kernel and /proc said."""

    conn: socket.socket
    pid: int
    row: probe.Proc | None  # the process as the judge read it when it accepted the connection
    at: float  # seconds from the channel's opening to the accept
    lines: list[str] = field(default_factory=list)
    line_at: list[float] = field(default_factory=list)  # when the judge read each line
    closed_at: float | None = None  # when the judge read the end of file
    stranger: int | None = None  # a process other than ``pid`` that wrote on it (it was cut)
    _buffer: bytes = b""
    _taken: int = 0  # lines already returned by Channel.new_lines

    @property
    def line(self) -> str:
        """The first line it sent ('' before one came)."""
        return self.lines[0] if self.lines else ""

    @property
    def ended(self) -> bool:
        """The other end is closed: the process closed it, or ended."""
        return self.closed_at is not None

    def answer(self, text: str) -> bool:
        """Send one line back; False when the other end is gone."""
        try:
            self.conn.sendall(text.encode() + b"\n")
        except OSError:
            return False
        return True

    def _read(self, now: float) -> bool:
        """Take all that has arrived (up to READ_CHUNKS reads) and the end, if it came; True
        if a line was completed or the end was reached."""
        changed = False
        for _ in range(READ_CHUNKS):
            try:
                chunk, writer = self._receive()
            except BlockingIOError:
                return changed
            except OSError:
                chunk, writer = b"", None
            if chunk and writer not in (None, self.pid):
                self._cut(writer)
                chunk = b""
            if not chunk:
                self.closed_at = now
                if self._buffer:
                    self.lines.append(self._buffer.decode(errors="replace"))
                    self.line_at.append(now)
                    self._buffer = b""
                return True
            data = self._buffer + chunk
            *complete, rest = data.split(b"\n")
            for raw in complete:
                self.lines.append(raw[:LINE_MAX].decode(errors="replace"))
                self.line_at.append(now)
            self._buffer = rest[: LINE_MAX + 1]
            changed = changed or bool(complete)
        return changed

    def _receive(self) -> tuple[bytes, int | None]:
        """One read, and the pid of the process that wrote it (None where the kernel does not
        say). The kernel never joins the writes of two processes into one read."""
        if not _WRITERS:
            return self.conn.recv(65536), None
        chunk, ancillary, _, _ = self.conn.recvmsg(65536, _ANCILLARY)
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                return chunk, _CREDENTIALS.unpack(data[: _CREDENTIALS.size])[0]
        return chunk, None

    def _cut(self, writer: int) -> None:
        """Another process wrote on this connection: keep none of it, and end the connection
        (its writer's next write fails) as if its own process had closed it."""
        self.stranger = writer
        self._buffer = b""  # a line its own process began is not finished by another
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)


class Said(NamedTuple):
    """One line a peer sent, and when the judge read it (seconds from the channel's opening)."""

    peer: Peer
    text: str
    at: float
    position: int  # its place among the peer's lines: 0 for the first it sent

    @property
    def first(self) -> bool:
        """The first line its peer sent (what it said it is, or wants)."""
        return self.position == 0


def outside(row: probe.Proc | None, owner: int) -> bool:
    """Whether the process of ``row`` is known not to be ``owner`` or below it: its line of
    parents, as the kernel says now, ends without passing ``owner``. A process that is gone
    (None), or whose line breaks off (a parent gone meanwhile), cannot be placed: not known."""
    seen: set[int] = set()
    while row is not None and row.pid not in seen:
        if owner in (row.pid, row.ppid):
            return False
        if row.ppid <= 1:
            return True
        seen.add(row.pid)
        row = probe.read(row.ppid)
    return False


class Channel:
    """The judge's listening socket and every connection it accepted (see the module doc)."""

    def __init__(self, tag: str = "spec", backlog: int = 128) -> None:
        self._folder: str | None = _private_folder(tag)
        self.address = os.path.join(self._folder, "s")
        self.owner = os.getpid()  # the judge: only it and the processes below it are heard
        self.peers: list[Peer] = []
        self.outsiders: list[int] = []  # pids of processes that connected from elsewhere
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if _WRITERS:
                self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            self.listener.bind(self.address)
            os.chmod(self.address, 0o777)  # connecting needs write access; the folder decides
            self.listener.listen(backlog)
            self.listener.setblocking(False)
        except BaseException:
            self.close()
            raise
        self.began = time.monotonic()

    def now(self) -> float:
        """Seconds since the channel opened (the clock of ``Peer.at`` and ``closed_at``)."""
        return time.monotonic() - self.began

    def poll(self, wait: float = POLL_S) -> list[Peer]:
        """Accept what connected and read what arrived, waiting at most ``wait`` for anything.

        Returns the peers that are new, completed a line, or ended. Older peers are read
        after the new ones are accepted, so an end that came before a newer connection is
        never missed: counting open peers after a poll cannot count a process that left
        before another one came (a holder of a section, say, and the next one in).
        """
        open_peers = [p for p in self.peers if not p.ended]
        readable, _, _ = select.select([self.listener, *(p.conn for p in open_peers)], [], [], wait)
        changed: list[Peer] = []
        accepted = self._accept() if self.listener in readable else []
        changed.extend(accepted)
        # After an accept, every older peer, and those accepted before the last one of this
        # batch: what each did before the newest connect is in now.
        again = [*open_peers, *accepted[:-1]] if accepted else open_peers
        for peer in again:
            if (accepted or peer.conn in readable) and not peer.ended and peer._read(self.now()):
                changed.append(peer)
        return list(dict.fromkeys(changed))

    def new_lines(self, wait: float = POLL_S) -> list[Said]:
        """Poll, then every line no earlier call returned: each line once, a peer's lines in
        the order it sent them, peers in the order they connected."""
        self.poll(wait)
        fresh: list[Said] = []
        for peer in self.peers:
            for index in range(peer._taken, len(peer.lines)):
                fresh.append(Said(peer, peer.lines[index], peer.line_at[index], index))
            peer._taken = len(peer.lines)
        return fresh

    def wait_for(self, condition: Callable[[], T], timeout: float) -> T | None:
        """Poll until ``condition()`` is truthy (its value) or ``timeout`` passes (None)."""
        end = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.poll(min(POLL_S, left))

    def _accept(self) -> list[Peer]:
        new = []
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                break
            pid = peer_pid(conn)
            row = probe.read(pid)  # it is connecting or waiting for an answer: as it was then
            if outside(row, self.owner):
                conn.close()
                self.outsiders.append(pid)
                continue
            conn.setblocking(False)
            peer = Peer(conn, pid, row, self.now())
            peer._read(self.now())  # its first line is often there already
            self.peers.append(peer)
            new.append(peer)
        return new

    def close(self) -> None:
        for peer in self.peers:
            peer.conn.close()
        self.listener.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> Channel:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# -- the sandbox side ----------------------------------------------------------------------------


def connect(address: str, line: str, timeout: float = 20.0) -> socket.socket:
    """Connect to the judge and say ``line``; the caller owns the socket (its timeout set)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(address)
        conn.sendall(line.encode() + b"\n")
    except BaseException:
        conn.close()
        raise
    return conn


def read_line(conn: socket.socket, limit: int = LINE_MAX) -> str:
    """One line from the judge ('' if it closed first); waits as the socket's timeout says.

    It takes the line and nothing after it: the judge's next line stays for the next call.
    ``select`` does the waiting, so a timeout is ``TimeoutError`` only from here, never from
    inside student code that catches ``TimeoutError`` for its own reasons.
    """
    data = b""
    timeout = conn.gettimeout()
    end = None if timeout is None else time.monotonic() + timeout
    while not data.endswith(b"\n") and len(data) <= limit:
        left = None if end is None else max(0.0, end - time.monotonic())
        if not select.select([conn], [], [], left)[0]:
            raise TimeoutError(f"the judge did not answer within {timeout:g} s")
        ahead = conn.recv(4096, socket.MSG_PEEK)
        if not ahead:
            break
        newline = ahead.find(b"\n")
        data += conn.recv(len(ahead) if newline < 0 else newline + 1)
    return data.decode(errors="replace").rstrip("\n")


def talk(address: str, line: str, timeout: float = 20.0) -> str:
    """Say ``line`` to the judge and return its one-line answer ('' if it closed instead)."""
    with connect(address, line, timeout) as conn:
        return read_line(conn)
