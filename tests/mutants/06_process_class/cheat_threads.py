"""Cheat: threads dressed up as processes, with made-up pids and the exit codes the
threads' SystemExit carried.

Must fail: test_each_item_runs_in_a_child_of_its_own
"""


def run_all(target, items, options, prefix):
    import os
    import threading

    codes = {}

    def body(index, item):
        try:
            target(item, **options)
            codes[index] = 0
        except SystemExit as exc:
            codes[index] = exc.code if isinstance(exc.code, int) else 1

    threads = [threading.Thread(target=body, args=(i, item)) for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [(f"{prefix}-{i}", os.getpid() + 1 + i, codes.get(i, -9)) for i in range(len(items))]
