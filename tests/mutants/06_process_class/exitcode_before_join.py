"""Reads exitcode right after start(), before join(): None while the children run.

Must fail: test_exit_codes_come_from_the_children
"""


def run_all(target, items, options, prefix):
    workers = [
        Process(target=target, args=(item,), kwargs=options, name=f"{prefix}-{index}")
        for index, item in enumerate(items)
    ]
    results = []
    for worker in workers:
        worker.start()
        results.append((worker.name, worker.pid, worker.exitcode))
    for worker in workers:
        worker.join()
    return results
