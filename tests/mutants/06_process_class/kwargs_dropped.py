"""Passes the options as one positional argument instead of kwargs=options.

Must fail: test_each_item_runs_in_a_child_of_its_own
"""


def run_all(target, items, options, prefix):
    workers = [
        Process(target=target, args=(item, options), name=f"{prefix}-{index}")
        for index, item in enumerate(items)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [(w.name, w.pid, w.exitcode) for w in workers]
