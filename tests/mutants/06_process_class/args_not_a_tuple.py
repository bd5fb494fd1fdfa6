"""args=(item) without the comma: the string itself, so each letter becomes an argument and
the target fails in the child with a TypeError.

Must fail: test_each_item_runs_in_a_child_of_its_own
"""


def run_all(target, items, options, prefix):
    workers = [
        Process(target=target, args=(item), kwargs=options, name=f"{prefix}-{index}")
        for index, item in enumerate(items)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [(w.name, w.pid, w.exitcode) for w in workers]
