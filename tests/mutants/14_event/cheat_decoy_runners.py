"""Cheat: no gate at all. Decoy processes sleep while starter() is held, so that something
seems to wait at the gate; once starter() returns, new processes run the tasks.

Must fail: test_all_runners_start_together_once_it_opens
"""


def _decoy(seconds):
    import time

    time.sleep(seconds)


def race(lanes, task, give_up, timeout, starter):
    decoys = [Process(target=_decoy, args=(0.2,)) for _ in range(lanes)]
    for process in decoys:
        process.start()
    starter()
    real = [Process(target=task, args=(lane,)) for lane in range(lanes)]
    for process in real:
        process.start()
    for process in real + decoys:
        process.join()
