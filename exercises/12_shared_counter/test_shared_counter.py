"""Spec for exercise 12 — shared counter. Run it with `grader check shared_counter`.

Every student call runs in a sandbox process; the checks run here, on plain data and on what
the judge itself saw of the sandbox's process tree (sampled from /proc, see _Watch).

What each verdict rests on. A total is the student's claim: arithmetic produces the same
number without any worker. So the totals are always judged together with evidence that only
real work produces:

* the judge's own samples of the sandbox's tree: worker processes that used CPU, alive at the
  same time; threads alive at once in the sandbox; processes left when the function returned.
  Never pids, idents or counts recorded in the sandbox: thread idents are reused once a
  thread ends, and a sandbox can fake any record. Where it matters (_held), each child is
  kept stopped from birth until the caller next waits, and again at its exit: workers started
  together are then seen together even when a busy machine spreads their starts, and each
  worker's whole CPU time is seen even when a busy machine keeps the judge from sampling;
* the run with the locks switched off: the grader replaces every lock the student's code
  makes (and the locks of its Values) with one that excludes nobody. Workers that really
  update one counter at the same time then lose updates, and the total comes out *short*;
  arithmetic, work done in one process or thread, and workers that run one after another
  stay exact. A total is still the sandbox's claim, and the sandbox can tell that its locks
  were replaced (any patch is visible to it), so the judge also reads what it can itself:
* the shared memory (the multiprocessing heap, through /proc/<pid>/mem): in the locks-off
  run of processes each worker stops at its first lock use, and the judge runs each one
  *alone* (everything else below the sandbox stopped) to its next stop and reads the heap
  before and after (_solos): each worker must raise the one counter (Part 3: move money
  between the two accounts) by itself; then all are continued at once, and the counter the
  judge reads at the end must be the total returned. After an ordinary run the heap must
  hold the total, and in Part 1's ordinary run the judge holds the caller (SIGSTOP) from its
  first wait with every worker started until every process below it has ended, reading the
  heap before and after: the workers must bring the counter to the total by themselves
  (_Watch.hold_caller), not the caller before or after;
* the kernel's futex waits (syscalls.Semaphores: the /dev/shm/sem.* page a futex word lies
  on): the auditor's totals are its own claim, so in Part 3's ordinary run the judge stops
  every process below and reads which semaphore each one waits on; the one most of them wait
  on is the transfers' lock. Keeping its holder (and every other process not waiting for it)
  stopped, the judge lets one process not yet seen waiting for it run with the waiters: it
  must come to wait for the lock within LOCK_HELD_S. A look counts only if every waiter still
  shows the very same wait and the lock's count (its futex word) stays 0 (taken), and a
  process that never came in a counted look, and was never seen waiting for the lock (the
  semaphore most often waited on over every look), fails (_Watch.lock_test): an auditor that
  reads a + b without the lock never comes, whatever totals it reports;
* the kernel's count of each thread's waits (voluntary context switches): every call of the
  grader's bump() sleeps once, so the worker threads of Part 2 show about one wait per call
  (read while the last calls hold every thread), and a main thread that calls bump() itself
  shows thousands.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.sharedctypes
import multiprocessing.synchronize
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, NoReturn

import pytest

from grader.spec import Outcome, check, fail, holds_within, probe, stops, syscalls

WORKERS = 4
# Without a lock, 4 x 50 000 stayed exact in 1 of 100 runs on Python 3.10 beside 2 busy
# processes (a raw counter's worker can finish before the next one starts); 4 x 100 000 lost
# updates in 200 of 200 runs (3.10) and 100 of 100 (3.13). The solution takes about 1 s loaded.
INCREMENTS = 100_000
# In the locks-off run the workers start together (a barrier): 4 x 20 000 then ended between
# 21 000 and 73 000 of 80 000 in 100 runs of the solution and the alternatives on 3.10 and
# 3.13 (load average 20-30 on 2 cores).
OFF_INCREMENTS = 20_000
# "Did work" is judged on CPU time seen from outside (probe.cpu_seconds: nanoseconds, not
# /proc's ticks of 0.01 s, which said 0 for a worker that used 19 ms), sampled every SAMPLE_S
# while the call runs (a process is last seen at most that long before its end, when the judge
# gets the CPU; _held's workers are seen once more at their exit, whatever the load). Measured
# (3.11, 0 and 3 busy processes beside): a worker of the locks-off transfers used 0.05-0.14 s,
# its auditor as much; an auditor that sleeps until the end 2-7 ms.
BUSY_CPU_S = 0.020
# A worker of 100 000 locked increments has no fixed cost: a raw Value and one Lock taken with
# acquire()/release() used 13-36 ms each as seen from outside (3.10 and 3.13, 2 busy processes
# and another session beside; 10 ms in the judge's own loop), the solution's 0.13-0.47 s; a
# decoy process that only starts and ends 0-2.5 ms (3.10, 3.13). A fixed bar of 20 ms failed
# the raw worker in 13 of 20 runs, and any fixed bar is wrong on a machine twice as fast. So the
# bar is relative: WORKER_SHARE of what the cheapest honest worker's loop costs the judge here.
WORKER_SHARE = 0.5
SAMPLE_S = 0.005
# _held keeps the workers stopped from birth until the caller waits: a caller that never
# waits but spins until a worker does something gets them after this much of its own CPU
# (starting a worker costs the caller a few ms).
HOLD_CPU_S = 0.5
THREAD_INCREMENTS = 500
# The grader's bump() sleeps this long between its read and its write (the stub's sleeps 0 s).
# With sleep(0), 4 threads x 500 unlocked calls were exact in 2 of 100 runs on 3.10 under load
# (3.10 hands the GIL back to the same thread); with 0.1 ms, in 0 of 50 on 3.10 and 3.13.
SWITCH_S = 0.0001
# How long the barrier of a locks-off run waits for every worker (correct code: milliseconds).
GATE_S = 5.0
# The locks-off run of processes (_process_gate, _solos): each worker stops itself at its
# first lock use and again CHECKPOINT lock uses later (a locked `+= 1` on a Value takes 3,
# a transfer 5), and the judge runs it alone in between. A worker alone reaches its next stop
# in milliseconds; SOLO_S is the longest the judge waits for it before it stops it itself.
CHECKPOINT = 300
SOLO_S = 5.0
HEAP_MOST = 16 << 20  # the most the judge reads of each heap arena (far more than it holds)
STOP_S = 5.0  # the longest the judge waits for a process it stopped to show it (state T)
# test_processes_count_exactly holds the caller once it waits with every worker started, until
# every process below it has ended: the workers must bring the counter to the total by
# themselves. 4 x 100 000 locked increments take about 1 s on a loaded machine; this is the
# longest the judge holds the caller waiting for them.
ALONE_S = 10.0
TRANSFERS = 20_000
# test_auditor_never_sees_money_appear_or_vanish keeps the transfers' lock taken (its holder
# stopped) for up to LOCK_HELD_S while a process below that was not yet seen waiting for it
# runs: it must come to wait for the lock in that time (an honest auditor that sleeps 5 ms
# between audits comes in about 5 ms). At most LOCK_LOOKS looks per run (a look that finds
# the lock free, or no lock most processes wait on, costs a few ms).
LOCK_HELD_S = 2.0
LOCK_LOOKS = 100
SETTLE_S = 0.5  # how long a waiter let go may take to be back in its wait at the end
QUIET = 2  # the most times a waiter may wake in a look that counts (measured: 1, its restart)
LOOK_GAP_S = 0.02  # the least time between the end of one look and the next one
TAKE_TRIES = 3  # waiters let go alone, one by one, to take a lock found free (take_lock)
TAKE_S = 0.2  # how long one of them may take to take it
SEM_VALUE = 0x7FFFFFFF  # a semaphore's count in its futex word (glibc on 64 bits; musl's sign
# bit says that some process waits)
# CI once saw one of 3 locks-off workers of 20 000 transfers never above a tick, sampled every
# 50 ms: 50 000 keeps each worker's CPU time well above BUSY_CPU_S on a faster machine.
OFF_TRANSFERS = 50_000
START = 1000  # each account's opening balance

PART1 = "(README: 'Part 1')"
PART1_ZH = "（README.zh-CN:「第一部分（Part 1）」）"
PART2 = "(README: 'Part 2')"
PART2_ZH = "（README.zh-CN:「第二部分（Part 2）」）"
PART3 = "(README: 'Part 3')"
PART3_ZH = "（README.zh-CN:「第三部分（Part 3）」）"
OFF = "(README: 'How the grader checks the work is real')"
OFF_ZH = "（README.zh-CN:「评测程序怎样确认工作真的做了」）"


def _is_count(value: object) -> bool:
    return type(value) is int


# -- the locks-off run: scenario helpers (they run in the sandbox) ----------------------------


class _NoLock:
    """A lock that excludes nobody. ``gate()`` runs at every acquire (see _process_gate)."""

    def __init__(self, gate: Callable[[], None]) -> None:
        self._gate = gate

    def acquire(self, *args: Any, **kwargs: Any) -> bool:
        self._gate()
        return True

    def release(self) -> None:
        return None

    def __enter__(self) -> bool:
        self._gate()
        return True

    def __exit__(self, *exc: object) -> None:
        return None

    def locked(self) -> bool:
        return False


def _nothing() -> None:
    return None


def _switch_locks_off(module: ModuleType, gate: Callable[[], None]) -> None:
    """Make every lock the student's code creates from now on, and every lock it keeps in a
    module-level variable, a :class:`_NoLock`: ``threading.Lock/RLock``,
    ``multiprocessing.Lock/RLock`` and the locks of ``multiprocessing.Value/RawValue/Array``.

    Only calls made from the student's module are changed (told by the caller's globals):
    the locks inside Queue, Event, Barrier and threading itself stay real.
    """
    mine = vars(module)

    def from_student() -> bool:
        return sys._getframe(2).f_globals is mine

    base = multiprocessing.context.BaseContext
    real_lock, real_rlock, real_value, real_array = base.Lock, base.RLock, base.Value, base.Array
    real_raw_value = base.RawValue

    def mp_lock(self: Any) -> Any:
        return _NoLock(gate) if from_student() else real_lock(self)

    def mp_rlock(self: Any) -> Any:
        return _NoLock(gate) if from_student() else real_rlock(self)

    # A counter without a lock of its own (lock=False, RawValue) is read and written in C,
    # a window too narrow to race every time: in this run it gets a lock that excludes
    # nobody, so its reads and writes are as slow as a Value's.
    def mp_value(self: Any, typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
        if lock in (True, False, None) and from_student():
            lock = _NoLock(gate)
        return real_value(self, typecode_or_type, *args, lock=lock)

    def mp_raw_value(self: Any, typecode_or_type: Any, *args: Any) -> Any:
        raw = real_raw_value(self, typecode_or_type, *args)
        if from_student():
            return multiprocessing.sharedctypes.synchronized(raw, _NoLock(gate))
        return raw

    def mp_array(self: Any, typecode_or_type: Any, size: Any, *, lock: Any = True) -> Any:
        if lock in (True, False, None) and from_student():
            lock = _NoLock(gate)
        return real_array(self, typecode_or_type, size, lock=lock)

    replaced: dict[int, Any] = {}
    for name, wrapper in (
        ("Lock", mp_lock),
        ("RLock", mp_rlock),
        ("Value", mp_value),
        ("RawValue", mp_raw_value),
        ("Array", mp_array),
    ):
        old = getattr(multiprocessing, name)
        setattr(base, name, wrapper)
        new = getattr(multiprocessing.context._default_context, name)
        setattr(multiprocessing, name, new)
        replaced[id(old)] = new

    real_tlock, real_trlock = threading.Lock, threading.RLock

    def t_lock(*args: Any, **kwargs: Any) -> Any:
        return _NoLock(gate) if from_student() else real_tlock(*args, **kwargs)

    def t_rlock(*args: Any, **kwargs: Any) -> Any:
        return _NoLock(gate) if from_student() else real_trlock(*args, **kwargs)

    threading.Lock = t_lock
    threading.RLock = t_rlock
    replaced[id(real_tlock)] = t_lock
    replaced[id(real_trlock)] = t_rlock

    lock_types = (
        multiprocessing.synchronize.Lock,
        multiprocessing.synchronize.RLock,
        type(real_tlock()),
        type(real_trlock()),
    )
    for name, value in list(mine.items()):
        if id(value) in replaced:  # `from threading import Lock` and the like
            mine[name] = replaced[id(value)]
        elif isinstance(value, lock_types):  # a lock made at import time
            mine[name] = _NoLock(gate)
        elif isinstance(value, multiprocessing.sharedctypes.SynchronizedBase):
            off = _NoLock(gate)
            value._lock = off
            value.acquire = off.acquire
            value.release = off.release


def _process_gate() -> Callable[[], None]:
    """A gate for the locks-off run of processes: in each process forked from here on, the
    first lock use and the CHECKPOINT-th one stop that process (SIGSTOP) until the judge
    continues it; afterwards, and in the sandbox itself, it costs one list lookup.

    The stops only give the judge its moments (see _Solos): every worker stopped before it
    counts, then each one alone from its first stop to its second while the judge reads the
    shared memory, then all of them together, racing. No verdict rests on them: a process
    that never stops is stopped by the judge."""
    uses: list[int | None] = [None]  # each process has its own copy; None in the sandbox

    def forked() -> None:
        uses[0] = 0

    os.register_at_fork(after_in_child=forked)

    def gate() -> None:
        n = uses[0]
        if n is None or n > CHECKPOINT:
            return
        uses[0] = n + 1
        if n in (0, CHECKPOINT):
            os.kill(os.getpid(), signal.SIGSTOP)

    return gate


def _stopped_after(value: object) -> object:
    """Stop this process (SIGSTOP) once the student's function has returned: the judge looks
    (the shared memory, the threads' counts) and continues it."""
    os.kill(os.getpid(), signal.SIGSTOP)
    return value


def _count_with_locks_off(module: ModuleType, workers: int, increments: int) -> object:
    """Scenario: count_with_lock() with every lock switched off (see _process_gate)."""
    _switch_locks_off(module, _process_gate())
    return _stopped_after(module.count_with_lock(workers, increments))


def _transfers_with_locks_off(module: ModuleType, workers: int, transfers: int) -> object:
    """Scenario: audited_transfers() with every lock switched off (see _process_gate)."""
    _switch_locks_off(module, _process_gate())
    return _stopped_after(module.audited_transfers(workers, transfers))


def _graders_bump(
    module: ModuleType, step: int, switch_s: float, workers: int = 0, increments: int = 0
) -> Callable[[], None]:
    """The grader's bump(): read, wait ``switch_s`` (another thread runs), write + ``step``.

    With ``workers`` (the locks-off run), the first call in each thread other than the main
    one waits until ``workers`` threads are inside bump() at once (a barrier; only distinct
    live threads can open it), so an unlocked race starts with every thread; and the
    ``increments``-th call in each thread waits until ``workers`` threads have made theirs,
    and the last to arrive stops the process (SIGSTOP): the judge then reads, from the
    kernel, what each thread did (its sleeps) while every thread is still there."""
    barrier = threading.Barrier(workers, timeout=GATE_S) if workers else None
    end = threading.Barrier(workers, action=_stop_me, timeout=GATE_S) if workers else None
    seen = threading.local()
    main = threading.main_thread()

    def bump() -> None:
        if barrier is not None and not getattr(seen, "met", False):
            seen.met = True
            if threading.current_thread() is not main and not barrier.broken:
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:
                    pass
        value = module.total
        time.sleep(switch_s)  # the switch point: another thread runs here
        module.total = value + step
        if end is not None:
            seen.calls = getattr(seen, "calls", 0) + 1
            if seen.calls == increments and threading.current_thread() is not main:
                try:
                    end.wait()
                except threading.BrokenBarrierError:
                    pass

    return bump


def _stop_me() -> None:
    os.kill(os.getpid(), signal.SIGSTOP)


def _count_threads(module: ModuleType, workers: int, increments: int, step: int) -> object:
    """Scenario: count_with_threads() with the grader's bump(), whose switch point lasts
    SWITCH_S (an unlocked race then loses updates every time) and which adds ``step``."""
    module.bump = _graders_bump(module, step, SWITCH_S)
    return _stopped_after(module.count_with_threads(workers, increments))


def _count_threads_each(module: ModuleType, runs: list[tuple[int, int]]) -> list[object]:
    """Scenario: several count_with_threads() calls in one process (state must not carry)."""
    module.bump = _graders_bump(module, 1, SWITCH_S)
    return [module.count_with_threads(w, n) for w, n in runs]


def _count_threads_with_locks_off(module: ModuleType, workers: int, increments: int) -> object:
    """Scenario: count_with_threads() with every lock switched off and the grader's bump(),
    whose first call in each worker thread waits for all ``workers`` threads, and whose last
    one stops the process while they are all there."""
    _switch_locks_off(module, _nothing)
    module.bump = _graders_bump(module, 1, SWITCH_S, workers, increments)
    return _stopped_after(module.count_with_threads(workers, increments))


def _count_each(module: ModuleType, runs: list[tuple[int, int]]) -> list[object]:
    """Scenario: several count_with_lock() calls in one process (state must not carry)."""
    return [module.count_with_lock(w, n) for w, n in runs]


def _transfer_each(module: ModuleType, runs: list[tuple[int, int]]) -> list[object]:
    """Scenario: several audited_transfers() calls in one process."""
    return [module.audited_transfers(w, n) for w, n in runs]


# -- what the judge saw --------------------------------------------------------------------
#
# The grader's own timeline (outcome.timeline) scans the whole process table per sample; on a
# machine running 600 processes one scan took 60-75 ms, and the watcher then waits ten times
# as long, so a 1 s call got one or two samples and workers went unseen. The spec therefore
# samples the sandbox's own tree itself while the call runs (the children lists in /proc,
# a few files per sample), from this test process: what the kernel says, never what the
# sandbox says.


_CHILDREN_LISTS = os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def _children(pid: int) -> list[int]:
    """The children of ``pid``, from the kernel's per-thread children lists."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                found.extend(int(child) for child in f.read().split())
        except (OSError, ValueError):
            pass
    return found


def _tasks(pid: int) -> list[int]:
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except (OSError, ValueError):
        return []


def _ints(blob: bytes) -> list[int]:
    """The heap as 32-bit ints (a Value("i") is one of them; a 64-bit one's low half)."""
    return list(memoryview(blob[: len(blob) // 4 * 4]).cast("i"))


def _changes(before: bytes, after: bytes) -> dict[int, int]:
    """Which ints of the heap changed, and by how much."""
    a, b = _ints(before), _ints(after)
    return {i: y - x for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y}


class _Watch:
    """The judge's samples of one sandbox's process tree, taken from outside.

    A process is named by (pid, start time); ``lives`` maps it to [first sample, last sample,
    most CPU ticks seen]. Two processes ran at the same time if one sample saw both.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.samples = 0
        self.lives: dict[tuple[int, int], list[int]] = {}
        self.peak_processes = 0
        self.peak_threads = 0
        self.left: list[str] | None = None  # below the sandbox when the function returned
        self.now: list[Any] = []  # what the last sample saw below the sandbox
        self.held_from: float | None = None  # the caller's CPU time when children were held
        self.let_go: set[tuple[int, int]] = set()  # children continued from their hold at birth
        # Read when the sandbox was stopped (_stopped_after, the threads' end in bump()):
        self.heap_end: bytes | None = None  # the shared heap, by the judge (probe.shared_heap)
        self.main_switches: int | None = None  # the main thread's sleeps (voluntary switches)
        self.thread_switches: list[int] = []  # the other threads' sleeps, most first (best stop)
        # The solos of a locks-off run of processes (_Solos): the heap before and after each.
        self.solos: list[tuple[bytes, bytes]] = []
        self.solos_done = False
        self.first_child_at: float | None = None
        # test_processes_count_exactly (_watched's ``alone``): the caller held by the judge
        # while the workers finish; the heap when it was stopped and when they had ended.
        self.born: set[tuple[int, int]] = set()  # children continued from their hold at birth
        self.alone_until: float | None = None  # the caller is held by the judge until then
        self.alone_start = b""
        self.alone: tuple[bytes, bytes, bool] | None = None  # heap before, after, all ended
        # test_auditor_never_sees_money_appear_or_vanish (_watched's ``locks``, lock_test):
        # the processes seen waiting for the transfers' lock, how often each one was let go
        # alone with the lock kept taken, and the one that then never came to wait for it.
        self.semaphores: dict[tuple[int, int], Any] = {}
        self.sem_looks: dict[tuple[str, int], int] = {}  # how often seen waited on
        self.seen_on: dict[tuple[int, int], set[tuple[str, int]]] = {}  # each one's waits
        self.tried: dict[tuple[int, int], int] = {}
        self.lock_looks = 0
        self.looked_at = 0.0
        # the looks that counted in which the process let go never came: it, the lock, and
        # what it was doing instead
        self.refusals: list[tuple[tuple[int, int], tuple[str, int], str]] = []

    def the_lock(self) -> tuple[str, int] | None:
        """The semaphore most often seen waited on in the looks: the transfers' lock."""
        return max(self.sem_looks, key=lambda sem: self.sem_looks[sem], default=None)

    def refuser(self) -> tuple[int, str] | None:
        """A process below that, in a look that counted, never came to wait for the lock
        (the one most often waited on, over every look), and was never seen waiting for it:
        its pid, and what it was doing instead."""
        lock = self.the_lock()
        for key, refused, doing in self.refusals:
            if refused == lock and lock not in self.seen_on.get(key, set()):
                return key[0], doing
        return None

    def below(self) -> list[Any]:
        """Every process below the sandbox now (zombies included)."""
        if not _CHILDREN_LISTS:  # no children lists (macOS, some kernels): a full scan
            return list(probe.descendants(self.root))
        found: list[Any] = []
        frontier = [self.root]
        while frontier and len(found) < 500:
            for child in _children(frontier.pop()):
                proc = probe.read(child)
                if proc is not None:
                    found.append(proc)
                    frontier.append(child)
        return found

    def sample(self) -> str | None:
        """Take one sample; the sandbox's state letter (None once it is gone)."""
        root = probe.read(self.root)
        if root is None or root.zombie:
            return None
        self.samples += 1
        self.peak_threads = max(self.peak_threads, root.threads)
        live = 0
        self.now = self.below()
        for proc in self.now:
            key = (proc.pid, proc.start)
            life = self.lives.setdefault(key, [self.samples, self.samples, 0])
            cpu = probe.cpu_seconds(proc.pid)
            life[2] = max(life[2], proc.cpu / probe.TICKS if cpu is None else cpu)
            if proc.state == "T" and key in self.let_go:
                continue  # held at its exit (_held): its work is done, only its CPU time counts
            life[1] = self.samples
            live += not proc.zombie
        self.peak_processes = max(self.peak_processes, live)
        return root.state

    def look_stopped(self) -> None:
        """The sandbox is stopped: read its shared heap and its threads' sleeps."""
        self.heap_end = probe.shared_heap(self.root, HEAP_MOST)
        main = probe.voluntary_switches(self.root, self.root)
        if main is not None:
            self.main_switches = main
        others = sorted(
            (
                n
                for tid in _tasks(self.root)
                if tid != self.root
                if (n := probe.voluntary_switches(self.root, tid)) is not None
            ),
            reverse=True,
        )
        if len(others) >= len(self.thread_switches) and sum(others) >= sum(self.thread_switches):
            self.thread_switches = others

    def main_call(self, pid: int) -> Any:
        """What the main thread of ``pid`` is doing now (syscalls.Call); None where the judge
        cannot tell (the process gone, or its calls hidden)."""
        try:
            calls = syscalls.threads(pid) or []
        except syscalls.Hidden:
            return None
        return next((call for call in calls if call.tid == pid), None)

    def waited_on(self, proc: Any, call: Any) -> tuple[str, int] | None:
        """The semaphore (a /dev/shm/sem.* file) ``call`` of ``proc`` waits on in futex (not
        a release on its way: syscalls.Semaphores)."""
        if call is None:
            return None
        semaphores = self.semaphores.setdefault(
            (proc.pid, proc.start), syscalls.Semaphores(proc.pid)
        )
        try:
            return semaphores.waited_on(call)
        except ProcessLookupError:
            return None

    def lock_test(self) -> None:
        """One look at the transfers' lock (see test_auditor_never_sees_money_appear_or_vanish).

        Stop every running process below the caller and read, from the kernel, which
        semaphore each main thread waits on: of those, the one most often waited on over all
        looks is the lock, and those waiting for it now (the waiters) are seen taking it. If
        its count (read from its futex word) says it is free, one waiter is let go alone to
        take it (take_lock: on a busy machine, stopped processes catch the lock between a
        release and the next take far more often than held). With the lock taken, one process
        not yet seen waiting for it is let go with the waiters, every other one kept stopped
        (the holder too), and it must come to wait for the lock within LOCK_HELD_S. The look
        counts only if the lock stayed taken all along (its count still 0, every waiter still
        in the very same wait), the process let go is still running and the others still
        stopped: a counted look where it never came is the verdict (refuser)."""
        running = [p for p in self.now if not p.zombie and p.state != "T"]
        lock = self.the_lock()
        if len(running) < 2 or all(
            lock in self.seen_on.get((p.pid, p.start), set()) for p in running
        ):
            return
        if time.monotonic() - self.looked_at < LOOK_GAP_S:
            return  # let them run between two looks (on a busy machine they barely did)
        self.lock_looks += 1
        stopped = stops.stop(p.pid for p in running)
        try:
            if not stops.wait_stopped(stopped, STOP_S):
                return  # a machine far too busy: no look this time
            calls = {p.pid: self.main_call(p.pid) for p in running}
            sems = {p.pid: self.waited_on(p, calls[p.pid]) for p in running}
            for proc in running:  # how often each semaphore was seen waited on, and by whom
                sem = sems[proc.pid]
                if sem is not None:
                    self.sem_looks[sem] = self.sem_looks.get(sem, 0) + 1
                    self.seen_on.setdefault((proc.pid, proc.start), set()).add(sem)
            here = sorted(
                {sem for sem in sems.values() if sem is not None},
                key=lambda sem: self.sem_looks[sem],
                reverse=True,
            )
            if (
                not here
                or self.sem_looks[here[0]] < 2
                or (len(here) > 1 and self.sem_looks[here[1]] == self.sem_looks[here[0]])
            ):
                return  # no lock that most of them wait for: look again later
            lock = here[0]
            waiters = [p for p in running if sems[p.pid] == lock]
            word = (waiters[0].pid, calls[waiters[0].pid].args[0])

            def taken() -> bool:  # the semaphore's count is 0, read from its futex word
                value = _word(*word)
                return value is not None and value & SEM_VALUE == 0

            unseen = [p for p in running if lock not in self.seen_on.get((p.pid, p.start), set())]
            if not unseen:
                return
            if not taken():  # its holder was stopped after a release (often, on a busy machine)
                holder = self.take_lock(waiters, taken)
                if holder is None:
                    return
                waiters = [p for p in waiters if p.pid != holder]
            tried = min(
                unseen, key=lambda p: (self.tried.get((p.pid, p.start), 0), random.random())
            )
            key = (tried.pid, tried.start)
            self.tried[key] = self.tried.get(key, 0) + 1
            lines = {p.pid: calls[p.pid].line for p in waiters}
            switches = {pid: probe.voluntary_switches(pid, pid) for pid in lines}
            kept = [p.pid for p in running if p.pid not in lines and p.pid != tried.pid]

            def moved() -> bool:  # the lock was given back, or a waiter is in another wait
                if not taken():
                    return True
                now = [self.main_call(pid) for pid in lines]
                return any(
                    call is not None and call.blocked and call.line != lines[call.tid]
                    for call in now
                )

            def ended() -> bool:
                proc = probe.read(tried.pid)
                return proc is None or proc.zombie or proc.state == "T"

            last: list[Any] = [None]

            def came() -> bool:
                last[0] = self.main_call(tried.pid)
                sem = self.waited_on(tried, last[0])
                if sem is not None:
                    self.seen_on.setdefault(key, set()).add(sem)
                if sem == lock:
                    return True
                return ended() or moved()

            def still(pid: int) -> bool:  # the waiter is back in its very wait, and never woke
                call = self.main_call(pid)
                if call is None or not call.blocked:
                    return False
                before, after = switches[pid], probe.voluntary_switches(pid, pid)
                quiet = before is not None and after is not None and after - before <= QUIET
                return call.line == lines[pid] and quiet

            stops.resume([tried.pid, *lines])
            if holds_within(came, LOCK_HELD_S, max_interval=0.002):
                return  # it came to wait for the lock, or the look does not count
            if ended() or not taken() or not all(stops.is_stopped(pid) for pid in kept):
                return
            if not all(holds_within(lambda pid=pid: still(pid), SETTLE_S) for pid in lines):
                return
            self.refusals.append((key, lock, last[0].name if last[0] is not None else "-"))
        finally:
            stops.resume(stopped)
            self.looked_at = time.monotonic()

    def take_lock(self, waiters: list[Any], taken: Callable[[], bool]) -> int | None:
        """The lock is free, and every process below is stopped: let one waiter go alone
        until it has taken the lock, and stop it there. Alone, it takes the lock at once and
        holds it for most of each turn of its loop, so it is stopped holding it. Its pid, or
        None if no waiter was stopped holding the lock (TAKE_TRIES of them were let go)."""
        for proc in random.sample(waiters, min(len(waiters), TAKE_TRIES)):
            stops.resume([proc.pid])
            holds_within(
                lambda proc=proc: taken() or probe.read(proc.pid) is None,
                TAKE_S,
                max_interval=0.0005,
            )
            if not stops.wait_stopped(stops.stop([proc.pid]), STOP_S):
                return None
            if taken():
                return int(proc.pid)
        return None

    def held_children(self) -> list[Any]:
        """Children of the sandbox stopped by _held (at birth or at exit), as the last sample
        saw them."""
        return [p for p in self.now if p.ppid == self.root and p.state == "T"]

    def held_too_long(self) -> bool:
        """The caller has used HOLD_CPU_S of CPU since children were first seen held, without
        waiting: it may be spinning until one of them does something (never a correct join)."""
        if not self.held_children():
            self.held_from = None
            return False
        cpu = probe.cpu_seconds(self.root) or 0.0
        if self.held_from is None:
            self.held_from = cpu
        return cpu - self.held_from >= HOLD_CPU_S

    def let_go_held(self) -> None:
        """Continue the children held at birth or at exit (after the sample that saw them held,
        and so read the CPU time of those held at exit)."""
        for proc in self.held_children():
            key = (proc.pid, proc.start)
            if key not in self.let_go:
                self.born.add(key)
            self.let_go.add(key)
            stops.resume([proc.pid])
        self.held_from = None

    def born_held(self) -> bool:
        """A child of the caller is still held at its birth (_held)."""
        return any(
            p.ppid == self.root and p.state == "T" and (p.pid, p.start) not in self.let_go
            for p in self.now
        )

    def all_ended(self) -> bool:
        """Every process below has ended: held at its exit (_held), a zombie, or gone."""
        return all(
            p.zombie or (p.state == "T" and (p.pid, p.start) in self.let_go) for p in self.now
        )

    def hold_caller(self) -> None:
        """Hold the caller (SIGSTOP) until every process below it has ended or ALONE_S has
        passed (see test_processes_count_exactly); the heap is read now and then."""
        if not stops.wait_stopped(stops.stop([self.root]), STOP_S):
            stops.resume([self.root])  # a machine far too busy: no look this time
            self.alone_until = -1.0
            return
        self.alone_start = probe.shared_heap(self.root, HEAP_MOST) or b""
        self.alone_until = time.monotonic() + ALONE_S

    def holding(self) -> bool:
        """The judge holds the caller (hold_caller) and has not yet let it go."""
        return self.alone_until is not None and self.alone_until >= 0 and self.alone is None

    def release_caller(self) -> None:
        """Once the processes below the held caller have all ended, or ALONE_S has passed,
        read the heap and let the caller go on."""
        ended = self.all_ended()
        if not ended and time.monotonic() < (self.alone_until or 0.0):
            return
        heap = probe.shared_heap(self.root, HEAP_MOST) or b""
        self.alone = (self.alone_start, heap, ended)
        stops.resume([self.root])

    def busy(self, at_least: float = BUSY_CPU_S) -> list[tuple[int, int]]:
        """Processes that used at least ``at_least`` seconds of CPU."""
        return [key for key, life in self.lives.items() if life[2] >= at_least]

    def cpu_shown(self) -> str:
        """The CPU time of each process seen, most first, in ms: `31.2, 30.8, 0.4`."""
        times = sorted((life[2] for life in self.lives.values()), reverse=True)
        return ", ".join(f"{t * 1000:.1f}" for t in times) or "-"

    def most_at_once(self, keys: list[tuple[int, int]] | None = None) -> int:
        """The most of ``keys`` (default: every process) seen in one sample."""
        spans = [self.lives[key][:2] for key in (self.lives if keys is None else keys)]
        return max((sum(1 for a, b in spans if a <= at <= b) for _, at in spans), default=0)


def _word(pid: int, address: int) -> int | None:
    """The 32-bit word at ``address`` in ``pid``'s memory: a semaphore's futex word, whose
    count says whether the lock is taken (0) or free. None where it cannot be read."""
    data = probe.read_memory(pid, address, 4)
    return None if data is None else int.from_bytes(data, sys.byteorder)


def _honest_worker_cpu(increments: int) -> float:
    """The CPU time the cheapest honest worker's loop of ``increments`` locked increments takes
    in this judge process, on this machine and Python (the lesser of two runs): a raw Value and
    one Lock, taken and given back around each ``+= 1``. CPU time, so load beside it does not
    count. The fork context's Lock and Value need no helper process on any start method."""
    context = multiprocessing.get_context("fork")
    lock = context.Lock()
    counter = context.Value("i", 0, lock=False)
    acquire, release = lock.acquire, lock.release
    least = float("inf")
    for _ in range(2):
        start = time.process_time()
        for _ in range(increments):
            acquire()
            counter.value += 1
            release()
        least = min(least, time.process_time() - start)
    return least


def _held(module: ModuleType, function: str, *args: object) -> object:
    """Scenario: call the student's function, then stop this process (SIGSTOP) so that the
    judge sees what was left below it at that moment; the judge continues it (SIGCONT).

    Every child this process forks stops itself at birth (an at-fork hook, before any of the
    student's code runs in it) and is held until this process next waits for anything (join)
    or returns: the judge then looks, and continues them. So workers started before the
    first join are seen together every time, however short their work and however long a
    busy machine kept this process between two starts (a finished worker is reaped by the
    next Process.start(), and would never be seen beside a later one); workers joined one
    by one are seen one at a time. Holding only delays: what the judge sees is the kernel's.

    Each such child also stops itself at its exit (os._exit, which ends every
    multiprocessing.Process), until the caller next waits: the judge reads its whole CPU time
    then. Sampled only while they ran, workers that a busy machine ran to their end between two
    samples of a starved judge were never seen doing work (CI: 0 of 4, once).
    """
    caller = os.getpid()
    really_exit = os._exit

    def hold_at_exit(code: int) -> NoReturn:
        if os.getppid() == caller:
            os.kill(os.getpid(), signal.SIGSTOP)
        really_exit(code)

    def hold_at_birth() -> None:
        if os.getppid() == caller:  # a child of the caller, not a worker's own child
            os._exit = hold_at_exit  # this child's copy of os; its own children check getppid
            os.kill(os.getpid(), signal.SIGSTOP)

    os.register_at_fork(after_in_child=hold_at_birth)
    value = getattr(module, function)(*args)
    os.kill(caller, signal.SIGSTOP)
    return value


def _stop(pids: list[int]) -> None:
    """Stop these processes (SIGSTOP) and wait until the kernel shows them stopped."""
    stops.wait_stopped(stops.stop(pids), STOP_S)


def _solos(watch: _Watch) -> None:
    """The judge's look at a locks-off run of processes (see _process_gate): the sandbox and
    every process below it stopped, each process below it is continued *alone* until it stops
    again, and the judge reads the shared heap (probe.shared_heap) before and after: what changed
    then was changed by that process and nobody else. Then all of them are continued at once
    (the race) and the sandbox last. A process that does not stop by itself within SOLO_S is
    stopped by the judge."""
    watch.solos_done = True
    ended = stops.is_stopped(watch.root)  # stopped after its return: the caller looks, goes on
    below = [p.pid for p in watch.below() if not p.zombie]
    _stop([watch.root, *below])
    heap = probe.shared_heap(watch.root, HEAP_MOST) or b""
    for pid in sorted(below):
        for _ in range(2):  # a process stopped before its first lock use stops there first
            stops.resume([pid])
            if not stops.wait_stopped([pid], SOLO_S):
                _stop([pid])
            after = probe.shared_heap(watch.root, HEAP_MOST) or b""
            changed = after != heap
            watch.solos.append((heap, after))
            heap = after
            if changed:
                break
    stops.resume(below if ended else [*below, watch.root])


def _waits(state: str | None) -> bool:
    """The caller, in this state letter, waits by its own choice (join, sleep, a lock, a
    pipe: interruptible sleep, S), or is gone (None). Not D: a process in uninterruptible
    sleep is in the middle of work, in a page fault, fork or disk write on a busy machine (CI:
    a caller seen in D between two Process.start() let its first worker go early; that worker
    ended before the third started, and 3 workers were seen at most 2 at a time)."""
    return state is None or state == "S"


def _watched(
    student: Any,
    label: str,
    scenario: Any,
    *args: object,
    parties: int = 0,
    alone: int = 0,
    locks: int = 0,
) -> tuple[Outcome, _Watch]:
    """Start ``scenario(module, *args)`` and sample its tree until it has returned. With
    ``parties`` (a locks-off run of processes), the judge's solos (_solos) follow once that
    many processes below the sandbox have stopped at their first lock use (or GATE_S after
    the first one was seen). With ``alone`` (and _held), once that many children have been
    continued from their hold at birth, the judge holds the caller until every process below
    it has ended (_Watch.hold_caller). With ``locks``, once that many processes below have
    been seen running at once, it looks at the lock they wait for (_Watch.lock_test) until
    each one running has been seen waiting for it."""
    running = student.options(label=label).start_scenario(scenario, *args)
    watch = _Watch(running.pid)

    def returned() -> bool:
        state = watch.sample()
        if watch.holding():  # held by the judge: the workers go on alone; then look again
            watch.release_caller()
            return False
        if parties and not watch.solos_done and state is not None:
            if watch.now and watch.first_child_at is None:
                watch.first_child_at = time.monotonic()
            stopped = [p for p in watch.now if p.state == "T"]
            waited = watch.first_child_at is not None and (
                time.monotonic() - watch.first_child_at > GATE_S
            )
            if len(stopped) >= parties or waited or state == "T":
                _solos(watch)
                state = watch.sample()
        if state == "T":  # stopped by the scenario (_held, _stopped_after): look, go on
            watch.look_stopped()
            if watch.left is None:
                watch.left = [p.describe() for p in watch.now]  # this sample, taken while stopped
            if not parties:
                watch.let_go_held()
            os.kill(running.pid, signal.SIGCONT)
        elif not parties and (_waits(state) or watch.held_too_long()):
            watch.let_go_held()
            if alone and watch.alone_until is None and len(watch.born) >= alone:
                watch.hold_caller()
        elif parties and watch.solos_done:  # a process that stops after the solos: go on
            stops.resume(proc.pid for proc in watch.now if proc.state == "T")
        if (
            locks
            and watch.refuser() is None
            and watch.lock_looks < LOCK_LOOKS
            and watch.peak_processes >= locks
            and state is not None
            and state != "T"
            and not watch.born_held()
        ):
            watch.lock_test()
        return bool(running.finished())

    deadline = student.default_deadline
    if not holds_within(returned, deadline, max_interval=SAMPLE_S):
        running.time_out()  # shows where the code was; check runs no other call of it
        fail(
            en=f"{label} did not return within {deadline:g} s",
            zh=f"{label} 没有在 {deadline:g} 秒内返回",
        )
    return running.stop(), watch


def _counter_writers(watch: _Watch) -> tuple[int | None, int]:
    """The int of the shared heap that most solos (_solos) raised, and how many raised it."""
    raised: dict[int, int] = {}
    for before, after in watch.solos:
        for index, delta in _changes(before, after).items():
            if delta > 0:
                raised[index] = raised.get(index, 0) + 1
    if not raised:
        return None, 0
    index = max(raised, key=lambda i: raised[i])
    return index, raised[index]


def _money_movers(watch: _Watch) -> int:
    """How many solos (_solos) moved money: took an amount from one int of the shared heap
    and added the same amount to another, the same two ints each time."""
    moved: dict[tuple[int, int], int] = {}
    for before, after in watch.solos:
        changes = _changes(before, after)
        pairs = {
            (min(i, j), max(i, j))
            for i, d in changes.items()
            for j, e in changes.items()
            if i != j and d > 0 and d == -e
        }
        for pair in pairs:
            moved[pair] = moved.get(pair, 0) + 1
    return max(moved.values(), default=0)


def _check_no_leftovers(watch: _Watch, what: str) -> None:
    shown = ", ".join(watch.left or [])
    check(
        not watch.left,
        en=f"when {what} returned, these processes were still there: {shown}. join() every "
        f"worker before you read the result and return {PART1}",
        zh=f"{what} 返回时，这些进程还在：{shown}。先对每个子进程调用 join()，"
        f"再读取结果并返回{PART1_ZH}",
    )


# -- Part 1: processes ------------------------------------------------------------------------


@pytest.mark.points(3)
def test_processes_count_exactly(student):
    label = f"count_with_lock({WORKERS}, {INCREMENTS})"
    bar = WORKER_SHARE * _honest_worker_cpu(INCREMENTS)
    outcome, watch = _watched(
        student, label, _held, "count_with_lock", WORKERS, INCREMENTS, alone=WORKERS
    )
    total = outcome.value_or_raise()
    expected = WORKERS * INCREMENTS
    check(
        _is_count(total),
        en=f"{label} returned {total!r}; it should return the counter's value, an int",
        zh=f"{label} 返回了 {total!r}；应当返回计数器的值（一个 int）",
    )
    _check_no_leftovers(watch, label)
    if total < expected:
        fail(
            en=f"{WORKERS} processes x {INCREMENTS} increments ended at {total}, not {expected}: "
            f"{expected - total} updates were lost. `counter.value += 1` reads, adds and writes "
            "in three steps, and Value's own lock covers each step separately: hold one Lock, "
            f"created before the workers start, around the whole `+= 1` {PART1}",
            zh=f"{WORKERS} 个进程各加 {INCREMENTS} 次，结果是 {total} 而不是 {expected}，"
            f"丢了 {expected - total} 次更新。`counter.value += 1` 分读、加、写三步，Value "
            "自带的锁只分别护住其中每一步：在启动子进程之前创建一把 Lock，"
            f"用它把整个 `+= 1` 包起来{PART1_ZH}",
        )
    check(
        total == expected,
        en=f"{label} returned {total}, more than the {expected} increments made",
        zh=f"{label} 返回了 {total}，比实际的 {expected} 次加一还多",
    )
    check(
        expected in _ints(watch.heap_end or b""),
        en=f"{label} returned {total}, but when it had returned the grader read the shared "
        f"memory of your process itself and found no counter holding {expected}. Count in a "
        f"multiprocessing.Value('i', 0) created before the workers start, and return its "
        f"value {PART1}",
        zh=f"{label} 返回了 {total}，但函数返回后评测程序亲自读取你的进程的共享内存，"
        f"没有找到值为 {expected} 的计数器。应当在启动子进程之前创建 "
        f"multiprocessing.Value('i', 0)，用它计数，并返回它的值{PART1_ZH}",
    )
    busy = len(watch.busy(bar))
    ms = f"{bar * 1000:.1f}"
    check(
        busy >= WORKERS,
        en=f"{label} returned {total}, but the grader saw only {busy} process(es) doing work "
        f"below your function (at least {ms} ms of CPU each, {WORKER_SHARE:.0%} of what "
        f"{INCREMENTS} locked increments take on this machine), not {WORKERS} (the "
        f"{len(watch.lives)} it saw used {watch.cpu_shown()} ms). The number "
        f"must come from {WORKERS} multiprocessing.Process workers adding 1 to the shared "
        f"counter, not be computed {PART1}",
        zh=f"{label} 返回了 {total}，但评测程序只看到 {busy} 个进程在你的函数之下真正干活"
        f"（每个至少占用 {ms} 毫秒 CPU，即本机上加锁加一 {INCREMENTS} 次所需时间的 "
        f"{WORKER_SHARE:.0%}），而不是 {WORKERS} 个（看到 {len(watch.lives)} 个，"
        f"分别占用 {watch.cpu_shown()} 毫秒）。这个数必须是 {WORKERS} 个 "
        f"multiprocessing.Process 子进程往共享计数器上一次次加出来的，不能算出来{PART1_ZH}",
    )
    # What the judge read itself while it held the caller (_Watch.hold_caller): the workers,
    # alone, must bring the counter from below the total to the total.
    check(
        watch.alone_until is not None,
        en=f"{label}: the grader never saw your function wait (join) with {WORKERS} worker "
        f"processes started. Start all {WORKERS} multiprocessing.Process workers, then join "
        f"them {PART1}",
        zh=f"{label}：评测程序始终没有看到你的函数在启动了 {WORKERS} 个子进程之后等待"
        f"（join）。应当先启动全部 {WORKERS} 个 multiprocessing.Process，再逐个 join"
        f"{PART1_ZH}",
    )
    if watch.alone is None:
        return  # the caller could not be stopped in time (a machine far too busy): no look
    before, after, ended = watch.alone
    check(
        ended,
        en=f"{label}: once your function waited for its workers, the grader held it (SIGSTOP) "
        f"and let the processes below it run on: they had not all ended {ALONE_S:g} s later. "
        f"The workers must do the whole count by themselves, without anything from the caller "
        f"but the start; the caller only joins them {PART1}",
        zh=f"{label}：你的函数开始等待子进程之后，评测程序把它暂停（SIGSTOP），让它之下的"
        f"进程继续运行：{ALONE_S:g} 秒之后它们仍没有全部结束。计数必须完全由子进程自己完成，"
        f"除了启动之外不依赖调用者做任何事；调用者只负责 join{PART1_ZH}",
    )
    start, done, final = _ints(before), _ints(after), _ints(watch.heap_end or b"")
    raised = [
        i
        for i, value in enumerate(done)
        if value == expected
        and (i >= len(start) or start[i] < expected)
        and i < len(final)
        and final[i] == total
    ]
    check(
        bool(raised),
        en=f"{label} returned {total}, but the grader read the shared memory itself while it "
        f"held your function (SIGSTOP, from its first wait until every process below it had "
        f"ended): no counter went from below {expected} to {expected} in that time. The total "
        f"must be made by the {WORKERS} workers, each adding 1 at a time to the one "
        f"multiprocessing.Value, not set by the caller, before or after {PART1}",
        zh=f"{label} 返回了 {total}，但评测程序在暂停你的函数期间（SIGSTOP，从它第一次等待"
        f"直到它之下的进程全部结束）亲自读取了共享内存：这段时间里没有哪个计数器从小于 "
        f"{expected} 变成 {expected}。总数必须由 {WORKERS} 个子进程往同一个 "
        f"multiprocessing.Value 上一次加 1 地加出来，不能由调用者在之前或之后直接设置"
        f"{PART1_ZH}",
    )


@pytest.mark.points(1)
def test_processes_respect_the_arguments(student):
    # Odd and even worker counts, 0 workers, 0 increments, and repeated calls in one
    # process: a counter kept from one call to the next shows in the last one.
    runs = [(1, 0), (3, 7), (0, 5), (5, 1), (2, 1000), (1, 0)]
    label = "count_with_lock(1, 0), (3, 7), (0, 5), (5, 1), (2, 1000), (1, 0) in one process"
    got = student.options(label=label).scenario(_count_each, runs)
    for (workers, increments), total in zip(runs, got, strict=True):
        expected = workers * increments
        check(
            _is_count(total) and total == expected,
            en=f"count_with_lock({workers}, {increments}) returned {total!r}, expected "
            f"{expected} (calls in one process, in this order: {runs}). Each call counts from "
            f"a new Value('i', 0) and returns only its own total {PART1}",
            zh=f"count_with_lock({workers}, {increments}) 返回了 {total!r}，应为 {expected}"
            f"（在同一个进程里依次调用：{runs}）。每次调用都要从一个新的 Value('i', 0) "
            f"开始计数，只返回这一次的总数{PART1_ZH}",
        )


@pytest.mark.points(2)
def test_processes_really_share_the_counter(student):
    workers, increments = WORKERS, OFF_INCREMENTS
    label = f"count_with_lock({workers}, {increments}) with every lock switched off"
    outcome, watch = _watched(
        student, label, _count_with_locks_off, workers, increments, parties=workers
    )
    total = outcome.value_or_raise()
    expected = workers * increments
    check(
        _is_count(total) and total > 0,
        en=f"{label} returned {total!r}: no worker added anything to the counter. Each "
        f"worker adds 1 to the shared Value, under the lock {OFF}",
        zh=f"{label} 返回了 {total!r}：没有任何子进程给计数器加上数。每个子进程都要在锁里"
        f"给共享的 Value 加 1{OFF_ZH}",
    )
    # What the judge read itself: which int of the shared memory each process raised while
    # it ran alone, and that int when the function had returned.
    counter, writers = _counter_writers(watch)
    check(
        writers >= workers,
        en=f"{label}: the grader ran each process below your function alone for a moment "
        f"(the others stopped) and read the shared memory itself: only {writers} of them "
        f"raised the one shared counter, not {workers}. The counting must happen in the "
        f"{workers} worker processes, each adding 1 to the one multiprocessing.Value created "
        f"before they start, not be computed or done by fewer processes {OFF}",
        zh=f"{label}：评测程序让你的函数之下的每个进程单独运行了一小会儿（其余的都暂停），"
        f"并亲自读取共享内存：其中只有 {writers} 个进程让同一个共享计数器增加了，而不是 "
        f"{workers} 个。计数必须由 {workers} 个子进程来做，每个都给启动之前创建的那一个 "
        f"multiprocessing.Value 加 1，不能算出来，也不能由更少的进程代劳{OFF_ZH}",
    )
    final = _ints(watch.heap_end or b"")
    seen = final[counter] if counter is not None and counter < len(final) else None
    check(
        seen == total,
        en=f"{label} returned {total}, but the shared counter, as the grader read it in "
        f"memory when the function had returned, held {seen}. Return the counter's value "
        f"(counter.value) after joining the workers {OFF}",
        zh=f"{label} 返回了 {total}，但函数返回时评测程序在内存里读到的共享计数器是 {seen}。"
        f"join 所有子进程之后，返回计数器的值（counter.value）{OFF_ZH}",
    )
    check(
        total < expected,
        en=f"{label} still returned exactly {expected}. With the locks off, "
        f"{workers} workers that update one shared counter at the same time lose updates, "
        "every time. Yours did not: the total was computed, or counted in one process, or by "
        f"workers that ran one after another, or added in batches. Start all {workers} "
        "processes, then join them; each adds 1 at a time to the one Value, holding the lock "
        f"{OFF}",
        zh=f"{label} 仍然正好返回 {expected}。锁被关掉以后，{workers} 个同时更新"
        "同一个共享计数器的进程每次都会丢失更新，而你的没有：说明总数是算出来的，或者是在一个"
        "进程里数的，或者子进程是一个接一个跑的，或者是成批加上去的。应当先启动全部 "
        f"{workers} 个进程再逐个 join，每个进程持锁给同一个 Value 一次加 1{OFF_ZH}",
    )
    at_once = watch.peak_processes
    check(
        at_once >= workers,
        en=f"{label}: the grader saw at most {at_once} process(es) alive at once below your "
        f"function; {workers} workers must run at the same time {PART1}",
        zh=f"{label}：评测程序看到你的函数之下同一时刻最多只有 {at_once} 个进程；"
        f"{workers} 个子进程应当同时运行{PART1_ZH}",
    )


@pytest.mark.points(1)
def test_processes_are_real_and_joined(student):
    workers, increments = 3, 60_000  # an odd count: a loop that starts workers in pairs shows
    label = f"count_with_lock({workers}, {increments})"
    outcome, watch = _watched(student, label, _held, "count_with_lock", workers, increments)
    total = outcome.value_or_raise()
    # Whether they used CPU is judged at 4 x 100 000 (test_processes_count_exactly): at
    # 60 000 an efficient worker may use less than a tick.
    seen, at_once = len(watch.lives), watch.most_at_once()
    check(
        at_once >= workers,
        en=f"{label}: the grader saw {seen} process(es) below your function, at most "
        f"{at_once} at a time, not {workers} workers running together. Start one "
        "multiprocessing.Process per worker, start them all, then join them all: a worker "
        f"joined before the next starts makes the lock pointless {PART1}",
        zh=f"{label}：评测程序在你的函数之下看到 {seen} 个进程，同一时刻最多 {at_once} 个，"
        f"而不是 {workers} 个子进程一起运行。每个 worker 启动一个 multiprocessing.Process，"
        "先全部启动，再逐个 join；启动一个就等它结束再启动下一个，锁就失去了意义"
        f"{PART1_ZH}",
    )
    _check_no_leftovers(watch, label)
    check(
        total == workers * increments,
        en=f"{label} returned {total!r}, expected {workers * increments} {PART1}",
        zh=f"{label} 返回了 {total!r}，应为 {workers * increments}{PART1_ZH}",
    )


# -- Part 2: threads --------------------------------------------------------------------------


@pytest.mark.points(2)
def test_threads_count_exactly(student):
    # The grader's bump() adds `step` per call: the total comes from the calls, not arithmetic.
    step = random.randint(2, 9)
    label = f"count_with_threads({WORKERS}, {THREAD_INCREMENTS})"
    outcome, watch = _watched(student, label, _count_threads, WORKERS, THREAD_INCREMENTS, step)
    total = outcome.value_or_raise()
    expected = WORKERS * THREAD_INCREMENTS * step
    check(
        _is_count(total),
        en=f"{label} returned {total!r}; it should return `total`, an int",
        zh=f"{label} 返回了 {total!r}；应当返回 `total`（一个 int）",
    )
    calls = WORKERS * THREAD_INCREMENTS
    check(
        total != calls,
        en=f"{label} returned {total}, one per call, but the grader's bump() adds {step} per "
        f"call: after {calls} calls `total` is {expected}. Return `total` as bump() left it; "
        f"never compute the result {PART2}",
        zh=f"{label} 返回了 {total}，相当于每次调用加 1，但评测用的 bump() 每次加 {step}："
        f"调用 {calls} 次之后 `total` 是 {expected}。请返回 bump() 留下的 `total`，"
        f"不要自己算结果{PART2_ZH}",
    )
    if total < expected:
        fail(
            en=f"{WORKERS} threads x {THREAD_INCREMENTS} bump() calls left `total` at {total}, "
            f"not {expected} (the grader's bump() adds {step} per call). bump() reads `total`, "
            "lets other threads run, then writes: without a lock two threads read the same "
            "value and one update is lost (the grader's bump() waits a little at that point, "
            "so the race shows every time). Hold one threading.Lock, shared by all threads, "
            f"around each call to bump() {PART2}",
            zh=f"{WORKERS} 个线程各调用 {THREAD_INCREMENTS} 次 bump()，`total` 最后是 {total}"
            f"，而不是 {expected}（评测用的 bump() 每次加 {step}）。bump() 先读 `total`，"
            "让出执行权，再写回：不加锁的话，两个线程会读到同一个值，其中一次更新就丢了"
            "（评测用的 bump() 在这里会多等一会儿，让竞争每次都暴露出来）。"
            f"用一把所有线程共享的 threading.Lock 把每次 bump() 调用包起来{PART2_ZH}",
        )
    check(
        total == expected,
        en=f"{label} returned {total}, more than the {expected} that {calls} calls of the "
        f"grader's bump() (which adds {step} per call) make {PART2}",
        zh=f"{label} 返回了 {total}，比评测用的 bump()（每次加 {step}）调用 {calls} 次"
        f"得到的 {expected} 还多{PART2_ZH}",
    )
    # The kernel counts how often each thread waited; every call of the grader's bump()
    # sleeps once. The main thread only starts and joins (5-20 waits here).
    main = watch.main_switches
    check(
        main is not None and main < calls // 4,
        en=f"{label}: the main thread of your process waited {main} times (the kernel counts "
        f"it), as if it had called bump() itself: each call sleeps once. The {WORKERS} "
        f"threads call bump(), {THREAD_INCREMENTS} times each; the main thread only starts "
        f"and joins them {PART2}",
        zh=f"{label}：你的进程的主线程等待了 {main} 次（内核统计的），就像它自己调用了 "
        f"bump()：每次调用都会睡一下。应当由 {WORKERS} 个线程各调用 bump() "
        f"{THREAD_INCREMENTS} 次；主线程只负责启动和 join 它们{PART2_ZH}",
    )
    threads = watch.peak_threads
    check(
        threads >= WORKERS + 1,
        en=f"{label}: the grader saw at most {threads} thread(s) at once in your process, not "
        f"{WORKERS} workers beside the main thread. Start {WORKERS} threading.Thread "
        f"objects, then join them {PART2}",
        zh=f"{label}：评测程序看到你的进程里同一时刻最多只有 {threads} 个线程，而不是主线程"
        f"之外再有 {WORKERS} 个工作线程。应当先启动 {WORKERS} 个 threading.Thread，"
        f"再逐个 join{PART2_ZH}",
    )


@pytest.mark.points(1)
def test_threads_respect_the_arguments(student):
    # Odd counts, 0 threads, 0 calls, and calls one after another in one process: `total`
    # must be reset.
    runs = [(3, 40), (1, 0), (0, 9), (2, 50), (5, 7)]
    label = "count_with_threads(3, 40), (1, 0), (0, 9), (2, 50), (5, 7) in one process"
    got = student.options(label=label).scenario(_count_threads_each, runs)
    for (workers, increments), total in zip(runs, got, strict=True):
        expected = workers * increments
        check(
            _is_count(total) and total == expected,
            en=f"count_with_threads({workers}, {increments}) returned {total!r}, expected "
            f"{expected} (calls in one process, in this order: {runs}). Reset `total` to 0 "
            f"at the start of every call (it is a global: `global total`) {PART2}",
            zh=f"count_with_threads({workers}, {increments}) 返回了 {total!r}，应为 "
            f"{expected}（在同一个进程里依次调用：{runs}）。每次调用开始时都要把 `total` "
            f"重置为 0（它是全局变量，要写 `global total`）{PART2_ZH}",
        )


@pytest.mark.points(1)
def test_threads_are_real(student):
    workers, increments = 3, 200
    label = f"count_with_threads({workers}, {increments}) with every lock switched off"
    outcome, watch = _watched(student, label, _count_threads_with_locks_off, workers, increments)
    total = outcome.value_or_raise()
    expected = workers * increments
    check(
        _is_count(total) and total > 0,
        en=f"{label} returned {total!r}: bump() never completed. Each of the {workers} "
        f"threads calls bump(), and nothing else changes `total` but the reset to 0 {OFF}",
        zh=f"{label} 返回了 {total!r}：bump() 一次也没有完成。{workers} 个线程各自调用 "
        f"bump()，除了开头重置为 0，`total` 只能由 bump() 改变{OFF_ZH}",
    )
    # Each worker thread's last call of the grader's bump() stops the process while they are
    # all there: the kernel's count of each thread's sleeps (one per call) is read then.
    busy = [n for n in watch.thread_switches if n >= increments // 2]
    shown = ", ".join(map(str, watch.thread_switches)) or "-"
    check(
        len(busy) >= workers,
        en=f"{label}: the grader read from the kernel how often each thread of your process "
        f"waited ({shown}): only {len(busy)} thread(s) beside the main one slept in bump() "
        f"{increments // 2} times or more, not {workers}. Each of the {workers} threads calls "
        f"bump() {increments} times (every call sleeps once); the main thread only starts "
        f"and joins them {OFF}",
        zh=f"{label}：评测程序从内核读到你的进程里每个线程等待的次数（{shown}）：主线程之外"
        f"只有 {len(busy)} 个线程在 bump() 里睡过 {increments // 2} 次以上，而不是 {workers} "
        f"个。{workers} 个线程应当各调用 bump() {increments} 次（每次调用都会睡一下）；"
        f"主线程只负责启动和 join 它们{OFF_ZH}",
    )
    check(
        total < expected,
        en=f"{label} still returned exactly {expected}. With the locks off, {workers} threads "
        "that call bump() at the same time lose updates, every time (the grader's bump() "
        f"waits for all {workers} threads to arrive, then races). Yours did not: bump() was "
        "called from the main thread, or by threads that ran one after another, or `total` "
        f"was computed. Start {workers} threading.Thread objects that each call bump(), then "
        f"join them {OFF}",
        zh=f"{label} 仍然正好返回 {expected}。锁被关掉以后，{workers} 个同时调用 bump() "
        f"的线程每次都会丢失更新（评测用的 bump() 会等 {workers} 个线程都到齐再一起竞争），"
        "而你的没有：说明 bump() 是在主线程里调用的，或者线程是一个接一个跑的，或者 `total` "
        f"是算出来的。应当启动 {workers} 个 threading.Thread，每个都调用 bump()，"
        f"然后再逐个 join{OFF_ZH}",
    )
    threads = watch.peak_threads
    check(
        threads >= workers + 1,
        en=f"{label}: the grader saw at most {threads} thread(s) at once in your process, "
        f"not {workers} workers beside the main thread {PART2}",
        zh=f"{label}：评测程序看到你的进程里同一时刻最多只有 {threads} 个线程，而不是主线程"
        f"之外再有 {workers} 个工作线程{PART2_ZH}",
    )


# -- Part 3: a transfer that nobody sees half-done ---------------------------------------------


def _check_books(books: Any, label: str) -> Any:
    keys = {"a", "b", "totals", "audits"}
    ok = (
        isinstance(books, dict)
        and set(books) == keys
        and _is_count(books["a"])
        and _is_count(books["b"])
        and _is_count(books["audits"])
        and isinstance(books["totals"], list)
        and all(_is_count(t) for t in books["totals"])
    )
    check(
        ok,
        en=f"{label} returned {books!r}; it must return a dict with the keys a, b (ints), "
        f"totals (a sorted list of ints) and audits (an int) {PART3}",
        zh=f"{label} 返回了 {books!r}；应当返回一个 dict，键为 a、b（int）、totals"
        f"（int 的升序列表）和 audits（int）{PART3_ZH}",
    )
    return books


def _shown(totals: list[int]) -> str:
    return f"{totals[:8]}{' ...' if len(totals) > 8 else ''}"


@pytest.mark.points(3)
def test_auditor_never_sees_money_appear_or_vanish(student):
    label = f"audited_transfers({WORKERS}, {TRANSFERS})"
    outcome, watch = _watched(
        student, label, _held, "audited_transfers", WORKERS, TRANSFERS, locks=WORKERS + 1
    )
    books = _check_books(outcome.value_or_raise(), label)
    totals = books["totals"]
    check(
        totals == [2 * START],
        en=f"the auditor saw these totals: {_shown(totals)}. Money appeared or vanished "
        "mid-transfer: hold the same Lock around both halves of a transfer (take and add), "
        f"and around the auditor's read of a + b {PART3}",
        zh=f"审计进程看到的总额有：{_shown(totals)}。转账做到一半时钱凭空多了或少了："
        "一次转账的两半（扣款和入账）要放在同一把锁里，审计进程读取 a + b 时也要持有"
        f"这把锁{PART3_ZH}",
    )
    check(
        books["audits"] >= 2,
        en=f"the auditor audited {books['audits']} time(s): it must keep auditing while the "
        f"workers run, and once more after they finish {PART3}",
        zh=f"审计进程只审计了 {books['audits']} 次：转账进程运行期间它要不停地审计，"
        f"全部结束后再审计一次{PART3_ZH}",
    )
    # The workers spend most of their time waiting for the lock (20 000 transfers cost 0.03 s
    # of CPU each): that they ran is judged by how many were alive at once.
    at_once = watch.peak_processes
    check(
        at_once >= WORKERS + 1,
        en=f"{label}: the grader saw at most {at_once} process(es) alive at once below your "
        f"function, not {WORKERS} transfer workers and one auditor. The books must come from "
        f"real transfers watched by an auditor process that runs beside them {PART3}",
        zh=f"{label}：评测程序看到你的函数之下同一时刻最多只有 {at_once} 个进程，而不是 "
        f"{WORKERS} 个转账进程加一个审计进程。账目必须来自真实的转账，由一个与它们同时运行的"
        f"审计进程来核对{PART3_ZH}",
    )
    # The totals are what the auditor says it saw. What the judge saw itself: with the
    # transfers' lock kept taken (its holder stopped), every process below let go came to wait
    # for it (_Watch.lock_test). Only a look that counted gives a verdict.
    refuser = watch.refuser()
    if syscalls.NAMES is None or refuser is None:
        return  # not Linux on x86_64 or aarch64, or no verdict from the looks that counted
    pid, doing = refuser
    fail(
        en=f"{label}: the grader stopped every process below your function, found the lock "
        f"the transfers wait for (from the kernel: the semaphore their acquire() sleeps on) "
        f"and kept it taken, its holder stopped. It then let process {pid} run, which had not "
        f"been seen waiting for that lock: it never came to take it within {LOCK_HELD_S:g} s "
        f"(it was in: {doing}). The totals are "
        f"what your auditor reports, and they count only if it reads a + b holding the same "
        f"Lock that every transfer holds, at least every {LOCK_HELD_S:g} s; every process "
        f"below your function must take that lock {PART3}",
        zh=f"{label}：评测程序暂停了你的函数之下的所有进程，找出转账所等的那把锁（由内核"
        f"得知：它们的 acquire() 睡在哪个信号量上），并让这把锁一直被占着（持锁的进程保持"
        f"暂停）。然后它让还没被看到等这把锁的进程 {pid} 继续运行：它始终没有在 "
        f"{LOCK_HELD_S:g} 秒内来拿这把锁（它在：{doing}）。总额是"
        f"你的审计进程自己报告的，只有当它持有每次转账都持有的那同一把 Lock 来读取 a + b"
        f"（至少每 {LOCK_HELD_S:g} 秒一次）时才算数；你的函数之下的每个进程都必须拿这把锁"
        f"{PART3_ZH}",
    )


@pytest.mark.points(1)
def test_auditor_watches_while_money_moves(student):
    workers = 3  # an odd count: two workers move a -> b, one b -> a
    label = f"audited_transfers({workers}, {OFF_TRANSFERS}) with every lock switched off"
    outcome, watch = _watched(
        student, label, _transfers_with_locks_off, workers, OFF_TRANSFERS, parties=workers + 1
    )
    books = _check_books(outcome.value_or_raise(), label)
    movers = _money_movers(watch)
    check(
        movers >= workers,
        en=f"{label}: the grader ran each process below your function alone for a moment "
        f"(the others stopped) and read the shared memory itself: only {movers} of them moved "
        f"money between the two shared accounts, not {workers}. The transfers must be made by "
        f"the {workers} worker processes, on the two multiprocessing.Value accounts created "
        f"before they start {PART3}",
        zh=f"{label}：评测程序让你的函数之下的每个进程单独运行了一小会儿（其余的都暂停），"
        f"并亲自读取共享内存：其中只有 {movers} 个进程在两个共享账户之间转了钱，而不是 "
        f"{workers} 个。转账必须由 {workers} 个转账进程在启动之前创建的两个 "
        f"multiprocessing.Value 账户上完成{PART3_ZH}",
    )
    check(
        books["totals"] != [2 * START],
        en=f"{label}: the auditor still saw only {2 * START}. With the locks off, an "
        "auditor that reads a + b while workers move money between the same two Values "
        "catches money in flight, every time. Yours did not: the auditor did not run while "
        "the workers did, or did not read the shared accounts, or the books were made up. "
        f"Start the auditor process and the {workers} workers together; the auditor keeps "
        f"reading a + b until they have finished {OFF}",
        zh=f"{label}：审计进程看到的仍然只有 {2 * START}。锁被关掉以后，"
        "转账进程在同两个 Value 之间搬钱时，一个不停读取 a + b 的审计进程每次都会撞见"
        "在途的钱，而你的没有：说明审计进程没有和转账进程同时运行，或者读的不是共享账户，"
        f"或者账目是编出来的。审计进程要和 {workers} 个转账进程一起启动，"
        f"一直读 a + b，直到它们全部结束{OFF_ZH}",
    )
    # With the locks off nobody waits: each of the 3 workers and the auditor used 0.05-0.14 s
    # of CPU, seen from outside. An auditor that sleeps until the end uses a few ms.
    busy = watch.busy()
    check(
        len(busy) >= workers + 1 and watch.most_at_once(busy) >= workers + 1,
        en=f"{label}: the grader saw {len(busy)} process(es) doing work (using CPU) below your "
        f"function, at most {watch.most_at_once(busy)} at once; the auditor and {workers} "
        "workers must all work at the same time: the auditor keeps reading a + b while the "
        f"workers move money, not only after they are done {PART3}",
        zh=f"{label}：评测程序在你的函数之下看到 {len(busy)} 个进程在干活（占用 CPU），"
        f"同一时刻最多 {watch.most_at_once(busy)} 个；审计进程和 {workers} 个转账进程应当同时"
        "工作：转账进程搬钱的同时，审计进程要不停地读取 a + b，而不是等它们结束以后才读"
        f"{PART3_ZH}",
    )


@pytest.mark.points(1)
def test_transfers_balance_out(student):
    # Even and odd worker counts, and none: workers with an even index move a -> b, odd ones b -> a.
    runs = [(2, 3000), (3, 500), (1, 200), (0, 100), (5, 100)]
    label = "audited_transfers(2, 3000), (3, 500), (1, 200), (0, 100), (5, 100) in one process"
    outcome, watch = _watched(student, label, _transfer_each, runs)
    got = outcome.value_or_raise()
    for (workers, transfers), books in zip(runs, got, strict=True):
        books = _check_books(books, f"audited_transfers({workers}, {transfers})")
        moved = transfers * (workers // 2 - (workers + 1) // 2)  # odd ones in, even ones out
        want = (START + moved, START - moved)
        check(
            (books["a"], books["b"]) == want,
            en=f"after audited_transfers({workers}, {transfers}) the accounts are "
            f"a={books['a']}, b={books['b']}; expected a={want[0]}, b={want[1]}: workers "
            f"0, 2, 4, ... move from a to b, workers 1, 3, ... from b to a. Join the workers "
            f"before reading the balances, and make each transfer under the lock {PART3}",
            zh=f"audited_transfers({workers}, {transfers}) 之后账户是 a={books['a']}，"
            f"b={books['b']}；应为 a={want[0]}，b={want[1]}：下标为 0、2、4……的进程从 a "
            "转到 b，下标为 1、3……的从 b 转到 a。读余额之前先 join 所有转账进程，"
            f"每次转账都要在锁里完成{PART3_ZH}",
        )
    seen = len(watch.lives)
    check(
        seen >= 3,
        en=f"{label}: the grader saw {seen} process(es) below your function; the balances "
        f"must come from worker processes and an auditor process, not be computed {PART3}",
        zh=f"{label}：评测程序在你的函数之下只看到 {seen} 个进程；余额必须来自转账进程"
        f"和审计进程的实际运行，不能算出来{PART3_ZH}",
    )
