"""Exercise 09 — Pipe: a worker you ask over a duplex pipe, and a one-way stream.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check pipe

Use ``multiprocessing.Pipe`` and ``multiprocessing.Process``. Every function you start in a
new process is defined at module level (under the ``spawn`` start method, the default on
macOS, the child finds it by name), and receives the pipe ends through ``args``.
"""

from __future__ import annotations

import multiprocessing  # noqa: F401 - you will need it
from collections.abc import Callable, Iterable
from typing import Any

# -- Part 1: a worker you ask -----------------------------------------------------------------


def ask(handler: Callable[[Any], Any], requests: Iterable[Any]) -> list[Any]:
    """Ask ONE worker process ``handler(request)`` for each request; return the responses.

    * Create a duplex ``Pipe()`` and start one worker ``Process`` that receives requests on
      its end and sends back ``handler(request)`` for each, until ``recv()`` raises
      ``EOFError``; then the worker's function returns.
    * Send one request, receive its response, then the next: never two sends in a row
      (requests and responses may be bigger than the pipe's buffer).
    * Each process closes, right away, the end it does not use.
    * When every response is in, close your end (the worker then sees EOF and returns) and
      join the worker. Return the responses in the order of ``requests``.
    * If the worker dies before it answers, ``recv()`` raises ``EOFError``: let it
      propagate, and still join the worker.
    """
    # TODO: Pipe(), a worker function at module level, Process(...).start(), close the
    # unused ends, send/recv one at a time, close, join (in a finally block).
    raise NotImplementedError


# -- Part 2: a one-way stream -----------------------------------------------------------------


def collect(produce: Callable[[], Iterable[Any]]) -> list[Any]:
    """Receive, in a list, every item that ``produce()`` yields in a child process.

    * Create a one-way ``Pipe(duplex=False)``: it returns ``(receive_end, send_end)``.
    * Start one child ``Process`` that calls ``produce()`` and sends each item it yields
      through the send end, then closes it.
    * The parent receives items until ``recv()`` raises ``EOFError`` (it does not know how
      many there are), joins the child, and returns the items in the order they were sent.
    * Each process closes, right away, the end it does not use.
    """
    # TODO: Pipe(duplex=False), a sender function at module level, start, close the
    # unused ends, recv until EOFError, then join.
    raise NotImplementedError


# -- for trying your functions by hand (the grader uses handlers and producers of its own) -----


def shout(text: str) -> str:
    """A handler for experiments."""
    return text.upper()


def count_to_three() -> Iterable[int]:
    """A producer for experiments."""
    yield from (1, 2, 3)


if __name__ == "__main__":
    print(ask(shout, ["ping", "pong"]))  # ['PING', 'PONG']
    print(collect(count_to_three))  # [1, 2, 3]
