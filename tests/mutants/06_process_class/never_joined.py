"""Never joins: waits for the children with a sleep, leaves them as zombies, and reports
exit codes it never collected.

Must fail: test_every_child_is_joined, test_exit_codes_come_from_the_children
"""


def run_all(target, items, options, prefix):
    import time

    workers = [
        Process(target=target, args=(item,), kwargs=options, name=f"{prefix}-{index}")
        for index, item in enumerate(items)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    return [(w.name, w.pid, 0) for w in workers]
