"""Cheat: the auditor process starts with the workers but sleeps until they are done, then
audits twice. It never watches money in flight.

Must fail: test_auditor_watches_while_money_moves
"""


def _audit(a, b, lock, done, findings):
    totals = set()
    done.wait()
    for _ in range(2):
        with lock:
            totals.add(a.value + b.value)
    findings.put((sorted(totals), 2))
