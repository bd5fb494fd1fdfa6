"""start() then join() in the same loop: the children run one after the other.

Must fail: test_the_children_run_at_the_same_time
"""


def run_all(target, items, options, prefix):
    workers = []
    for index, item in enumerate(items):
        worker = Process(target=target, args=(item,), kwargs=options, name=f"{prefix}-{index}")
        worker.start()
        worker.join()
        workers.append(worker)
    return [(w.name, w.pid, w.exitcode) for w in workers]
