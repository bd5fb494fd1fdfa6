"""Opens the gate as soon as the runners are started, and only then calls starter(): the
runners run before the race may begin.

Must fail: test_runners_wait_at_the_shut_gate, test_all_runners_start_together_once_it_opens
"""


def race(lanes, task, give_up, timeout, starter):
    gate = Event()
    runners = _start_runners(gate, lanes, task, give_up, timeout)
    gate.set()
    starter()
    for process in runners:
        process.join()
