"""Spec for exercise 12 — shared counter. Run it with `grader check shared_counter`.

Every student call runs in a sandbox process; the assertions run here, on plain data.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

import pytest

WORKERS = 4
INCREMENTS = 50_000  # 4 x 50 000 without a lock lost updates in 10 of 10 runs (about 0.2 s)
THREAD_INCREMENTS = 500  # with the switch point in bump(), 4 x 500 loses most updates unlocked


@pytest.mark.points(3)
def test_processes_count_exactly(student):
    total = student.call("count_with_lock", WORKERS, INCREMENTS)
    expected = WORKERS * INCREMENTS
    assert total == expected, (
        f"{WORKERS} processes x {INCREMENTS} increments ended at {total}, not {expected}. "
        "`counter.value += 1` reads, adds and writes in three steps, and Value's own lock "
        "covers each step separately: hold one Lock, created before the workers start, "
        "around the whole `+= 1` (README: 'Part 1')."
        if isinstance(total, int) and total < expected
        else f"count_with_lock({WORKERS}, {INCREMENTS}) returned {total!r}, expected {expected}"
    )


@pytest.mark.points(1)
def test_processes_respect_the_arguments(student):
    for workers, increments in ((1, 0), (3, 7), (2, 1000)):
        total = student.call("count_with_lock", workers, increments)
        assert total == workers * increments, (
            f"count_with_lock({workers}, {increments}) returned {total!r}, "
            f"expected {workers * increments}"
        )


def _count_forks(module: ModuleType, workers: int, increments: int) -> list[int]:
    """Scenario: how many processes the function forks, and its result."""
    forks = [0]

    def counted() -> None:
        forks[0] += 1

    os.register_at_fork(after_in_parent=counted)
    total = module.count_with_lock(workers, increments)
    return [forks[0], total]


@pytest.mark.points(1)
def test_processes_are_real_and_joined(student):
    outcome = student.run_scenario(_count_forks, WORKERS, 1000)
    forks, total = outcome.value_or_raise()
    assert forks >= WORKERS, (
        f"count_with_lock({WORKERS}, 1000) started {forks} process(es): start one "
        "multiprocessing.Process per worker (README: 'Part 1')"
    )
    left = outcome.descendants + outcome.zombies
    assert not left, (
        f"when count_with_lock returned, these processes were still there: "
        f"{', '.join(p.describe() for p in left)}. Join every worker before returning."
    )
    assert total == WORKERS * 1000, f"count_with_lock({WORKERS}, 1000) returned {total!r}"


@pytest.mark.points(2)
def test_threads_count_exactly(student):
    total = student.call("count_with_threads", WORKERS, THREAD_INCREMENTS)
    expected = WORKERS * THREAD_INCREMENTS
    assert total == expected, (
        f"{WORKERS} threads x {THREAD_INCREMENTS} bump() calls ended at {total}, not {expected}. "
        "bump() reads `total`, lets other threads run, then writes: without a lock two threads "
        "read the same value and one update is lost. Hold one threading.Lock, shared by all "
        "threads, around each call to bump() (README: 'Part 2')."
        if isinstance(total, int) and total < expected
        else f"count_with_threads({WORKERS}, {THREAD_INCREMENTS}) returned {total!r}, "
        f"expected {expected}"
    )


def _record_threads(module: ModuleType, workers: int, increments: int) -> list[int]:
    """Scenario: which threads called bump(), and the result."""
    callers: set[int] = set()
    original = module.bump

    def recording_bump() -> None:
        callers.add(threading.get_ident())
        original()

    module.bump = recording_bump
    total = module.count_with_threads(workers, increments)
    main = threading.main_thread().ident
    return [len(callers), int(main in callers), total]


@pytest.mark.points(1)
def test_threads_are_real(student):
    distinct, main_called, total = student.scenario(_record_threads, 3, 50)
    assert distinct == 3 and not main_called, (
        f"bump() was called from {distinct} distinct thread(s)"
        + (", including the main thread" if main_called else "")
        + ": start `workers` threading.Thread objects and call bump() only inside them "
        "(README: 'Part 2')"
    )
    assert total == 150, f"count_with_threads(3, 50) returned {total!r}, expected 150"


@pytest.mark.points(3)
def test_auditor_never_sees_money_appear_or_vanish(student):
    books = student.call("audited_transfers", WORKERS, 20_000)
    assert isinstance(books, dict) and set(books) == {"a", "b", "totals", "audits"}, (
        f"audited_transfers must return a dict with keys a, b, totals, audits; got {books!r}"
    )
    totals = books["totals"]
    assert totals == [2000], (
        f"the auditor saw these totals: {totals[:8]}{' ...' if len(totals) > 8 else ''}. "
        "Money appeared or vanished mid-transfer: hold the same Lock around both halves of a "
        "transfer (take and add), and around the auditor's read of a + b (README: 'Part 3')."
    )
    assert books["audits"] >= 2, (
        f"the auditor audited {books['audits']} time(s): it must keep auditing while the "
        "workers run, and once more after they finish"
    )


@pytest.mark.points(1)
def test_transfers_balance_out(student):
    books = student.call("audited_transfers", 2, 3000)
    assert (books["a"], books["b"]) == (1000, 1000), (
        f"after 2 workers x 3000 transfers in opposite directions the accounts are "
        f"a={books['a']}, b={books['b']}; they should be back at 1000 and 1000. Join the "
        "workers before reading the balances, and make each transfer under the lock."
    )
