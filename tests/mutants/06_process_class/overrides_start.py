"""Overrides start() instead of leaving it to Process: the countdown runs in the caller.

Must fail: test_countdown_runs_in_a_child
"""


class Countdown(Process):
    def __init__(self, start_at, report, name=None):
        super().__init__(name=name)
        self.start_at = start_at
        self.report = report

    def start(self):
        for n in range(self.start_at, 0, -1):
            self.report(n)
