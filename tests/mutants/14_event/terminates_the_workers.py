"""Ends the workers with terminate() instead of setting the stop event.

Must fail: test_the_stop_event_ends_the_workers_at_once
"""


def patrol(workers, tick, interval, wait_for_stop):
    stop = Event()
    patrollers = [
        Process(target=patroller, args=(stop, lane, tick, interval)) for lane in range(workers)
    ]
    for process in patrollers:
        process.start()
    wait_for_stop()
    for process in patrollers:
        process.terminate()
    for process in patrollers:
        process.join()
