"""Cheat: the patrollers never look at the stop event (they tick, then sleep the interval, in
a loop for ever), and patrol ends them with kill(): SIGKILL, which no handler in the worker
can notice. They vanish at once, but none of them ended by itself.

Must fail: test_the_stop_event_ends_the_workers_at_once
"""

import time


def patroller(stop, lane, tick, interval):
    while True:
        tick(lane)
        time.sleep(interval)


def patrol(workers, tick, interval, wait_for_stop):
    stop = Event()
    patrollers = [
        Process(target=patroller, args=(stop, lane, tick, interval)) for lane in range(workers)
    ]
    for process in patrollers:
        process.start()
    wait_for_stop()
    for process in patrollers:
        process.kill()
    for process in patrollers:
        process.join()
