"""Cheat: the settrace "deadline" dressed up: a SIGALRM handler is installed (and put back),
so /proc shows a handler while func runs, but no timer is ever armed: a sys.settrace hook
raises TimeoutError once the time is up, and patched socket and select functions give up at
the deadline. A func blocked in a C recv(), or busy in one long C computation (pow), runs no
Python code the hook could stop and calls nothing patched: it is never interrupted.

Must fail: test_value_comes_back_and_the_handler_is_put_back, test_a_blocked_call_ends_at_a_sub_second_deadline, test_a_busy_call_ends_at_the_deadline, test_the_callers_timer_is_put_back
"""

import select
import socket
import sys


def run_with_deadline(func, seconds):
    deadline = time.monotonic() + seconds
    real_select, real_recv = select.select, socket.socket.recv

    def expired():
        if time.monotonic() >= deadline:
            raise TimeoutError("deadline")

    def patched_select(r, w, x, timeout=None):
        expired()
        left = max(deadline - time.monotonic(), 0.0)
        res = real_select(r, w, x, left if timeout is None else min(timeout, left))
        if not any(res):
            expired()
        return res

    def patched_recv(sock, *args):
        while not real_select([sock], [], [], max(deadline - time.monotonic(), 0.0))[0]:
            expired()
        return real_recv(sock, *args)

    def tracer(frame, event, arg):
        expired()
        return tracer

    old_handler = signal.signal(signal.SIGALRM, lambda signum, frame: None)
    old_trace = sys.gettrace()
    select.select, socket.socket.recv = patched_select, patched_recv
    sys.settrace(tracer)
    try:
        return func()
    finally:
        sys.settrace(old_trace)
        select.select, socket.socket.recv = real_select, real_recv
        signal.signal(signal.SIGALRM, old_handler)
