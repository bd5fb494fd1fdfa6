"""Spec for exercise 12 — shared counter. Run it with `grader check shared_counter`.

Every student call runs in a sandbox process; the assertions run here, on plain data.
"""

from __future__ import annotations

import os
import threading
import time
from types import ModuleType

import pytest

WORKERS = 4
# Without a lock, 4 x 50 000 stayed exact in 1 of 100 runs on Python 3.10 beside 2 busy
# processes (a raw counter's worker can finish before the next one starts); 4 x 100 000 lost
# updates in 200 of 200 runs (3.10) and 100 of 100 (3.13). The solution takes about 1 s loaded.
INCREMENTS = 100_000
THREAD_INCREMENTS = 500
# The grader's bump() sleeps this long between its read and its write (the stub's sleeps 0 s).
# With sleep(0), 4 threads x 500 unlocked calls were exact in 2 of 100 runs on 3.10 under load
# (3.10 hands the GIL back to the same thread); with 0.1 ms, in 0 of 50 on 3.10 and 3.13.
SWITCH_S = 0.0001


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


def _count_with_a_wide_switch_point(module: ModuleType, workers: int, increments: int) -> int:
    """Scenario: count_with_threads() with the grader's bump(), whose switch point between the
    read and the write lasts SWITCH_S: an unlocked race then loses updates every time."""

    def bump() -> None:
        value = module.total
        time.sleep(SWITCH_S)  # the switch point: another thread runs here
        module.total = value + 1

    module.bump = bump
    return module.count_with_threads(workers, increments)


@pytest.mark.points(2)
def test_threads_count_exactly(student):
    total = student.scenario(
        _count_with_a_wide_switch_point,
        WORKERS,
        THREAD_INCREMENTS,
        label=f"count_with_threads({WORKERS}, {THREAD_INCREMENTS})",
    )
    expected = WORKERS * THREAD_INCREMENTS
    assert total == expected, (
        f"{WORKERS} threads x {THREAD_INCREMENTS} bump() calls ended at {total}, not {expected}. "
        "bump() reads `total`, lets other threads run, then writes: without a lock two threads "
        "read the same value and one update is lost (the grader's bump() waits a little at that "
        "point, so the race shows every time). Hold one threading.Lock, shared by all "
        "threads, around each call to bump() (README: 'Part 2')."
        if isinstance(total, int) and total < expected
        else f"count_with_threads({WORKERS}, {THREAD_INCREMENTS}) returned {total!r}, "
        f"expected {expected}"
    )


def _record_threads(module: ModuleType, workers: int, increments: int) -> list[int]:
    """Scenario: how many distinct threads called bump(), whether the main thread did, and the
    result. A thread is told apart by its Thread object, held here so it is never reused, and
    its kernel thread id: ``threading.get_ident()`` values are reused as soon as a thread ends,
    so threads that ran one after another looked like one."""
    callers: set[tuple[threading.Thread, int]] = set()
    original = module.bump

    def recording_bump() -> None:
        callers.add((threading.current_thread(), threading.get_native_id()))
        original()

    module.bump = recording_bump
    total = module.count_with_threads(workers, increments)
    main = threading.main_thread()
    return [len(callers), int(any(thread is main for thread, _ in callers)), total]


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
