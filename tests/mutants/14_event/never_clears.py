"""Heats through one gate that is never shut again: from heat 2 on, the runners find it
open and run before their starter().

Must fail: test_clear_shuts_the_gate_for_the_next_heat
"""


def heats(count, lanes, task, give_up, timeout, starter):
    gate = Event()
    for _ in range(count):
        runners = _start_runners(gate, lanes, task, give_up, timeout)
        starter()
        gate.set()
        for process in runners:
            process.join()
