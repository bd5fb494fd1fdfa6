"""Loopback networking helpers for specs: a free port, and waiting until a port accepts.

Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import socket
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


def connection(
    local_port: int, remote_port: int, sockets: list[TcpSocket] | None = None
) -> TcpSocket | None:
    """The established socket with these ports (one end of a loopback connection), if any."""
    if sockets is None:
        # Tests talk to 127.0.0.1: the IPv4 table first, IPv6 only if the pair is not there.
        return connection(local_port, remote_port, _loopback_sockets(local_port))
    for sock in sockets:
        if sock.established and (sock.local_port, sock.remote_port) == (local_port, remote_port):
            return sock
    return None


def _loopback_sockets(port: int) -> list[TcpSocket]:
    ipv4 = tcp_sockets(port, ("tcp",)) or []
    if any(s.established for s in ipv4):
        return ipv4
    return tcp_sockets(port, ("tcp6",)) or []


def delivered(sender_port: int, receiver_port: int) -> TcpSocket | None:
    """The receiving socket once all a loopback sender sent has been read by the receiver.

    None while anything is in flight: unacknowledged at the sender or unread at the receiver.
    Both ends come from one read of the kernel's table. Use it to feed a peer one piece at a
    time without sleeping (the returned socket's ``inode`` tells who holds it).
    """
    sockets = _loopback_sockets(sender_port)
    mine = connection(sender_port, receiver_port, sockets)
    theirs = connection(receiver_port, sender_port, sockets)
    if mine and theirs and mine.tx_queue == 0 and theirs.rx_queue == 0:
        return theirs
    return None
