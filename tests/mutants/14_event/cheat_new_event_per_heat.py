"""Cheat: heats() never shuts the gate again: each heat gets a new Event, shut because it is
new, instead of one gate re-armed with clear(). Seen from the runners' calls alone it behaves
the same; but the README asks for one gate through every heat, and the runners of the heats
wait on different semaphores.

Must fail: test_clear_shuts_the_gate_for_the_next_heat
"""

from collections.abc import Callable
from multiprocessing import Event, Process
from multiprocessing.synchronize import Event as EventType

# -- Parts 1 to 3: the start gate ---------------------------------------------------------------


def runner(
    gate: EventType,
    lane: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
) -> None:
    """In a runner process: wait at the gate at most ``timeout`` seconds, then run or give up."""
    # wait() sleeps in the kernel until set() (no CPU used), or until the timeout passes. Its
    # result is the only way to know which of the two happened: True = the gate opened.
    if gate.wait(timeout):
        task(lane)
    else:
        give_up(lane)


def _start_runners(
    gate: EventType,
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
) -> list[Process]:
    runners = [
        Process(target=runner, args=(gate, lane, task, give_up, timeout)) for lane in range(lanes)
    ]
    for process in runners:
        process.start()  # every runner is now waiting at the closed gate
    return runners


def race(
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
    starter: Callable[[], object],
) -> None:
    """Start ``lanes`` runners waiting at one closed gate; ``starter()``; open it; join them all."""
    gate = Event()  # a new Event is clear: the gate starts shut
    runners = _start_runners(gate, lanes, task, give_up, timeout)
    starter()  # returns when the race may begin
    gate.set()  # wakes every runner at once
    for process in runners:
        process.join()


def heats(
    count: int,
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
    starter: Callable[[], object],
) -> None:
    """``count`` heats, one after the other, through the same gate, shut again after each."""
    for _ in range(count):
        gate = Event()  # the cheat: a new gate per heat, never clear()
        runners = _start_runners(gate, lanes, task, give_up, timeout)
        starter()
        gate.set()
        for process in runners:
            process.join()


# -- Part 4: a stop event --------------------------------------------------------------------------


def patroller(stop: EventType, lane: int, tick: Callable[[int], object], interval: float) -> None:
    """In a worker process: ``tick(lane)`` at once, then every ``interval`` s until ``stop``."""
    while not stop.is_set():
        tick(lane)
        # Not time.sleep(interval): stop.wait(interval) sleeps just as long, but wakes the
        # moment stop is set, and returns True then.
        if stop.wait(interval):
            break


def patrol(
    workers: int,
    tick: Callable[[int], object],
    interval: float,
    wait_for_stop: Callable[[], object],
) -> None:
    """Run ``workers`` patrollers until ``wait_for_stop()`` returns; stop them with an Event."""
    stop = Event()
    patrollers = [
        Process(target=patroller, args=(stop, lane, tick, interval)) for lane in range(workers)
    ]
    for process in patrollers:
        process.start()
    wait_for_stop()
    stop.set()  # ask them all to stop: each leaves its loop at once and ends by itself
    for process in patrollers:
        process.join()
