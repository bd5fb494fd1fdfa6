"""Correct, written another way than the reference: the worker and the sender are Process
subclasses that receive only their own end and the end to close; the connections are closed
by ``with`` blocks; the responses are read with ``recv_bytes`` and unpickled by hand; and
collect waits for each item with ``multiprocessing.connection.wait`` before it receives it.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from multiprocessing import Pipe, Process
from multiprocessing.connection import Connection, wait
from typing import Any


class Worker(Process):
    def __init__(self, conn: Connection, unused: Connection, handler: Callable[[Any], Any]):
        super().__init__()
        self.conn, self.unused, self.handler = conn, unused, handler

    def run(self) -> None:
        self.unused.close()
        with self.conn:
            while True:
                try:
                    request = self.conn.recv()
                except EOFError:
                    return
                self.conn.send_bytes(pickle.dumps(self.handler(request)))


def ask(handler: Callable[[Any], Any], requests: Iterable[Any]) -> list[Any]:
    mine, theirs = Pipe(duplex=True)
    worker = Worker(theirs, mine, handler)
    worker.start()
    theirs.close()
    try:
        with mine:
            out = []
            for request in requests:
                mine.send(request)
                out.append(pickle.loads(mine.recv_bytes()))
        return out
    finally:
        worker.join()


class Sender(Process):
    def __init__(self, out: Connection, unused: Connection, produce: Callable[[], Any]):
        super().__init__()
        self.out, self.unused, self.produce = out, unused, produce

    def run(self) -> None:
        self.unused.close()
        with self.out:
            for item in self.produce():
                self.out.send(item)


def collect(produce: Callable[[], Iterable[Any]]) -> list[Any]:
    inbox, outbox = Pipe(False)
    sender = Sender(outbox, inbox, produce)
    sender.start()
    outbox.close()
    received: list[Any] = []
    with inbox:
        while True:
            wait([inbox])  # readable: an item, or the end of the stream
            try:
                received.append(inbox.recv())
            except EOFError:
                break
    sender.join()
    return received
