"""Cheat: threads and threading.Event instead of processes; the right calls, in the right
order, all from the caller's process.

Must fail: test_runners_wait_at_the_shut_gate, test_all_runners_start_together_once_it_opens, test_workers_tick_every_interval
"""

import threading


def race(lanes, task, give_up, timeout, starter):
    gate = threading.Event()
    runners = [
        threading.Thread(target=runner, args=(gate, lane, task, give_up, timeout))
        for lane in range(lanes)
    ]
    for thread in runners:
        thread.start()
    starter()
    gate.set()
    for thread in runners:
        thread.join()


def patrol(workers, tick, interval, wait_for_stop):
    stop = threading.Event()
    patrollers = [
        threading.Thread(target=patroller, args=(stop, lane, tick, interval))
        for lane in range(workers)
    ]
    for thread in patrollers:
        thread.start()
    wait_for_stop()
    stop.set()
    for thread in patrollers:
        thread.join()
