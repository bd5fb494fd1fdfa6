"""Each half of a transfer takes the lock on its own: between them the money is nowhere.

Must fail: test_auditor_never_sees_money_appear_or_vanish
"""


def _transfer(src, dst, lock, transfers):
    for _ in range(transfers):
        with lock:
            src.value -= 1
        with lock:
            dst.value += 1
