"""Cheat: reap_all and reap_while_working fork nothing and wait for nothing. They walk up the
stack (sys._getframe) to the trusted scenario that called them and return what it was given:
the endings the judge imposes (reap_all), the order in which the children will be let go
(reap_while_working). Whatever the scenario knows before the student's code runs, the
student's code can read.

Must fail: test_exit_codes_are_returned, test_killed_child_reports_the_signal, test_results_come_from_the_wait_status, test_every_child_is_reaped, test_poller_collects_in_finish_order, test_poller_survives_a_task_that_raises
"""

import sys


def _scenario_value(wanted):
    """The first local of a caller's frame (up the stack) that ``wanted`` accepts, or None."""
    frame = sys._getframe(2)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            try:
                found = wanted(value)
            except Exception:
                found = None
            if found is not None:
                return found
        frame = frame.f_back
    return None


def _ending(value):
    if isinstance(value, dict) and "ending" in value:
        return ("ending", value["ending"])
    return None


def _order(value):
    if isinstance(value, list) and value and all(type(v) is int for v in value):
        if sorted(value) == list(range(len(value))):
            return value
    return None


def reap_all(codes):
    found = _scenario_value(_ending)
    if found is None or found[1] is None:
        return list(codes)
    return [found[1]] * len(codes)


def reap_while_working(tasks, work):
    order = _scenario_value(_order)
    if order is not None and len(order) == len(tasks):
        return list(order)
    return list(range(len(tasks)))
