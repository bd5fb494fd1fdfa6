"""Cheat: the "worker" and the "child" are threads of the caller, talking over real pipes
with every end closed at the right time. Threads are not processes: the handler and the
producer run in the caller's own process.

Must fail: test_one_worker_answers_each_request, test_the_worker_ends_at_eof,
test_the_stream_arrives_whole_and_in_order, test_the_reader_ends_at_eof,
test_each_process_closes_the_end_it_does_not_use
"""

import threading


def _serve_in_thread(conn, handler):
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:
                break
            conn.send(handler(request))
    finally:
        conn.close()


def ask(handler, requests):
    here, there = Pipe()
    worker = threading.Thread(target=_serve_in_thread, args=(there, handler))
    worker.start()
    try:
        responses = []
        for request in requests:
            here.send(request)
            responses.append(here.recv())
        return responses
    finally:
        here.close()
        worker.join()


def _send_in_thread(send_end, produce):
    try:
        for item in produce():
            send_end.send(item)
    finally:
        send_end.close()


def collect(produce):
    receive_end, send_end = Pipe(duplex=False)
    child = threading.Thread(target=_send_in_thread, args=(send_end, produce))
    child.start()
    items = []
    try:
        while True:
            try:
                items.append(receive_end.recv())
            except EOFError:
                break
    finally:
        receive_end.close()
        child.join()
    return items
