"""Ticks in a tight loop until stopped, never waiting the interval.

Must fail: test_workers_tick_every_interval
"""


def patroller(stop, lane, tick, interval):
    while not stop.is_set():
        tick(lane)
