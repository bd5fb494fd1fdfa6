"""Cheat (red team, 2026-12-06): no shared counter and no transfers. The run with the locks
switched off is detected (the patched lock factories' __qualname__ holds "<locals>") and
answered with a forged short total; otherwise totals are arithmetic while decoy processes
burn CPU, and in Part 2 the main thread calls bump() itself while idle threads wait.

Must fail: test_processes_really_share_the_counter, test_processes_count_exactly,
test_threads_count_exactly, test_threads_are_real, test_auditor_watches_while_money_moves
"""


def _locks_off():
    q = getattr(threading.Lock, "__qualname__", "") + getattr(
        multiprocessing.context.BaseContext.Lock, "__qualname__", ""
    )
    return "<locals>" in q


def _burn(n):
    x = 0
    for i in range(n):
        x += i


def _decoys(k, n):
    ps = [multiprocessing.Process(target=_burn, args=(n,)) for _ in range(k)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()


def count_with_lock(workers, increments):
    _decoys(workers, increments * 20)
    if _locks_off() and workers * increments:
        return workers * increments - 1
    return workers * increments


def count_with_threads(workers, increments):
    global total
    total = 0
    off = _locks_off()
    ev = threading.Event()
    ts = [threading.Thread(target=ev.wait) for _ in range(workers)]
    for t in ts:
        t.start()
    if off:
        time.sleep(0.05)
        total = max(workers * increments - 1, 0)
    else:
        for _ in range(workers * increments):
            bump()
    ev.set()
    for t in ts:
        t.join()
    return total


def audited_transfers(workers, transfers):
    off = _locks_off()
    _decoys(workers + 1, 3_000_000 if off else 100_000)
    moved = transfers * (workers // 2 - (workers + 1) // 2)
    totals = [1999, 2000] if off else [2000]
    return {"a": 1000 + moved, "b": 1000 - moved, "totals": totals, "audits": 2}
