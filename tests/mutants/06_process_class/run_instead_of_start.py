"""Calls p.run() instead of p.start(): the target runs in the caller, no child is made.

Must fail: test_each_item_runs_in_a_child_of_its_own
"""


def run_all(target, items, options, prefix):
    workers = [
        Process(target=target, args=(item,), kwargs=options, name=f"{prefix}-{index}")
        for index, item in enumerate(items)
    ]
    for worker in workers:
        worker.run()
    return [(w.name, w.pid, w.exitcode) for w in workers]
