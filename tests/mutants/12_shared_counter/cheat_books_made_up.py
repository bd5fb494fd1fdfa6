"""Cheat: no transfer and no auditor; the books are computed from the arguments.

Must fail: test_auditor_never_sees_money_appear_or_vanish,
test_auditor_watches_while_money_moves, test_transfers_balance_out
"""


def audited_transfers(workers, transfers):
    moved = transfers * (workers // 2 - (workers + 1) // 2)
    return {"a": 1000 + moved, "b": 1000 - moved, "totals": [2000], "audits": 2}
