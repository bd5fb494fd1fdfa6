"""Correct, written another way than the reference: ask uses two one-way pipes, one for the
requests and one for the responses; it closes the request pipe's send end as soon as the
last request is sent, before that request's response comes (the worker then sees EOF right
after its last response); the worker waits with ``poll(None)`` before each ``recv()``; and
collect reads raw bytes and unpickles them itself.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from multiprocessing import Pipe, Process
from multiprocessing.connection import Connection
from typing import Any


def _serve(
    requests: Connection,
    responses: Connection,
    unused: tuple[Connection, Connection],
    handler: Callable[[Any], Any],
) -> None:
    for end in unused:
        end.close()
    try:
        while True:
            requests.poll(None)  # readable: a request, or the end of the requests
            try:
                request = requests.recv()
            except EOFError:
                return
            responses.send(handler(request))
    finally:
        requests.close()
        responses.close()


def ask(handler: Callable[[Any], Any], requests: Iterable[Any]) -> list[Any]:
    todo = list(requests)
    request_r, request_w = Pipe(duplex=False)
    response_r, response_w = Pipe(duplex=False)
    worker = Process(target=_serve, args=(request_r, response_w, (request_w, response_r), handler))
    worker.start()
    request_r.close()
    response_w.close()
    answers = []
    try:
        for i, request in enumerate(todo):
            request_w.send(request)
            if i == len(todo) - 1:
                request_w.close()  # no more requests: the worker's recv() will raise EOFError
            answers.append(response_r.recv())
        return answers
    finally:
        request_w.close()
        response_r.close()
        worker.join()


def _send_all(out: Connection, unused: Connection, produce: Callable[[], Any]) -> None:
    unused.close()
    try:
        for item in produce():
            out.send_bytes(pickle.dumps(item))
    finally:
        out.close()


def collect(produce: Callable[[], Iterable[Any]]) -> list[Any]:
    inbox, outbox = Pipe(duplex=False)
    child = Process(target=_send_all, args=(outbox, inbox, produce))
    child.start()
    outbox.close()
    items: list[Any] = []
    try:
        while True:
            try:
                items.append(pickle.loads(inbox.recv_bytes()))
            except EOFError:
                break
    finally:
        inbox.close()
        child.join()
    return items
