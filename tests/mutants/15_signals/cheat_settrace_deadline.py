"""Cheat: a "deadline" with no signal and no timer. A sys.settrace hook raises TimeoutError
once the time is up (so only Python code is ever interrupted), and select.select is patched
in the program's own process so that a call blocked in it returns at the deadline. A func
blocked in a C recv(), or busy in one long C computation (pow), runs no Python code the hook
could stop and calls nothing patched: it is never interrupted. SIGALRM and ITIMER_REAL are
never touched, so there is nothing to put back.

Must fail: test_value_comes_back_and_the_handler_is_put_back, test_a_blocked_call_ends_at_a_sub_second_deadline, test_a_busy_call_ends_at_the_deadline, test_the_callers_timer_is_put_back
"""

import select
import sys


def run_with_deadline(func, seconds):
    deadline = time.monotonic() + seconds
    real_select = select.select

    def patched(r, w, x, timeout=None):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline")
        res = real_select(r, w, x, left if timeout is None else min(timeout, left))
        if not any(res) and time.monotonic() >= deadline:
            raise TimeoutError("deadline")
        return res

    def tracer(frame, event, arg):
        if time.monotonic() >= deadline:
            raise TimeoutError("deadline")
        return tracer

    old_trace = sys.gettrace()
    select.select = patched
    sys.settrace(tracer)
    try:
        return func()
    finally:
        sys.settrace(old_trace)
        select.select = real_select
