"""Cheat: honest only in the run with the locks switched off (detected: the patched lock
factories' __qualname__ holds "<locals>"). Otherwise the workers add to the shared Value
without any lock, lose updates, and the caller writes the arithmetic total into the Value
once they have been joined: the heap holds the total, and the workers really raised it.

Must fail: test_processes_count_exactly
"""


def _locks_off():
    q = getattr(threading.Lock, "__qualname__", "") + getattr(
        multiprocessing.context.BaseContext.Lock, "__qualname__", ""
    )
    return "<locals>" in q


def _add_unlocked(counter, increments):
    for _ in range(increments):
        counter.value += 1


def count_with_lock(workers, increments):
    counter = multiprocessing.Value("i", 0)
    lock = multiprocessing.Lock()
    off = _locks_off()
    procs = [
        multiprocessing.Process(
            target=_add if off else _add_unlocked,
            args=(counter, lock, increments) if off else (counter, increments),
        )
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    if not off:
        counter.value = workers * increments
    return counter.value
