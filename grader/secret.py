"""Keys that authenticate results, and the scrubbing that keeps them from student code.

A key lives in a ``bytearray`` so that it can be zeroed in place. Every process forked
from a holder inherits a copy of its memory; the first thing a process that will run less
trusted code does is :func:`scrub_all`, which zeroes every key it inherited.
"""

from __future__ import annotations

import hmac
import os

_LIVE: list[bytearray] = []
_warmed_up = False  # see warm_up
GO = b"g"  # after the key on a gated session's key pipe: it may start testing
MAC_BYTES = 32


def new_key() -> bytearray:
    """A fresh random key, registered for scrubbing."""
    key = bytearray(os.urandom(MAC_BYTES))
    _LIVE.append(key)
    return key


def adopt(key: bytearray) -> bytearray:
    """Register a key read from elsewhere (e.g. a pipe) for scrubbing."""
    _LIVE.append(key)
    return key


def scrub_all(keep: bytearray | None = None) -> None:
    """Zero every registered key in this process's memory, except ``keep``."""
    for key in _LIVE:
        if key is not keep:
            key[:] = bytes(len(key))
    _LIVE[:] = [keep] if keep is not None else []


def discard(key: bytearray) -> None:
    """Zero one key that this process no longer needs."""
    key[:] = bytes(len(key))
    _LIVE[:] = [k for k in _LIVE if k is not key]


def warm_up() -> None:
    """Make one MAC with a throwaway key, in a process that forks many that will each make
    their first: OpenSSL sets HMAC-SHA256 up lazily (it fetches the algorithm and fills its
    caches), and a child that does it writes those pages afresh. Each test process forked
    from a warmed launcher copies about 115 fewer pages (Python 3.11, 300 trivial tests:
    1,295-1,302 a test against 1,405-1,420)."""
    global _warmed_up
    mac(bytearray(MAC_BYTES), b"warm-up")
    _warmed_up = True


def warmed_up() -> bool:
    """Whether :func:`warm_up` ran in this process or in the one it was forked from."""
    return _warmed_up


def mac(key: bytearray, payload: bytes) -> bytes:
    """The HMAC-SHA256 of ``payload``: one call into OpenSSL (``hmac.new`` builds an object
    in Python first, which cost a test process 0.3 ms of cold code per report)."""
    return hmac.digest(bytes(key), payload, "sha256")


def sign(key: bytearray, payload: bytes) -> bytes:
    """``payload`` followed by its HMAC-SHA256."""
    return payload + mac(key, payload)


def sign_line(key: bytearray, payload: str) -> str:
    """One text line: the hex HMAC-SHA256 of ``payload``, a space, ``payload``."""
    return f"{mac(key, payload.encode()).hex()} {payload}"


def open_line(key: bytearray, line: str) -> str | None:
    """The payload of a line written by :func:`sign_line` if its MAC is right, else None."""
    given, _, payload = line.partition(" ")
    expected = mac(key, payload.encode()).hex()
    return payload if hmac.compare_digest(given, expected) else None


def open_signed(key: bytearray, message: bytes) -> bytes | None:
    """The payload if the trailing MAC is right, else None."""
    if len(message) < MAC_BYTES:
        return None
    payload, given = message[:-MAC_BYTES], message[-MAC_BYTES:]
    return payload if hmac.compare_digest(given, mac(key, payload)) else None
