"""Exercise 09 — Pipe: reference solution.

The idea: a pipe end is a file descriptor, and ``fork`` copies every descriptor into the
child. After ``start()`` both processes hold both ends. ``recv()`` raises ``EOFError`` only
once *every* copy of the other end is closed, so each process closes, at once, the end it does
not use; then closing (or dying with) the end you do use is how you say "I am done".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from multiprocessing import Pipe, Process
from multiprocessing.connection import Connection
from typing import Any

# -- Part 1: a worker you ask -----------------------------------------------------------------


def _serve(conn: Connection, callers_end: Connection, handler: Callable[[Any], Any]) -> None:
    """The worker: answer every request until the caller closes its end."""
    # The caller's end came along with fork. While this process holds it, the caller's end is
    # not closed everywhere, and the recv() below would wait for ever instead of raising EOFError.
    callers_end.close()
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:  # the caller closed its end: no more requests
                break
            conn.send(handler(request))
    finally:
        conn.close()
    # Returning ends the process normally (exit code 0).


def ask(handler: Callable[[Any], Any], requests: Iterable[Any]) -> list[Any]:
    here, there = Pipe()  # duplex: both ends send and receive
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    # The worker's end is the worker's business. Closed here, it is held by the worker alone,
    # so if the worker dies, our recv() raises EOFError instead of waiting for ever.
    there.close()
    try:
        responses = []
        for request in requests:
            # One request, then its response, then the next request: never two sends in a row.
            # A message bigger than the pipe's buffer is only taken once the other side reads,
            # so two processes that both send big messages and read nothing wait for each other.
            here.send(request)
            responses.append(here.recv())  # EOFError if the worker died: let it propagate
        return responses
    finally:
        here.close()  # the last copy of our end: the worker's recv() raises EOFError
        worker.join()  # it returns at once after that; join reaps it (no zombie)


# -- Part 2: a one-way stream -----------------------------------------------------------------


def _send_all(send_end: Connection, receive_end: Connection, produce: Callable[[], Any]) -> None:
    """The child: send every item produce() yields, then close the send end."""
    receive_end.close()  # the child never reads: close the copy that fork gave it
    try:
        for item in produce():
            send_end.send(item)  # blocks while the pipe is full, until the parent reads
    finally:
        send_end.close()  # the last copy of the send end: the parent's recv() raises EOFError


def collect(produce: Callable[[], Iterable[Any]]) -> list[Any]:
    receive_end, send_end = Pipe(duplex=False)  # (the end that reads, the end that writes)
    child = Process(target=_send_all, args=(send_end, receive_end, produce))
    child.start()
    # The parent never writes. While it holds a copy of the send end, the send end is not
    # closed everywhere, and the loop below would never see EOFError.
    send_end.close()
    items = []
    try:
        while True:
            try:
                items.append(receive_end.recv())
            except EOFError:  # every copy of the send end is closed: the stream is over
                break
    finally:
        receive_end.close()
        # Join only after reading: a child with more to send than the pipe holds is blocked in
        # send() until we read, so joining it first would wait for ever.
        child.join()
    return items
