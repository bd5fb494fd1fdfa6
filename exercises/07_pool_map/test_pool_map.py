"""Spec for exercise 07 — pool map. Run it with `grader check pool_map`.

Every student call runs in a sandbox process; the assertions run here, on plain data.
Every assertion carries its own message for the student, so pytest's introspection is off
(PYTEST_DONT_REWRITE): the student reads the message, not a dump of the objects compared.

The tasks that the student's pool runs are the grader's own, defined below. The sandbox is
forked from this test process, and the pool's workers are forked from the sandbox, so a Pool
finds these functions by name (module and function name, the way it pickles functions).
Each task reports the pid of the process that ran it and when it started and ended:
``time.monotonic()`` is one clock for every process on a Linux machine.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import threading
import time
from types import ModuleType
from typing import Any

import pytest

from grader import probe
from grader.sandbox import Outcome, StudentProblem

FUNCTIONS = ["parallel_map", "async_map"]
WORKERS = 3  # not this box's CPU count (2): a pool that ignores `workers` has another size
BARRIER_WAIT = 4.0  # how long a task waits for the others to be running before it gives up
WORK = 0.25  # seconds of simulated work per task in the overlap test
SLOW_FIRST = 0.4  # seconds of work of item 0 in the order test (the others take none)

# -- the grader's tasks (they run in the student's pool workers) -----------------------------


def _timed(item: tuple[int, float]) -> tuple[int, int, int, float, float]:
    """Task: ``seconds`` of simulated work on ``x``; reports (x, x*x, pid, start, end)."""
    x, seconds = item
    start = time.monotonic()
    time.sleep(seconds)  # the simulated work
    return (x, x * x, os.getpid(), start, time.monotonic())


_barrier: Any = None  # set by the scenario in the sandbox, inherited by the forked workers


def _meet(x: int) -> tuple[int, int, bool, float, float]:
    """Task: wait until WORKERS tasks are running at once; reports (x, pid, met, start, end)."""
    if _barrier is None:
        raise RuntimeError(
            "the grader's task must run in a process forked from the caller "
            "(multiprocessing's 'fork' start method, the default in this course)"
        )
    start = time.monotonic()
    try:
        _barrier.wait()  # returns when WORKERS tasks are waiting here at the same time
        met = True
    except threading.BrokenBarrierError:  # BARRIER_WAIT passed and the others never came
        met = False
    return (x, os.getpid(), met, start, time.monotonic())


def _picky(x: int) -> int:
    """Task: x * 10, except that item 5 raises ValueError."""
    if x == 5:
        raise ValueError("item 5 is not welcome here")
    return x * 10


def _fussy(x: int) -> int:
    """Task: x * 10, except that item 3 raises LookupError and item 5 ValueError."""
    if x == 3:
        raise LookupError("no entry for item 3")
    return _picky(x)


# -- the scenario: call the student's function in the sandbox --------------------------------

_pools: list[Any] = []  # every Pool the student's code created in this sandbox


def _keep_every_pool() -> None:
    """Hold a reference to every Pool the student creates, as a longer-running program would.

    Without it, CPython may terminate a forgotten pool when its last reference goes away —
    or much later, when the garbage collector gets to it. The documentation says not to rely
    on either; with the pools held, a pool that was not closed and joined is seen for what it
    is: workers still alive when the function returns.
    """
    cls = multiprocessing.pool.Pool
    original = cls.__init__

    def keeping_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _pools.append(self)

    cls.__init__ = keeping_init  # type: ignore[method-assign]


def _call(
    module: ModuleType, function: str, task: Any, items: list[Any], workers: int, meet: int = 0
) -> list[Any]:
    """Scenario: ``[caller pid, function(task, items, workers)]``."""
    global _barrier
    if meet:
        _barrier = multiprocessing.Barrier(meet, timeout=BARRIER_WAIT)
    _keep_every_pool()
    value = getattr(module, function)(task, items, workers)
    return [os.getpid(), value]


# -- helpers for reading what came back ------------------------------------------------------


def _show(items: list[Any]) -> str:
    text = repr(items)
    return text if len(text) <= 60 else text[:57] + "...]"


def _task_results(function: str, value: object, count: int, call: str, width: int = 5) -> list[Any]:
    """The tasks' own results inside the student's return value, checked for shape."""
    assert isinstance(value, list), (
        f"{call} returned {value!r}: it must return a list with one entry per item "
        "(README: 'The API')"
    )
    assert len(value) == count, (
        f"{call} returned {len(value)} entries for {count} items: one entry per item, "
        "no more, no less (README: 'The API')"
    )
    results = value
    if function == "async_map":
        results = []
        for index, entry in enumerate(value):
            assert isinstance(entry, (list, tuple)) and len(entry) == 2 and entry[0] == "ok", (
                f"{call} gave {entry!r} for item {index}, whose task cannot fail: a successful "
                "item is reported as (\"ok\", value) (README: 'The API')"
            )
            results.append(entry[1])
    for index, result in enumerate(results):
        assert isinstance(result, tuple) and len(result) == width, (
            f"{call}: the task returned a tuple of {width} values for item {index}, and the "
            f"result in its place is {result!r}. Return exactly what func returned for each "
            "item (README: 'The API')."
        )
    return results


def _named(problem: StudentProblem, call: str) -> StudentProblem:
    """The same problem (and status), naming the student's call instead of the scenario."""
    return type(problem)(str(problem).replace(f"scenario {_call.__name__}", call, 1))


def _run(student: Any, call: str, function: str, *args: Any, **kwargs: Any) -> Outcome:
    """Run ``function`` through the scenario; a stub's todo names ``call``."""
    try:
        return student.run_scenario(_call, function, *args, **kwargs)
    except StudentProblem as problem:  # not started yet, or the file does not import
        raise _named(problem, call) from None


def _value(outcome: Outcome, call: str) -> tuple[int, object]:
    """(caller pid, returned value), or the failure — raised, timed out, crashed — named."""
    if not outcome.returned:
        raise _named(outcome.as_problem(), call)
    caller, value = outcome.value  # type: ignore[misc]
    return caller, value


def _ended_in_time(outcome: Outcome, call: str) -> None:
    """Fail, naming ``call``, if it neither returned nor raised (a timeout, a crash)."""
    if not outcome.returned and outcome.error is None:
        raise _named(outcome.as_problem(), call)


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    """The largest number of (start, end) intervals that were open at the same moment."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = running = 0
    for _, step in events:  # at a tie, an end (-1) sorts before a start (+1)
        running += step
        most = max(most, running)
    return most


def _left_behind(outcome: Outcome, call: str, ended: str) -> str | None:
    """What the judge saw below the caller when ``call`` returned or raised, or None."""
    if not outcome.descendants and not outcome.zombies:
        return None
    seen = []
    if outcome.descendants:
        seen.append(f"still running: {probe.describe_all(outcome.descendants)}")
    if outcome.zombies:
        seen.append(f"exited but never reaped (zombies): {probe.describe_all(outcome.zombies)}")
    return (
        f"when {call} {ended}, its pool's workers were still there; "
        + "; ".join(seen)
        + ". A pool that is never closed keeps its workers waiting for more tasks; close() "
        "alone lets them finish, but only join() waits for them and reaps them. CPython may "
        "end a forgotten pool when the garbage collector gets to it, but nothing guarantees "
        "when, and the grader holds every pool, as a longer program would"
    )


# -- Order -----------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_results_come_back_in_input_order(student, function):
    items = [(0, SLOW_FIRST)] + [(x, 0.0) for x in range(1, 12)]
    call = f"{function}(task, {_show(items)}, workers={WORKERS})"
    _, value = _value(_run(student, call, function, _timed, items, WORKERS), call)
    results = _task_results(function, value, len(items), call)
    order = [r[0] for r in results]
    assert order == list(range(12)), (
        f"{call} returned the results of the items in this order: {order}. Item 0 works for "
        f"{SLOW_FIRST} s and the others not at all, so it finishes last: you returned the "
        "results in the order the tasks *finished*. That is what imap_unordered gives, or a "
        "callback that appends to a list. Pool.map returns results in input order; with "
        "apply_async keep the AsyncResult objects in a list in input order and call get() on "
        "each (README: 'Order')."
    )
    squares = [r[1] for r in results]
    assert squares == [x * x for x in range(12)], (
        f"{call}: the task returns (x, x*x, ...) but the results hold {squares}: return "
        "exactly what func returned for each item (README: 'The API')."
    )


# -- Empty input -----------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_empty_input_gives_an_empty_list(student, function):
    call = f"{function}(task, [], workers={WORKERS})"
    outcome = _run(student, call, function, _timed, [], WORKERS)
    if outcome.error is not None:
        raise AssertionError(
            f"{call} raised {outcome.error.type}: {outcome.error.message}. No items is a normal "
            "input and the answer is []. Size the pool by `workers`, not by the number of "
            "items: Pool(0) is an error (README: 'Empty input').\n" + outcome.error.traceback
        )
    _, value = _value(outcome, call)
    assert value == [] and isinstance(value, list), (
        f"{call} returned {value!r}, expected [] (README: 'Empty input')"
    )


# -- Workers ---------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_pool_has_exactly_workers_processes(student, function):
    # 1. WORKERS tasks that wait for each other: they all get through only if the pool runs
    #    WORKERS of them at the same time, each in its own process.
    items = list(range(WORKERS))
    call = f"{function}(task, {items}, workers={WORKERS})"
    caller, value = _value(_run(student, call, function, _meet, items, WORKERS, meet=WORKERS), call)
    results = _task_results(function, value, WORKERS, call)  # (x, pid, met, start, end)
    pids = [r[1] for r in results]
    assert caller not in pids, (
        f"{call}: the tasks ran in the calling process itself (pid {caller}), not in worker "
        "processes. builtins map() or a list comprehension runs everything in the caller, and "
        "multiprocessing.pool.ThreadPool runs tasks in threads of the caller. Create a "
        "multiprocessing.Pool(workers): its workers are separate processes (README: 'Workers')."
    )
    gave_up = [r[0] for r in results if not r[2]]
    distinct = sorted(set(pids))
    at_once = _most_at_once([(r[3], r[4]) for r in results])
    if at_once == 1 and len(distinct) > 1:
        why = (
            f"They ran in {len(distinct)} processes {distinct}, but one after another: a task "
            "was only submitted once the one before it had finished. Submit every item "
            "before waiting for any result"
        )
    elif len(distinct) < WORKERS:
        why = (
            f"They ran in only {len(distinct)} process(es) {distinct}: the pool is too small. "
            f"Pool() without an argument starts one process per CPU ({os.cpu_count()} here); "
            "pass `workers` to it: Pool(workers)"
        )
    else:
        why = (
            f"They ran in {len(distinct)} processes {distinct}, at most {at_once} at the same "
            f"time: with workers={WORKERS}, the first {WORKERS} items must all be running at "
            "once (don't hand items out in chunks)"
        )
    assert not gave_up, (
        f"{call}: each task waits (up to {BARRIER_WAIT:g} s) until all {WORKERS} are running "
        f"at the same time, and the tasks for items {gave_up} gave up waiting. {why} "
        "(README: 'Workers')."
    )
    assert len(set(pids)) == WORKERS, (
        f"{call}: {WORKERS} tasks that ran at the same time reported the pids {pids}; with "
        f"workers={WORKERS} each must run in its own worker process (README: 'Workers')."
    )

    # 2. More items than workers: the same WORKERS processes take turns.
    items_9 = [(x, 0.05) for x in range(3 * WORKERS)]
    call = f"{function}(task, {_show(items_9)}, workers={WORKERS})"
    caller, value = _value(_run(student, call, function, _timed, items_9, WORKERS), call)
    pids_9 = sorted({r[2] for r in _task_results(function, value, len(items_9), call)})
    assert len(pids_9) <= WORKERS and caller not in pids_9, (
        f"{call}: {len(items_9)} items ran in {len(pids_9)} different processes {pids_9} "
        f"(the caller is {caller}). A pool starts `workers` processes once and reuses them for "
        "every item; starting a new Process per item is exactly the cost a pool exists to "
        "avoid (README: 'Workers')."
    )

    # 3. workers=1: one worker, and it is not the caller.
    items_1 = [(x, 0.05) for x in range(4)]
    call = f"{function}(task, {_show(items_1)}, workers=1)"
    caller, value = _value(_run(student, call, function, _timed, items_1, 1), call)
    pids_1 = sorted({r[2] for r in _task_results(function, value, len(items_1), call)})
    assert len(pids_1) == 1 and caller not in pids_1, (
        f"{call}: the tasks ran in the processes {pids_1} (the caller is {caller}); with "
        f"workers=1 they must all run in one worker process. Pass `workers` to Pool; "
        f"Pool() alone starts {os.cpu_count()} here (README: 'Workers')."
    )


# -- In parallel -----------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_tasks_overlap_in_time(student, function):
    items = [(x, WORK) for x in range(2 * WORKERS)]
    call = f"{function}(task, {_show(items)}, workers={WORKERS})"
    _, value = _value(_run(student, call, function, _timed, items, WORKERS), call)
    results = _task_results(function, value, len(items), call)
    spans = sorted((r[3], r[4], r[0], r[2]) for r in results)
    latest_end = spans[0][1]
    overlap = False
    for start, end, _, _ in spans[1:]:
        if start < latest_end:
            overlap = True
            break
        latest_end = max(latest_end, end)
    t0 = spans[0][0]
    shown = ", ".join(
        f"item {x} in pid {pid}: {s - t0:.2f}-{e - t0:.2f} s" for s, e, x, pid in spans
    )
    assert overlap, (
        f"{call}: no two of the {len(items)} tasks ({WORK:g} s of work each) ran at the same "
        f"time; each started after the one before had ended: {shown}. Calling .get() right "
        "after each apply_async (or using pool.apply) waits for every task before submitting "
        "the next, so the pool's workers take turns instead of working together. Submit every "
        "item first, then collect the results (README: 'In parallel')."
    )


# -- Cleaning up -----------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_worker_left_behind(student, function):
    items = [(x, 0.0) for x in range(2 * WORKERS)]
    call = f"{function}(task, {_show(items)}, workers={WORKERS})"
    outcome = _run(student, call, function, _timed, items, WORKERS)
    _task_results(function, _value(outcome, call)[1], len(items), call)
    left = _left_behind(outcome, call, "returned")
    assert left is None, (
        f"{left}. Call pool.close() and then pool.join() in a finally block, or use "
        "`with Pool(workers) as pool:` (README: 'Cleaning up')."
    )


@pytest.mark.points(1)
def test_no_worker_left_after_an_error(student):
    items = list(range(8))
    call = f"parallel_map(task, {items}, workers={WORKERS})"
    outcome = _run(student, call, "parallel_map", _picky, items, WORKERS)
    _ended_in_time(outcome, call)
    # First, the work really happened: no worker is left by a call that never started one.
    # Either the task's own error came back, or (errors swallowed, which another test
    # judges) the items that did not fail have their results.
    error = outcome.error
    task_error = error is not None and (error.type, error.message) == (
        "ValueError",
        "item 5 is not welcome here",
    )
    value = outcome.value[1] if outcome.returned and isinstance(outcome.value, list) else None
    worked = (
        isinstance(value, list)
        and len(value) == len(items)
        and all(value[x] == x * 10 for x in items if x != 5)
    )
    if not (task_error or worked):
        got = f"raised {error.type}: {error.message}" if error else f"returned {value!r}"
        raise AssertionError(
            f"{call} {got}. This test checks that no worker is left once a task has failed, "
            "so the tasks must really run in the pool first: the task raises ValueError('item "
            "5 is not welcome here') for item 5 and returns x * 10 for the others, and that "
            "error is what parallel_map raises (README: 'Errors')."
        )
    left = _left_behind(outcome, call, "raised" if error is not None else "returned")
    assert left is None, (
        f"The task raised ValueError for item 5, and {left}. A pool.close() and pool.join() "
        "written after map() are skipped when map() raises: put them in a finally block, or "
        "use `with Pool(workers) as pool:` (README: 'Cleaning up')."
    )


# -- Errors ----------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_error_reaches_the_caller(student):
    items = list(range(8))
    call = f"parallel_map(task, {items}, workers={WORKERS})"
    outcome = _run(student, call, "parallel_map", _picky, items, WORKERS)
    if outcome.returned:
        value = outcome.value[1] if isinstance(outcome.value, list) else outcome.value
        raise AssertionError(
            f"The task raises ValueError('item 5 is not welcome here') for item 5, yet {call} "
            f"returned {value!r}. The error was swallowed: a caller that gets None (or "
            "nothing) instead of an exception cannot tell that item 5 failed. Let the "
            "exception that pool.map() re-raises propagate (README: 'Errors')."
        )
    _ended_in_time(outcome, call)
    error = outcome.error
    assert error is not None
    assert (error.type, error.message) == ("ValueError", "item 5 is not welcome here"), (
        f"The task raises ValueError('item 5 is not welcome here') for item 5, and {call} "
        f"raised {error.type}: {error.message!r}. The caller must get the task's own "
        "exception, type and message unchanged: pool.map() and AsyncResult.get() re-raise it "
        "for you, so don't wrap or replace it (README: 'Errors').\n" + error.traceback
    )


@pytest.mark.points(3)
def test_async_collects_every_error(student):
    items = list(range(8))
    call = f"async_map(task, {items}, workers={WORKERS})"
    outcome = _run(student, call, "async_map", _fussy, items, WORKERS)
    if outcome.error is not None:
        raise AssertionError(
            f"{call} raised {outcome.error.type}: {outcome.error.message}. The task fails for "
            "items 3 and 5, and async_map must not raise for that: catch the exception that "
            "result.get() re-raises (or take it in an error_callback) and report "
            "(\"error\", type name, message) for that item (README: 'Errors').\n"
            + outcome.error.traceback
        )
    _, value = _value(outcome, call)
    assert isinstance(value, list) and len(value) == len(items), (
        f"{call} returned {value!r}: one entry per item, in input order (README: 'The API')"
    )
    expected: list[tuple[Any, ...]] = [("ok", x * 10) for x in items]
    expected[3] = ("error", "LookupError", "no entry for item 3")
    expected[5] = ("error", "ValueError", "item 5 is not welcome here")
    got = [tuple(e) if isinstance(e, (list, tuple)) else e for e in value]
    if got != expected and sorted(map(repr, got)) == sorted(map(repr, expected)):
        raise AssertionError(
            f"{call} reported the right entries in the wrong order: {got}. Entry i must be "
            "about item i. Callbacks (callback=, error_callback=) run in the order the tasks "
            "finish: store each entry at its item's index instead of appending, or keep the "
            "AsyncResult objects in input order and call get() on each (README: 'Order')."
        )
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        if want[0] == "error":
            assert have == want, (
                f"{call}: the task raised {want[1]}({want[2]!r}) for item {index}, and "
                f'async_map reported {have!r}. Report a failed item as ("error", '
                "type(exc).__name__, str(exc)), with the exception that result.get() "
                "re-raises or that error_callback receives; an error turned into None is an "
                "error nobody will ever see (README: 'Errors')."
            )
        else:
            assert have == want, (
                f"{call}: item {index} succeeded with {want[1]!r} and async_map reported "
                f"{have!r}; expected {want!r}. A failing item must not change the others' "
                "entries (README: 'Errors')."
            )
    left = _left_behind(outcome, call, "returned")
    assert left is None, f"{left}. close() and join() the pool (README: 'Cleaning up')."
