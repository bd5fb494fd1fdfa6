"""The first half of the workers moves a -> b and the rest b -> a, instead of even and odd
indexes. With an even number of workers the balances come out the same; with an odd one
they do not.

Must fail: test_transfers_balance_out
"""


def audited_transfers(workers, transfers):
    a = multiprocessing.Value("i", 1000)
    b = multiprocessing.Value("i", 1000)
    lock = multiprocessing.Lock()
    done = multiprocessing.Event()
    findings = multiprocessing.Queue()
    auditor = multiprocessing.Process(target=_audit, args=(a, b, lock, done, findings))
    auditor.start()
    procs = [
        multiprocessing.Process(
            target=_transfer, args=((a, b) if i < workers // 2 else (b, a)) + (lock, transfers)
        )
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    done.set()
    totals, audits = findings.get()
    auditor.join()
    return {"a": a.value, "b": b.value, "totals": totals, "audits": audits}
