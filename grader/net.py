"""Loopback networking helpers for specs: a free port, and waiting until a port accepts.

Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import socket

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
