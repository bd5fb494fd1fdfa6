"""Cheat: every task called in the caller, one after the other, with made-up exit codes.

Must fail: test_every_item_runs_in_a_child_of_its_own
"""


def run_limited(task, items, limit):
    codes = []
    for item in items:
        try:
            task(item)
            codes.append(0)
        except Exception:
            codes.append(1)
    return codes
