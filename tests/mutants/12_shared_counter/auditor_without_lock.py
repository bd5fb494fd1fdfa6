"""The auditor reads a + b without the lock and catches transfers half-done.

Must fail: test_auditor_never_sees_money_appear_or_vanish
"""


def _audit(a, b, lock, done, findings):
    totals = set()
    audits = 0
    while True:
        finished = done.is_set()
        totals.add(a.value + b.value)
        audits += 1
        if finished:
            break
    findings.put((sorted(totals), audits))
