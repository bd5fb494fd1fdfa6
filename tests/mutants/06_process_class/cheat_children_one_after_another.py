"""Cheat: the children run one after the other, yet each has connected before the next starts:
each child runs the target in a thread, leaves a moment later without waiting for it, and
stays a zombie (not joined) until every child has had its turn. The judge heard from every
child before answering any, though no two were ever alive at the same time.

Must fail: test_the_children_run_at_the_same_time
"""


def run_all(target, items, options, prefix):
    import threading
    import time
    from multiprocessing.connection import wait

    def say_hello_and_leave(item):
        threading.Thread(target=target, args=(item,), kwargs=options, daemon=True).start()
        time.sleep(0.3)  # time for the target to connect; then this process ends

    workers = []
    for index, item in enumerate(items):
        worker = Process(target=say_hello_and_leave, args=(item,), name=f"{prefix}-{index}")
        worker.start()
        wait([worker.sentinel])  # ended: a zombie until it is joined, so its pid stays taken
        workers.append(worker)
    for worker in workers:
        worker.join()
    return [(w.name, w.pid, w.exitcode) for w in workers]
