"""Cheat: the auditor reads a + b without the lock, catches money in flight, and reports
only 2000 anyway; it tells the truth only in the run with the locks switched off (detected:
the patched lock factories' __qualname__ holds "<locals>"), where the truth is what the grader
wants to see.

Must fail: test_auditor_never_sees_money_appear_or_vanish
"""


def _locks_off():
    q = getattr(threading.Lock, "__qualname__", "") + getattr(
        multiprocessing.context.BaseContext.Lock, "__qualname__", ""
    )
    return "<locals>" in q


def _audit(a, b, lock, done, findings):
    off = _locks_off()
    totals = set()
    audits = 0
    while True:
        finished = done.is_set()
        totals.add(a.value + b.value)
        audits += 1
        if finished:
            break
    findings.put((sorted(totals) if off else [2000], audits))
