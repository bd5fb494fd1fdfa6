"""Length-prefixed frames over a pipe, read with a deadline and a byte budget.

The reader never waits for EOF: a lingering grandchild may hold the write end open forever.
It reads exactly one frame, stops at the deadline, and refuses frames above its budget.
"""

from __future__ import annotations

import errno
import os
import select
import struct
from collections.abc import Callable

from grader.isolation import Deadline, wait_child

Waiter = Callable[[int, Deadline, int | None], int | None]

_HEADER = struct.Struct(">Q")


class FrameError(Exception):
    """The bytes on the pipe are not one well-formed frame within the budget."""


def write_frame(fd: int, payload: bytes) -> None:
    """Write one frame, all of it (blocking)."""
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameReader:
    """Accumulates one frame from a non-blocking read end that the caller owns."""

    def __init__(self, fd: int, budget: int) -> None:
        self.fd = fd
        self.budget = budget
        self.buffer = bytearray()
        self.eof = False
        os.set_blocking(fd, False)

    def _expected(self) -> int | None:
        if len(self.buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self.buffer)
        if length > self.budget:
            raise FrameError(f"a frame of {length} bytes exceeds the budget of {self.budget}")
        return int(length)

    def frame(self) -> bytes | None:
        """The complete frame if one has arrived, else None."""
        length = self._expected()
        if length is None or len(self.buffer) < _HEADER.size + length:
            return None
        return bytes(self.buffer[_HEADER.size : _HEADER.size + length])

    def pump(self) -> bool:
        """Read what is available now; True if the frame is complete."""
        while self.frame() is None and not self.eof:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            if not chunk:
                self.eof = True
                break
            self.buffer += chunk
            self._expected()  # raise early on an oversized header
        return self.frame() is not None


def read_frame(fd: int, budget: int) -> bytes | None:
    """Wait for one frame on ``fd`` (it is made non-blocking); None at end of file before a
    whole frame. Raises FrameError for a frame above ``budget``."""
    reader = FrameReader(fd, budget)
    while not reader.pump():
        if reader.eof:
            return None
        select.select([fd], [], [])
    return reader.frame()


def await_frame(
    reader: FrameReader, pid: int, deadline: Deadline, wait: Waiter = wait_child
) -> tuple[bytes | None, int | None]:
    """Wait for our child ``pid`` to send its frame or to end, whichever comes first.

    ``wait(pid, deadline, readable)`` waits for the end as :func:`grader.isolation.wait_child`
    does (another waiter: for a test process the launcher forked and reaps).

    Returns ``(frame, status)``: the frame if it arrived (or None), and the child's wait
    status if it has ended and was reaped here (or None: still running — with no frame,
    that means the deadline passed). Raises FrameError for an oversized frame.
    """
    status: int | None = None
    while True:
        if reader.pump():
            return reader.frame(), status
        if status is not None:
            return None, status
        if deadline.expired():
            return None, None
        # Once the pipe is at EOF (the child or a student closed it) only the exit matters.
        status = wait(pid, deadline, None if reader.eof else reader.fd)
