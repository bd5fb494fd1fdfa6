"""Counts from start_at - 1 down to 0 (range's ends mixed up).

Must fail: test_countdown_runs_in_a_child
"""


class Countdown(Process):
    def __init__(self, start_at, report, name=None):
        super().__init__(name=name)
        self.start_at = start_at
        self.report = report

    def run(self):
        for n in range(self.start_at - 1, -1, -1):
            self.report(n)
