"""Loopback networking helpers for specs: a free port, waiting until a port accepts, and
the kernel's view of one end of a loopback TCP connection or of a Unix socket.

Everything here talks to 127.0.0.1 only. One end of a connection is looked up in the kernel
with a sock_diag request over netlink (Linux), an exact hash lookup of a few microseconds;
where that is refused, in ``/proc/net/tcp``, whose every read walks the kernel's whole table
of established sockets (2.6 ms of CPU a read on the 2-core CI VM: a spec polling it kept a
core busy). Each lookup opens and closes its own netlink socket, so no state is shared
between threads or with forked children.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from grader.polling import wait_until

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    The probe socket is closed before returning, so a server can bind the port; the kernel
    does not hand the same ephemeral port out again at once.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe_sock:
        probe_sock.bind((LOOPBACK, 0))
        port: int = probe_sock.getsockname()[1]
        return port


def accepts(port: int, host: str = LOOPBACK) -> bool:
    """True if a TCP connection to ``host:port`` is accepted now (the probe closes it)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_listening(port: int, timeout: float = 5.0, host: str = LOOPBACK) -> None:
    """Wait until something accepts connections on ``host:port``, or fail the test."""
    wait_until(
        lambda: accepts(port, host),
        timeout=timeout,
        message=f"nothing accepted connections on {host}:{port}: did the server bind and listen?",
    )


def connect(port: int, timeout: float = 5.0, host: str = LOOPBACK) -> socket.socket:
    """A connected client socket with a receive/send timeout; the caller closes it."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


@dataclass(frozen=True)
class TcpSocket:
    """One row of the kernel's TCP table (``/proc/net/tcp`` and ``tcp6``).

    ``rx_queue``: bytes that arrived and the owner has not read yet; ``tx_queue``: bytes sent
    and not yet acknowledged by the peer. ``inode`` matches ``socket:[inode]`` links in
    ``/proc/<pid>/fd`` (see :func:`grader.probe.socket_inodes`).
    """

    local_port: int
    remote_port: int
    state: str
    tx_queue: int
    rx_queue: int
    inode: int

    @property
    def established(self) -> bool:
        return self.state == "01"


def tcp_sockets(
    port: int | None = None, tables: tuple[str, ...] = ("tcp", "tcp6")
) -> list[TcpSocket] | None:
    """TCP sockets on the machine (ports only: tests talk to loopback); None without /proc.

    With ``port``, only sockets with that local or remote port: a busy machine has hundreds
    of rows (TIME_WAIT), and skipping the others before parsing makes a poll cheap.
    """
    needle = f":{port:04X} " if port is not None else ""
    rows: list[TcpSocket] = []
    found = False
    for table in tables:
        try:
            with open(f"/proc/net/{table}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        found = True
        for line in lines:
            if needle not in line:
                continue
            fields = line.split()
            if len(fields) < 10:
                continue
            tx, rx = (int(x, 16) for x in fields[4].split(":"))
            rows.append(
                TcpSocket(
                    local_port=int(fields[1].rsplit(":", 1)[1], 16),
                    remote_port=int(fields[2].rsplit(":", 1)[1], 16),
                    state=fields[3],
                    tx_queue=tx,
                    rx_queue=rx,
                    inode=int(fields[9]),
                )
            )
    return rows if found else None


# sock_diag (linux/sock_diag.h, linux/inet_diag.h): one request, one reply, no dump.
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_NLMSG_ERROR = 2
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_ALL_STATES = 0xFFF
_NO_COOKIE = 0xFFFFFFFF
_LOOPBACK_ID = socket.inet_aton(LOOPBACK) + bytes(12)  # __be32[4], IPv4 in the first word
_REPLY = struct.Struct("=BBBB HH 16s16s I8s IIIII")  # inet_diag_msg (ports big-endian)


def _sock_diag(local_port: int, remote_port: int) -> TcpSocket | None:
    """The socket the kernel finds for 127.0.0.1:local_port <-> 127.0.0.1:remote_port: the
    established one, else a listener on local_port (a lookup, as for an arriving packet);
    None if neither. Raises OSError if the kernel refuses the request.

    IPv6 sockets connected to 127.0.0.1 (a dual-stack server) carry the IPv4 addresses and
    are found by this IPv4 lookup too.
    """
    sock_id = (
        struct.pack("!HH", local_port, remote_port)
        + _LOOPBACK_ID
        + _LOOPBACK_ID
        + struct.pack("=III", 0, _NO_COOKIE, _NO_COOKIE)
    )
    request = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, _ALL_STATES)
    body = request + sock_id
    header = _HEADER.pack(_HEADER.size + len(body), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as link:
        link.settimeout(1.0)  # the kernel answers within send(); never wait on it for long
        link.send(header + body)
        reply = link.recv(8192)
    kind = _HEADER.unpack_from(reply)[1] if len(reply) >= _HEADER.size + 4 else None
    if kind == _NLMSG_ERROR:
        (code,) = struct.unpack_from("=i", reply, _HEADER.size)
        if -code == errno.ENOENT:
            return None
        raise OSError(-code, f"sock_diag: {os.strerror(-code)}")
    if kind != _SOCK_DIAG_BY_FAMILY or len(reply) < _HEADER.size + _REPLY.size:
        raise OSError(errno.EPROTO, f"sock_diag: an unexpected reply of {len(reply)} bytes")
    _, state, _, _, sport, dport, _, _, _, _, _, rqueue, wqueue, _, inode = _REPLY.unpack_from(
        reply, _HEADER.size
    )
    return TcpSocket(
        local_port=socket.ntohs(sport),
        remote_port=socket.ntohs(dport),
        state=f"{state:02X}",
        tx_queue=wqueue,
        rx_queue=rqueue,
        inode=inode,
    )


@dataclass(frozen=True)
class UnixSocket:
    """The kernel's view of one Unix socket (a ``socketpair`` end, such as each end of a
    duplex ``multiprocessing.Pipe``), from sock_diag. ``inode`` matches ``socket:[inode]``
    links in ``/proc/<pid>/fd`` (:func:`grader.probe.descriptors`)."""

    inode: int
    peer: int | None  # the inode of the socket at the other end (0 once that end is closed);
    # None: never connected
    unread: int | None  # bytes waiting for its owner to read; None: the kernel did not say


_UNIX_DIAG_SHOW_PEER = 4
_UNIX_DIAG_SHOW_RQLEN = 16
_UNIX_DIAG_PEER = 2  # attribute: the peer's inode (u32)
_UNIX_DIAG_RQLEN = 4  # attribute: bytes to read, bytes to send (u32 each)
_UNIX_REQUEST = struct.Struct("=BBHIIIII")  # unix_diag_req: family, protocol, pad, states,
# inode, what to show, cookie (two u32)
_UNIX_REPLY_SIZE = 16  # unix_diag_msg: family, type, state, pad, inode, cookie
_EVERY_UNIX_STATE = 0xFFFFFFFF


def unix_sockets(inodes: Iterable[int]) -> dict[int, UnixSocket]:
    """What the kernel says of each Unix socket in ``inodes``: its peer and the bytes
    waiting in it, one sock_diag request each (Linux). A socket that is gone is left out;
    everything is, where netlink is refused (a sandbox, macOS)."""
    found: dict[int, UnixSocket] = {}
    try:
        link = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG)
    except (OSError, AttributeError):  # AttributeError: no AF_NETLINK
        return found
    with link:
        link.settimeout(1.0)  # the kernel answers within send(); never wait on it for long
        for inode in inodes:
            show = _UNIX_DIAG_SHOW_PEER | _UNIX_DIAG_SHOW_RQLEN
            body = _UNIX_REQUEST.pack(
                socket.AF_UNIX, 0, 0, _EVERY_UNIX_STATE, inode, show, _NO_COOKIE, _NO_COOKIE
            )
            header = _HEADER.pack(
                _HEADER.size + len(body), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, inode, 0
            )
            try:
                link.send(header + body)
                reply = link.recv(65536)
            except OSError:
                continue
            if len(reply) < _HEADER.size + _UNIX_REPLY_SIZE:
                continue
            length, kind = _HEADER.unpack_from(reply)[:2]
            if kind != _SOCK_DIAG_BY_FAMILY:
                continue  # an error: no such socket (any more)
            found[inode] = _unix_attributes(inode, reply[: min(len(reply), length)])
    return found


def _unix_attributes(inode: int, reply: bytes) -> UnixSocket:
    """The attributes after a unix_diag_msg: each a length, a type and a value, 4-aligned."""
    peer = unread = None
    offset = _HEADER.size + _UNIX_REPLY_SIZE
    while offset + 4 <= len(reply):
        size, kind = struct.unpack_from("=HH", reply, offset)
        if size < 4:
            break
        if kind == _UNIX_DIAG_PEER and size >= 8:
            peer = struct.unpack_from("=I", reply, offset + 4)[0]
        elif kind == _UNIX_DIAG_RQLEN and size >= 12:
            unread = struct.unpack_from("=I", reply, offset + 4)[0]
        offset += (size + 3) & ~3
    return UnixSocket(inode, peer, unread)


@functools.cache
def _sock_diag_works() -> bool:
    """True where sock_diag finds a socket of ours (asked once per process; a kernel without
    tcp_diag, a sandbox that forbids netlink, or macOS say no)."""
    try:
        with socket.socket() as listener:
            listener.bind((LOOPBACK, 0))
            listener.listen()
            found = _sock_diag(listener.getsockname()[1], 0)
            return found is not None and found.inode == os.fstat(listener.fileno()).st_ino
    except (OSError, AttributeError, struct.error):  # AttributeError: no AF_NETLINK
        return False


@functools.cache
def tcp_visible() -> bool:
    """True where the judge can see the kernel's TCP sockets (Linux): sock_diag or
    ``/proc/net/tcp``. Off Linux, specs that need it fall back to what a client observes."""
    return _sock_diag_works() or tcp_sockets(tables=("tcp",)) is not None


def connection(
    local_port: int, remote_port: int, sockets: list[TcpSocket] | None = None
) -> TcpSocket | None:
    """The established socket with these ports (one end of a loopback connection), if any.

    Without ``sockets`` it asks the kernel now (sock_diag, else ``/proc/net/tcp``).
    """
    if sockets is None:
        sockets = _loopback_sockets(local_port, remote_port)
    for sock in sockets:
        if sock.established and (sock.local_port, sock.remote_port) == (local_port, remote_port):
            return sock
    return None


def _loopback_sockets(port: int, remote_port: int) -> list[TcpSocket]:
    """The kernel's sockets that may be 127.0.0.1:port <-> 127.0.0.1:remote_port: the one
    sock_diag finds, else the table's rows with ``port``."""
    if _sock_diag_works():
        with contextlib.suppress(OSError):  # refused now: the table answers instead
            found = _sock_diag(port, remote_port)
            return [found] if found is not None else []
    # Tests talk to 127.0.0.1: the IPv4 table first, IPv6 only if the pair is not there.
    ipv4 = tcp_sockets(port, ("tcp",)) or []
    if any(s.established for s in ipv4):
        return ipv4
    return tcp_sockets(port, ("tcp6",)) or []


def delivered(sender_port: int, receiver_port: int) -> TcpSocket | None:
    """The receiving socket once all a loopback sender sent has been read by the receiver.

    None while anything is in flight: unacknowledged at the sender or unread at the receiver.
    The sender's end is read first: once nothing of it is unacknowledged every byte is in the
    receiver's queue or read, so an empty queue read after that means all was read. Use it to
    feed a peer one piece at a time without sleeping (the returned socket's ``inode`` tells
    who holds it).
    """
    mine = connection(sender_port, receiver_port)
    if mine is None or mine.tx_queue:
        return None
    theirs = connection(receiver_port, sender_port)
    return theirs if theirs is not None and theirs.rx_queue == 0 else None
