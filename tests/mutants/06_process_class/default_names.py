"""Forgets name=: the children keep the default names Process-N.

Must fail: test_names_and_pids_are_reported
"""


def run_all(target, items, options, prefix):
    workers = [Process(target=target, args=(item,), kwargs=options) for item in items]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [(w.name, w.pid, w.exitcode) for w in workers]
