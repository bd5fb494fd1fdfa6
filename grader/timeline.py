"""The judge's own record of what a sandbox did: its process tree, sampled from outside.

While a student call or a started server runs, a :class:`Watcher` in the test process reads
the process table every few milliseconds and keeps, for every process below the sandbox,
when it was first and last seen, its CPU time, its most threads and the states it was in. A
started server is sampled on the Watcher's own thread; a call, which the judge waits for
anyway, on the judge's thread between its waits (:meth:`Watcher.sample_while_waiting`), as
long as no server's thread runs: starting a thread costs a call more than sampling it.
Nothing here comes from the sandbox: a student cannot fake a pid, a start time or a CPU
count the kernel reports. A process is named by (pid, start time), so a reused pid is a new
process; threads are counted, never identified (idents are reused once a thread ends).

Ownership: the :class:`Student` fixture owns one Watcher; it starts the thread at the first
started server and stops it in its teardown. Forks of the test process, the judge's and a
spec's own, go through :func:`fork_between_samples`, so the sampling thread never holds a
lock a child would inherit.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from grader import probe
from grader.isolation import Deadline
from grader.polling import join_to_the_end

FIRST_INTERVAL = 0.002  # the first samples come fast: short-lived workers show up
INTERVAL = 0.005
MAX_SHARE = 0.1  # sampling may use at most this share of one core


# Every Watcher of this process, for fork_between_samples (weak: a test's goes with it).
_WATCHERS: weakref.WeakSet[Watcher] = weakref.WeakSet()


@dataclass(frozen=True)
class Life:
    """One process below a sandbox, as the judge saw it."""

    pid: int
    ppid: int
    name: str
    start: int  # clock ticks since boot (with pid, the identity)
    first_seen: float  # seconds since the run began
    last_seen: float
    cpu_s: float  # CPU time at the last sight
    max_threads: int
    states: frozenset[str]

    def overlaps(self, other: Life) -> bool:
        """Both were seen alive at a common moment (by sample times)."""
        return self.first_seen <= other.last_seen and other.first_seen <= self.last_seen

    def describe(self) -> str:
        return f"pid {self.pid} ({self.name}, {self.cpu_s:.2f} s CPU, {self.max_threads} thread(s))"


@dataclass(frozen=True)
class Timeline:
    """Every process seen below one sandbox, and the peaks seen at a single moment.

    ``root`` is the sandbox process itself (the caller of the student's function);
    ``lives`` are the processes below it (children, grandchildren, adopted orphans), in the
    order they were first seen. Peaks are over samples: ``peak_processes`` the most live
    processes below the root at once, ``peak_running`` the most of them running (state R)
    at once, ``peak_threads`` the most threads the root had at once. ``last_sample`` is when
    the last sample was taken (seconds since the run began): for a call, the moment it
    returned, before the judge killed anything.
    """

    root: Life | None = None
    lives: tuple[Life, ...] = ()
    samples: int = 0
    seconds: float = 0.0
    last_sample: float = 0.0
    peak_processes: int = 0
    peak_running: int = 0
    peak_threads: int = 0

    def busy(self, min_cpu_s: float = 0.0) -> list[Life]:
        """Processes below the root that used more than ``min_cpu_s`` seconds of CPU."""
        return [life for life in self.lives if life.cpu_s > min_cpu_s]

    def at_end(self) -> list[Life]:
        """The processes below the root that the last sample saw.

        Judge a state that must last (a zombie kept by a running task) from these: one sample
        can catch a state that lasts microseconds, such as a child the kernel reaps itself
        (SIGCHLD ignored) between becoming a zombie and being released.
        """
        if not self.samples:
            return []
        return [life for life in self.lives if life.last_seen == self.last_sample]

    def most_at_once(self, lives: list[Life] | None = None) -> int:
        """The largest number of ``lives`` (default all) whose sightings overlap pairwise."""
        chosen = list(self.lives if lives is None else lives)
        best = 0
        for life in chosen:
            best = max(best, sum(1 for other in chosen if life.overlaps(other)))
        return best


@dataclass
class _Seen:
    """A process as sampled so far (mutable while the run goes on)."""

    proc: probe.Proc
    first: float
    last: float
    cpu: int = 0
    threads: int = 0
    states: set[str] = field(default_factory=set)

    def life(self) -> Life:
        return Life(
            pid=self.proc.pid,
            ppid=self.proc.ppid,
            name=self.proc.name,
            start=self.proc.start,
            first_seen=self.first,
            last_seen=self.last,
            cpu_s=self.cpu / probe.TICKS,
            max_threads=self.threads,
            states=frozenset(self.states),
        )


@dataclass
class _Recording:
    root_pid: int
    began: float
    spare: frozenset[int]
    seen: dict[tuple[int, int], _Seen] = field(default_factory=dict)
    samples: int = 0
    last_at: float = 0.0
    peak_processes: int = 0
    peak_running: int = 0
    peak_threads: int = 0

    def add(self, rows: dict[int, probe.Proc], adopted: list[int], now: float) -> None:
        at = now - self.began
        self.samples += 1
        self.last_at = at
        root = rows.get(self.root_pid)
        below = probe.descendants(self.root_pid, rows, skip=self.spare)
        for pid in adopted:  # orphans re-parented to the judge: still this run's processes
            if pid in rows:
                below += [rows[pid], *probe.descendants(pid, rows, skip=self.spare)]
        live = [p for p in below if not p.zombie]
        self.peak_processes = max(self.peak_processes, len(live))
        self.peak_running = max(self.peak_running, sum(1 for p in live if p.state == "R"))
        if root is not None and not root.zombie:
            self.peak_threads = max(self.peak_threads, root.threads)
            self._see(root, at)
        for proc in below:
            self._see(proc, at)

    def _see(self, proc: probe.Proc, at: float) -> None:
        key = (proc.pid, proc.start)
        seen = self.seen.get(key)
        if seen is None:
            seen = self.seen[key] = _Seen(proc, first=at, last=at)
        seen.proc = proc  # the latest sighting: a re-parented process shows its new parent
        seen.last = at
        seen.cpu = max(seen.cpu, proc.cpu)
        if not proc.zombie:
            seen.threads = max(seen.threads, proc.threads)
        seen.states.add(proc.state)

    def timeline(self, now: float) -> Timeline:
        lives = [s.life() for s in self.seen.values()]
        return Timeline(
            root=next((life for life in lives if life.pid == self.root_pid), None),
            lives=tuple(life for life in lives if life.pid != self.root_pid),
            samples=self.samples,
            seconds=now - self.began,
            last_sample=self.last_at,
            peak_processes=self.peak_processes,
            peak_running=self.peak_running,
            peak_threads=self.peak_threads,
        )


def fork_between_samples() -> int:
    """``os.fork()`` in a test process, with the sampling thread of every live Watcher parked
    between samples: the child inherits no lock it held. Python 3.12+ warns about any fork
    in a process with threads, and a warning in a test's output reads as the student's
    problem; this one is not raised (a caller that runs threads of its own must have
    stopped them). In the child (0 is returned) the caller must end with ``os._exit``."""
    me = os.getpid()
    with contextlib.ExitStack() as parked, warnings.catch_warnings():
        for watcher in list(_WATCHERS):
            # A fork's copy of a Watcher has no thread, and its lock was held when it was
            # copied: it would never be free.
            if watcher.me == me:
                parked.enter_context(watcher.fork_guard())
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


class Watcher:
    """Samples the process trees of the sandboxes it is told about, on a thread of its own."""

    def __init__(self, me: int) -> None:
        self.me = me  # the test process: orphans of a sandbox are re-parented to it
        self._lock = threading.Lock()  # held while sampling and while forking
        self._recordings: dict[int, _Recording] = {}
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        _WATCHERS.add(self)

    @contextlib.contextmanager
    def fork_guard(self) -> Iterator[None]:
        """Hold this around ``os.fork()``: the sampler is then between samples."""
        with self._lock:
            yield

    def watch(self, pid: int, spare: frozenset[int], *, on_thread: bool = True) -> None:
        """Start recording the tree below ``pid`` (``spare``: the judge's other children).

        ``on_thread``: sample it on the Watcher's thread, started now if need be; else the
        caller waits for ``pid`` in :meth:`sample_while_waiting`, which samples when no
        thread does."""
        with self._lock:
            self._recordings[pid] = _Recording(pid, time.monotonic(), spare)
        if on_thread and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="grader-watcher", daemon=True)
            self._thread.start()
        if self._thread is not None:
            self._wake.set()

    def sample_now(self) -> float:
        """Take one sample at once (e.g. the moment a call returned); the CPU time it took."""
        began = time.thread_time()  # our own CPU: waiting for a busy machine is free
        with self._lock:
            self._sample()
        return time.thread_time() - began

    def sample_while_waiting(self, wait: Callable[[Deadline], bool], deadline: Deadline) -> None:
        """Call ``wait(step)`` until it returns True or ``deadline`` passes, sampling between
        the steps on the Watcher's schedule, as its thread would: the judge waiting for a
        call samples its tree itself, unless the thread runs already (for a started server),
        which then samples everything. ``wait`` must return at its step's end at the latest."""
        pace = _Pace()
        while True:
            threaded = self._thread is not None
            step = deadline if threaded else Deadline(min(pace.wait, deadline.remaining()))
            if wait(step) or deadline.expired():
                return
            if not threaded:
                pace.after(self.sample_now())

    def timeline(self, pid: int) -> Timeline:
        """What was recorded below ``pid`` so far (an empty Timeline for an unknown pid)."""
        with self._lock:
            recording = self._recordings.get(pid)
            return recording.timeline(time.monotonic()) if recording else Timeline()

    def forget(self, pid: int) -> Timeline:
        """Stop recording ``pid``; what was recorded."""
        with self._lock:
            recording = self._recordings.pop(pid, None)
            return recording.timeline(time.monotonic()) if recording else Timeline()

    def close(self) -> None:
        """Stop the sampling thread, if any, and wait until it has ended (a fork then copies
        one thread)."""
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            join_to_the_end(self._thread, timeout=2.0)
            self._thread = None

    def _sample(self) -> None:
        if not self._recordings:
            return
        spare = frozenset().union(*(r.spare for r in self._recordings.values()))
        # One walk down from the test process, in proportion to its tree: the sandboxes, all
        # they started, and orphans they left (re-parented to us, the subreaper).
        rows = probe.subtree([self.me], skip=spare)
        now = time.monotonic()
        watched = set(self._recordings)
        adopted = [p.pid for p in rows.values() if p.ppid == self.me and p.pid not in watched]
        for recording in self._recordings.values():
            recording.add(rows, adopted, now)

    def _run(self) -> None:
        pace = _Pace()
        while not self._stop:
            pace.after(self.sample_now())
            with self._lock:
                idle = not self._recordings
                if idle:  # cleared under the lock: a watch() from now on sets it again
                    self._wake.clear()
            if idle:
                if self._stop:  # close() may have set the event just before the clear
                    break
                self._wake.wait()
                pace = _Pace()
            else:
                self._wake.wait(pace.wait)
                self._wake.clear()


class _Pace:
    """The waits between samples: short at first, so that short-lived workers show up, then
    INTERVAL, and long enough that sampling takes at most MAX_SHARE of a core."""

    def __init__(self) -> None:
        self.wait = FIRST_INTERVAL / 2  # before the first sample
        self._interval = FIRST_INTERVAL

    def after(self, cost: float) -> None:
        """A sample took ``cost`` seconds of CPU: the next wait."""
        self.wait = max(self._interval, cost / MAX_SHARE)
        self._interval = min(INTERVAL, self._interval * 1.5)
