"""Cheat: runs nothing and returns made-up names, pids and exit codes; the countdown and
the main program fake it in the caller too.

Must fail: test_each_item_runs_in_a_child_of_its_own, test_countdown_runs_in_a_child, test_the_daemon_ends_with_the_main_program
"""


def run_all(target, items, options, prefix):
    import os

    return [(f"{prefix}-{i}", os.getpid() + 1 + i, 0) for i in range(len(items))]


def run_with_timeout(target, timeout):
    return True, -15


class Countdown(Process):
    def __init__(self, start_at, report, name=None):
        super().__init__(name=name)
        self.start_at = start_at
        self.report = report

    def start(self):
        for n in range(self.start_at, 0, -1):
            self.report(n)

    def join(self, timeout=None):
        pass


def main(heartbeat, work):
    work()
