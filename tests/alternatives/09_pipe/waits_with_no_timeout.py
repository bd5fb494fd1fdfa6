"""Correct, written another way than the reference: nobody blocks in recv() first. The
worker waits for each request with a selector (epoll on Linux) and no timeout, then
receives it; ask waits for each response with ``poll(None)``, then receives it. A wait with
no timeout on the end sleeps until the pipe has news, a request or EOF, as recv() does, and
the recv() after it raises the EOFError. collect is the plain loop.
"""

from __future__ import annotations

import selectors
from collections.abc import Callable, Iterable
from multiprocessing import Pipe, Process
from multiprocessing.connection import Connection
from typing import Any


def _serve(conn: Connection, callers_end: Connection, handler: Callable[[Any], Any]) -> None:
    callers_end.close()
    with conn, selectors.DefaultSelector() as selector:
        selector.register(conn, selectors.EVENT_READ)
        while True:
            selector.select()  # no timeout: a request, or EOF
            try:
                request = conn.recv()
            except EOFError:
                return
            conn.send(handler(request))


def ask(handler: Callable[[Any], Any], requests: Iterable[Any]) -> list[Any]:
    here, there = Pipe()
    worker = Process(target=_serve, args=(there, here, handler))
    worker.start()
    there.close()
    try:
        responses = []
        for request in requests:
            here.send(request)
            here.poll(None)  # no timeout: the response, or EOF if the worker died
            responses.append(here.recv())
        return responses
    finally:
        here.close()
        worker.join()


def _send_all(send_end: Connection, receive_end: Connection, produce: Callable[[], Any]) -> None:
    receive_end.close()
    with send_end:
        for item in produce():
            send_end.send(item)


def collect(produce: Callable[[], Iterable[Any]]) -> list[Any]:
    receive_end, send_end = Pipe(duplex=False)
    child = Process(target=_send_all, args=(send_end, receive_end, produce))
    child.start()
    send_end.close()
    items: list[Any] = []
    with receive_end:
        while True:
            try:
                items.append(receive_end.recv())
            except EOFError:
                break
    child.join()
    return items
