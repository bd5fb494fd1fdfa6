"""Waits between ticks with time.sleep(interval): the stop is noticed only when the sleep
ends.

Must fail: test_the_stop_event_ends_the_workers_at_once
"""


def patroller(stop, lane, tick, interval):
    import time

    while not stop.is_set():
        tick(lane)
        time.sleep(interval)
