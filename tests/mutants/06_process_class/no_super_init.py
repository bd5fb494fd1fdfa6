"""Forgets super().__init__(): Process never sets itself up, start() fails.

Must fail: test_countdown_runs_in_a_child
"""


class Countdown(Process):
    def __init__(self, start_at, report, name=None):
        self.start_at = start_at
        self.report = report

    def run(self):
        for n in range(self.start_at, 0, -1):
            self.report(n)
