"""Spec for exercise 13 — a semaphore. Run it with `grader check semaphore`.

The judge observes; the sandbox only acts. The critical section is a trusted task of this
file: it connects to a socket the judge (this test process) holds, says which item it is,
and stays connected until the judge lets it go. So the judge counts the processes inside the
section itself: a live connection is a process inside, the kernel names it (``SO_PEERCRED``),
and its end closes when it leaves. Nothing the student's code returns or records is counted.

How the race is made to show every time: the judge lets nobody out of the section until the
sandbox is *calm* — the caller waits (state S, in ``join()``) and every worker that is not
inside is blocked too (state S, waiting for a permit) — for several samples in a row. A
worker that could enter (no semaphore, a semaphore per worker, ``Semaphore(limit + 1)``, an
extra release) is runnable until it has connected, so it is inside, and counted, before the
judge lets anyone out. Then, at each calm moment, the judge counts who is inside (never more
than ``limit``, and exactly ``min(limit, left)``) and lets the oldest one out. The first one
it lets out raises, so a permit that is not given back shows at the next calm moment.

Where the waiting workers wait is read from the kernel too: at each calm moment the judge
reads the system call the main thread of every process outside the section is in
(``/proc/<pid>/task/<pid>/syscall``) and, for a ``futex``, which mapping holds its word
(``/proc/<pid>/maps``). A worker waiting for a permit of a ``multiprocessing`` semaphore
sleeps in ``futex`` on a page mapped from that semaphore's ``/dev/shm/sem.*`` file. The judge
lets nobody out before it has seen each of them twice in a row in the same such wait; a
process outside that stays elsewhere (a ``read`` on a pipe the caller hands turns over, a
Manager's socket) through ``HOLD_S`` of calm is a worker the caller, not a semaphore, holds
back, and fails Part 1's limit tests. The waiting workers of a run must all wait on the same
semaphore file (its device and inode; a semaphore per worker that the caller releases in
turn fails). Where the kernel does not say (no ``/proc``, another architecture) nothing is
judged; a worker that makes itself non-dumpable, hiding its calls, fails.

Counting is exact: a poll reads the ends of older connections after it accepts newer ones,
so a worker that left the section (closed) before the next one came in is never counted with
it (a worker leaves the section before it gives its permit back).

The semaphore, not the caller, must decide who waits: when the judge lets the first worker
out, it notes the caller's live children; every process that later enters must be one of
them (a caller that starts a new process only when one has ended, a hand-made pool or a
``Pool(limit)``, keeps the count without any semaphore).

Exit codes are read from the kernel, not from what the caller returns: before the judge lets
the raising task out, it stops the caller (SIGSTOP), so nobody can collect the worker's exit
status; the worker ends, stays a zombie, and the judge reads its exit status in
``/proc/<pid>/stat`` (proc(5): field 52, shown to a reader that may ptrace-read the process:
``probe.exit_status``, which reads with the worker's own uid where root may not),
then lets the caller go on (SIGCONT).

Part 2 gives back, from the caller, a permit that a child took (a semaphore has no owner:
that release must succeed), and releases once with nothing taken (that one must raise), in
an order drawn at random; then the workers show that exactly ``limit`` permits are left.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import random
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from grader.spec import Outcome, Running, channel, check, fail, probe, stops, syscalls

# README references (checked by `grader verify` against the headings of both READMEs).
P1_EN = "(README: 'Part 1 — at most limit at once')"
P1_ZH = "（见 README：「第一部分：同一时刻最多 limit 个」）"
P2_EN = "(README: 'Part 2 — a semaphore that refuses an extra release')"
P2_ZH = "（见 README：「第二部分：多还一次就报错的信号量」）"

RUN_S = 12.0  # the longest the judge watches one run
SETTLE_S = 0.03  # how long the sandbox must stay calm before the judge counts and lets one out
SETTLE_SAMPLES = 3  # ... over at least this many samples in a row
HOLD_S = 2.0  # nothing moved, yet never calm, this long: let one out anyway (not judged)
ANSWER_S = 20.0  # the longest a task waits for the judge (the judge always answers)
EXIT_S = 5.0  # the longest the judge waits, the caller stopped, for the raising worker to end
GO, RAISE, DONE = "out", "raise", "done"
TAKE, GIVE = "take", "give"  # Part 2: a child acquires a permit; the caller releases one
TOOK, RETURNED, REFUSED = "took", "returned", "ValueError"  # what a step of Part 2 did
TAKE_S = 3.0  # the longest a child waits to take a free permit of a fresh permits()


# -- the sandbox side: trusted code that only acts -----------------------------------------------


def _task(address: str, item: str) -> None:
    """The critical section: be counted by the judge until it lets us out."""
    conn = channel.connect(address, f"in {item}", timeout=ANSWER_S)
    try:
        answer = channel.read_line(conn)
    finally:
        conn.close()  # out of the section before the caller's code gives the permit back
    if answer == RAISE:
        raise RuntimeError(f"task({item!r}) failed (an error the grader raised on purpose)")


def _limited_scenario(module: ModuleType, address: str, items: list[str], limit: int) -> object:
    codes = module.run_limited(functools.partial(_task, address), items, limit)
    channel.talk(address, DONE, timeout=ANSWER_S)  # returned: the judge reads our children
    return codes


def _hold(seats: object, address: str, tag: str) -> None:
    with seats:  # type: ignore[attr-defined]
        _task(address, tag)


def _take(seats: object) -> None:
    # Take a permit and keep it: the caller gives it back. A fresh semaphore has one free.
    if not seats.acquire(timeout=TAKE_S):  # type: ignore[attr-defined]
        sys.exit(3)


def _permits_scenario(
    module: ModuleType, address: str, limit: int, workers: int, plan: list[str]
) -> object:
    seats = module.permits(limit)
    said: list[str] = []  # what each step did: a child took a permit, or what release() did
    for step, want in plan:
        if step == TAKE:  # a child takes a permit and ends, holding it
            taker = multiprocessing.Process(target=_take, args=(seats,))
            taker.start()
            taker.join()
            said.append(TOOK if taker.exitcode == 0 else f"exit code {taker.exitcode}")
        else:
            try:
                seats.release()
                said.append(RETURNED)
            except ValueError:
                said.append(REFUSED)
            except Exception as error:  # reported to the judge, who explains it
                said.append(type(error).__name__)
        if said[-1] != want:  # the judge fails the test on it: no workers to wait for
            channel.talk(address, DONE, timeout=ANSWER_S)
            return said
    procs = [
        multiprocessing.Process(target=_hold, args=(seats, address, f"w{i}"))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    channel.talk(address, DONE, timeout=ANSWER_S)
    return said


# -- the judge's side ------------------------------------------------------------------------------


@dataclass
class Seen:
    caller: int
    limit: int
    count: int  # how many tasks should pass through the section
    holders: list[channel.Peer] = field(default_factory=list)  # every connection into the section
    peak: int = 0  # most processes inside at once, as the judge counted them
    peak_pids: list[int] = field(default_factory=list)
    full: int | None = None  # inside at the first calm moment, before anyone was let out
    short: tuple[int, int] | None = None  # (inside, left) at a later calm moment, too few inside
    raised: str | None = None  # the item whose task the judge made raise
    stuck: int | None = None  # tasks left when everything stood still with nobody inside
    gate: list[probe.Proc] | None = None  # the caller's children when the function returned
    started: dict[int, int] | None = None  # the caller's live children (pid: start) at the
    # moment the judge let the first worker out
    late: list[int] = field(default_factory=list)  # processes inside started after that
    exit_seen: str | None = None  # how the raising worker ended, as the kernel showed it
    raised_pid: int | None = None
    waiters: dict[tuple[int, int], Waiter] = field(default_factory=dict)  # (pid, start): the
    # caller's children outside the section, as the judge looked at them at calm moments
    astray: list[tuple[int, str]] | None = None  # (pid, what its main thread was in): waiting,
    # yet not on a semaphore, through a long calm
    gates: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # semaphore file:
    # the pids seen waiting on it when the judge let one out
    hidden: list[int] = field(default_factory=list)  # made themselves non-dumpable
    outcome: Outcome | None = None

    def items_seen(self) -> dict[str, list[channel.Peer]]:
        found: dict[str, list[channel.Peer]] = {}
        for peer in self.holders:
            found.setdefault(peer.line.removeprefix("in "), []).append(peer)
        return found


@dataclass
class Waiter:
    """A live child of the caller outside the section: where its main thread waits."""

    pid: int
    semaphores: syscalls.Semaphores
    line: str | None = None  # its main thread's syscall line at the last look
    sem: tuple[str, int] | None = None  # the semaphore file of the last look's futex
    at_gate: bool = False  # the last two looks saw the same futex wait on a semaphore page
    untold: bool = False  # the judge cannot tell where it waits (no /proc, another arch)
    hidden: bool = False  # it made itself non-dumpable
    what: str = ""  # what its main thread was in at the last look (for the messages)

    def look(self) -> None:
        """Read the system call its main thread is in (``/proc/<pid>/task/<pid>/syscall``),
        and, for a futex, the semaphore file whose page holds the futex word."""
        if self.hidden:
            return
        try:
            calls = syscalls.threads(self.pid)
        except syscalls.Hidden:
            self.hidden = True
            return
        main = next((c for c in calls or [] if c.tid == self.pid), None)
        self.untold = calls is None
        sem = None
        if main is None:
            self.what = "no main thread" if calls is not None else ""
        elif main.name == "futex" and main.blocked:
            try:
                sem = self.semaphores.waited_on(main)
            except ProcessLookupError:
                self.untold = True  # it ended meanwhile
            self.what = "futex" if sem is None else "semaphore"
        else:
            self.what = main.name if main.blocked or main.name == "running" else "running"
        line = None if main is None or self.untold else main.line
        self.at_gate = sem is not None and line is not None and line == self.line
        self.line, self.sem = line, sem

    @property
    def settled(self) -> bool:
        """Waits on a semaphore; or the judge cannot tell (then it does not judge)."""
        return self.at_gate or self.untold or self.hidden


def _look_at_waiters(seen: Seen, kids: dict[int, int], inside: set[int]) -> list[Waiter]:
    """Look at every live child of the caller that is not inside; those not settled on a
    semaphore yet."""
    loose = []
    for pid, start in kids.items():
        if pid in inside:
            continue
        waiter = seen.waiters.get((pid, start))
        if waiter is None:
            waiter = seen.waiters[pid, start] = Waiter(pid, syscalls.Semaphores(pid))
        waiter.look()
        if waiter.hidden and pid not in seen.hidden:
            seen.hidden.append(pid)
        if not waiter.settled:
            loose.append(waiter)
    return loose


def _note_gates(seen: Seen, kids: dict[int, int], inside: set[int]) -> None:
    """Note which semaphore file each waiting child waits on, as the judge lets one out."""
    for pid, start in kids.items():
        waiter = seen.waiters.get((pid, start))
        if pid not in inside and waiter is not None and waiter.at_gate and waiter.sem:
            pids = seen.gates.setdefault(waiter.sem, [])
            if pid not in pids:
                pids.append(pid)


def _calm(caller: int, inside: set[int]) -> tuple[bool, dict[int, int]]:
    """Whether the caller and every live child of it that is not inside are blocked (state
    S); and the live children (pid: start time)."""
    rows = probe.subtree([caller])
    me = rows.get(caller)
    kids = [row for row in probe.children(caller, rows) if not row.zombie]
    live = {row.pid: row.start for row in kids}
    if me is None or me.state != "S":
        return False, live
    return all(row.state == "S" for row in kids if row.pid not in inside), live


@dataclass
class _Frozen:
    """The caller is stopped; the raising worker's end is awaited."""

    pid: int
    start: int
    until: float

    def ended(self, seen: Seen, now: float) -> bool:
        """Whether the worker's end is known (then ``seen.exit_seen`` says how it ended)."""
        row = probe.read(self.pid)
        if row is None or row.start != self.start:
            seen.exit_seen = "gone"  # collected, though its parent could not run
            return True
        if not row.zombie:
            if now < self.until:
                return False
            seen.exit_seen = "alive"
            return True
        status = probe.exit_status(self.pid)
        if status is None:
            return True  # the kernel does not show us: no verdict on it
        signum, code = status & 0x7F, (status >> 8) & 0xFF
        seen.exit_seen = f"signal {signum}" if signum else f"exit {code}"
        return True


def _freeze(running: Running, caller: int, worker: channel.Peer) -> _Frozen | None:
    """Stop the caller before the raising worker is let out, so its zombie waits for the
    judge; None where the judge cannot read exit statuses (no /proc)."""
    if worker.row is None or worker.pid == caller or not os.path.exists("/proc/self/stat"):
        return None
    running.send_signal(signal.SIGSTOP)
    if not stops.wait_stopped([caller], EXIT_S):
        running.send_signal(signal.SIGCONT)
        return None
    return _Frozen(worker.pid, worker.row.start, time.monotonic() + EXIT_S)


def _watch(
    student,
    label: str,
    scenario,
    args: tuple,
    limit: int,
    count: int,
    raise_first: bool,
    exit_status: bool = False,
):
    with channel.Channel("13") as judge:
        running: Running = student.options(label=label).start_scenario(
            scenario, judge.address, *args
        )
        seen = Seen(running.pid, limit, count)
        _judge(judge, running, seen, raise_first, exit_status)
        if seen.gate is not None or running.finished():
            running.wait(RUN_S / 2)
            seen.outcome = running.stop(grace=0.5)
        else:
            seen.outcome = running.time_out()
        if seen.started is not None:
            seen.late = [
                p.pid
                for p in seen.holders
                if p.row is None or seen.started.get(p.pid) != p.row.start
            ]
        return seen


def _judge(
    judge: channel.Channel, running: Running, seen: Seen, raise_first: bool, exit_status: bool
) -> None:
    """Count who is inside; at each calm moment, let the oldest one out."""
    limit, count = seen.limit, seen.count
    end = time.monotonic() + RUN_S
    calm_since: float | None = None
    calm_samples = 0
    pending: channel.Peer | None = None  # let out, its end not read yet
    frozen: _Frozen | None = None  # the caller stopped while the raising worker ends
    before: frozenset[int] = frozenset()
    children: dict[int, int] = {}
    last_change = time.monotonic()
    try:
        while time.monotonic() < end and seen.gate is None:
            finished = running.finished()
            for said in judge.new_lines():  # a peer's first line says who it is
                if not said.first or said.peer in seen.holders:
                    continue
                if said.text != DONE:
                    seen.holders.append(said.peer)
                elif seen.gate is None and said.peer.pid == seen.caller:
                    seen.gate = probe.children(seen.caller, probe.subtree([seen.caller]))
                    said.peer.answer("ok")
            inside = [p for p in judge.peers if p in seen.holders and not p.ended]
            now = time.monotonic()
            ids = frozenset(id(p) for p in inside)
            if ids != before:
                before, last_change, calm_since, calm_samples = ids, now, None, 0
            if len(inside) > seen.peak:
                seen.peak, seen.peak_pids = len(inside), [p.pid for p in inside]
            if frozen is not None:
                if not frozen.ended(seen, now):
                    continue
                frozen = None
                running.send_signal(signal.SIGCONT)
                end += EXIT_S  # the time the caller stood still is not the run's
                calm_since, calm_samples, last_change = None, 0, now
            if pending is not None and pending.ended:
                pending = None
            if pending is not None or seen.gate is not None:
                continue
            calm, kids = _calm(seen.caller, {p.pid for p in inside})
            if kids != children:  # a process started or ended: something is still moving
                children, last_change, calm_since, calm_samples = kids, now, None, 0
                calm = False
            if calm:
                calm_since = now if calm_since is None else calm_since
                calm_samples += 1
            else:
                calm_since, calm_samples = None, 0
            settled = calm_since is not None and calm_samples >= SETTLE_SAMPLES
            settled = settled and now - calm_since >= SETTLE_S
            left = max(0, count - sum(1 for p in seen.holders if p.ended))
            if not inside:
                if finished:
                    break
                if settled and left and now - last_change > HOLD_S:
                    seen.stuck = left  # nobody inside, everybody waiting: a permit was lost
                    break
                continue
            # Calm: every process outside must be seen waiting on a semaphore (the same futex
            # wait in two looks in a row) before the judge counts and lets one out.
            judging = calm and seen.astray is None  # once judged, the judge only counts
            loose = _look_at_waiters(seen, kids, {p.pid for p in inside}) if judging else []
            if settled and loose and seen.astray is None:
                if now - last_change <= HOLD_S:
                    continue  # not seen there yet: look again
                seen.astray = [(w.pid, w.what) for w in loose]  # calm so long, still elsewhere
            elif settled and seen.astray is None:
                _note_gates(seen, kids, {p.pid for p in inside})
            if settled:
                if seen.full is None:
                    seen.full = len(inside)
                elif len(inside) < min(limit, left) and seen.short is None:
                    seen.short = (len(inside), left)
            elif now - last_change <= HOLD_S:
                continue
            if seen.started is None:
                seen.started = dict(kids)  # who had been started when the first one left
            pending = inside[0]  # the oldest one inside goes out
            if raise_first and seen.raised is None:
                seen.raised = pending.line.removeprefix("in ")
                seen.raised_pid = pending.pid
                if exit_status:
                    frozen = _freeze(running, seen.caller, pending)
                pending.answer(RAISE)
            else:
                pending.answer(GO)
            calm_since, calm_samples, last_change = None, 0, now
    finally:
        if frozen is not None:  # never leave the caller stopped
            running.send_signal(signal.SIGCONT)


def _problem_first(seen: Seen) -> Outcome:
    """A stub, a missing name, a crash, a hang: nothing else to judge."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None and (outcome.error.todo or not seen.holders):
        raise outcome.as_problem()
    if outcome.timed_out and not seen.holders:
        raise outcome.as_problem()
    return outcome


def _stderr(outcome: Outcome) -> str:
    text = outcome.stderr.text.strip()
    return f"\n--- stderr ---\n{text[-1200:]}" if text else ""


# -- Part 1 ------------------------------------------------------------------------------------


def _watch_limited(
    student, limit: int = 3, count: int = 7, exit_status: bool = False
) -> tuple[Seen, list[str]]:
    words = ["apple", "brick", "cedar", "delta", "ember", "flint", "grove", "hazel", "iris"]
    items = [f"{w}-{secrets.token_hex(2)}" for w in random.sample(words, count)]
    label = f"run_limited(task, {items!r}, {limit})"
    args = (items, limit)
    seen = _watch(student, label, _limited_scenario, args, limit, count, True, exit_status)
    return seen, items


def _check_workers(seen: Seen, items: list[str]) -> Outcome:
    """Every item went through the section once, each in a child of the caller of its own."""
    outcome = _problem_first(seen)
    found = seen.items_seen()
    if not seen.holders:
        fail(
            en=f"task(item) was never called: run_limited calls task(item) once per item, in a "
            f"Process of its own.{_stderr(outcome)} {P1_EN}",
            zh=f"task(item) 一次也没有被调用：run_limited 要为每个元素在一个单独的 Process 里调用"
            f"一次 task(item)。{_stderr(outcome)}{P1_ZH}",
        )
    in_caller = [p for p in seen.holders if p.pid == seen.caller]
    if in_caller:
        fail(
            en=f"task() ran in the caller itself (pid {seen.caller}), not in a child process: "
            "each item needs a multiprocessing.Process of its own, started with start() (no "
            f"threads, no direct call) {P1_EN}.",
            zh=f"task() 是在调用者自己（pid {seen.caller}）里运行的，而不是在子进程里："
            "每个元素都要有自己的 multiprocessing.Process，用 start() 启动"
            f"（不要用线程，也不要直接调用）{P1_ZH}。",
        )
    for item in items:
        peers = found.get(item, [])
        if len(peers) != 1:
            fail(
                en=f"task({item!r}) was called {len(peers)} time(s), not once (the judge heard "
                f"from {sorted(found)}){_stderr(outcome)} {P1_EN}",
                zh=f"task({item!r}) 被调用了 {len(peers)} 次，而不是 1 次（评测程序收到的是 "
                f"{sorted(found)}）{_stderr(outcome)}{P1_ZH}",
            )
        row = peers[0].row
        check(
            row is not None and row.ppid == seen.caller,
            en=f"task({item!r}) ran in pid {peers[0].pid}, which is not a child of the caller "
            f"(pid {seen.caller}) {P1_EN}.",
            zh=f"task({item!r}) 运行在 pid {peers[0].pid} 里，它不是调用者（pid {seen.caller}）"
            f"的子进程{P1_ZH}。",
        )
    extra = sorted(set(found) - set(items))
    check(
        not extra,
        en=f"task() was called with items that are not in the list: {extra} {P1_EN}.",
        zh=f"task() 收到了列表里没有的元素：{extra}{P1_ZH}。",
    )
    pids = [p.pid for p in seen.holders]
    check(
        len(set(pids)) == len(pids),
        en=f"several items ran in the same process (pids {pids}): one Process per item {P1_EN}.",
        zh=f"好几个元素运行在同一个进程里（pid：{pids}）：每个元素一个 Process{P1_ZH}。",
    )
    return outcome


# What a waiting worker's main thread was seen in, for the messages (en, zh).
_SEEN_IN = {
    "semaphore": (
        "semaphore waits that never lasted from one look to the next (acquire() with a "
        "timeout, in a loop?)",
        "一次次很短的信号量等待，没有一次持续到评测程序的下一次查看"
        "（在循环里带超时地 acquire()？）",
    ),
    "futex": (
        "a futex that is not a multiprocessing semaphore (a threading lock, a Manager's proxy)",
        "一个不属于 multiprocessing 信号量的 futex（threading 的锁、Manager 的代理）",
    ),
    "running": ("running, on a CPU", "运行状态，占着 CPU"),
    "no main thread": ("no main thread", "没有主线程"),
}


def _seen_in(what: str) -> tuple[str, str]:
    if what in _SEEN_IN:
        return _SEEN_IN[what]
    return (
        f"the system call {what}() (waiting on a pipe, a socket or the like?)",
        f"系统调用 {what}()（在等一个管道、套接字之类的东西？）",
    )


def _check_waited_on_semaphore(seen: Seen) -> None:
    """At the calm moments, every worker outside the section waited in a futex on the page of
    one multiprocessing semaphore (where the judge can tell)."""
    if seen.hidden:
        fail(
            en=f"the worker process(es) {seen.hidden} made themselves non-dumpable, so the "
            "judge could not see where they waited. Leave the processes as multiprocessing "
            f"makes them: each waits for a permit of the one semaphore {P1_EN}.",
            zh=f"工作进程 {seen.hidden} 把自己设成了不可转储（non-dumpable），评测程序看不到它们在"
            f"哪里等待。进程保持 multiprocessing 创建时的样子即可：每个进程都在那一个信号量上等许可"
            f"{P1_ZH}。",
        )
    if seen.astray:
        workers = {p.pid for p in seen.holders}  # name one that went on to run a task
        pid, what = next((a for a in seen.astray if a[0] in workers), seen.astray[0])
        en, zh = _seen_in(what)
        pids = [p for p, _ in seen.astray]
        fail(
            en=f"while the caller waited and nothing moved, {len(pids)} process(es) outside "
            f"task() (pids {pids}) waited for {HOLD_S:g} s, yet not on a semaphore: the "
            f"kernel showed the main thread of pid {pid} in {en}. So something other than a "
            "semaphore decided who waits (the caller handing out turns over pipes, say). "
            "Each worker takes a permit of the ONE multiprocessing.Semaphore(limit) (or "
            "BoundedSemaphore) itself, `with seats: task(item)`, and a worker that finds none "
            "sleeps inside acquire(), where the kernel shows it: in futex, on the semaphore's "
            f"shared page. A Manager's semaphore lives in a server process, and its waiters "
            f"wait on a socket: use multiprocessing's own {P1_EN}.",
            zh=f"调用者在等待、一切都静止的时候，task() 外面有 {len(pids)} 个进程（pid：{pids}）"
            f"等了 {HOLD_S:g} 秒，却不是在信号量上等：内核显示 pid {pid} 的主线程在{zh}里。"
            "这说明决定谁等待的不是信号量（例如调用者自己通过管道一个个地放行）。每个工作进程要"
            "自己从那一个 multiprocessing.Semaphore(limit)（或 BoundedSemaphore）拿许可："
            "`with seats: task(item)`；拿不到许可的进程就睡在 acquire() 里，内核能看到它："
            "在 futex 里，等在信号量的共享页面上。Manager 的信号量在一个服务器进程里，等它的"
            f"进程是在等一个套接字：要用 multiprocessing 自己的信号量{P1_ZH}。",
        )
    if len(seen.gates) > 1:
        groups = "; ".join(
            f"pids {pids} on {device} inode {inode}" for (device, inode), pids in seen.gates.items()
        )
        fail(
            en=f"the workers waiting for a permit waited on {len(seen.gates)} different "
            f"semaphores ({groups}), not on one. Create ONE Semaphore(limit) in run_limited, "
            "before the processes, and pass that same one to every Process: a semaphore per "
            f"worker (or per group) is the caller's plan, not a shared count {P1_EN}.",
            zh=f"等许可的工作进程等在 {len(seen.gates)} 个不同的信号量上（{groups}），"
            "而不是同一个。"
            "要在 run_limited 里、创建进程之前只建一个 Semaphore(limit)，把同一个信号量传给每个 "
            f"Process：每个进程（或每组进程）一个信号量，是调用者的安排，不是共享的计数{P1_ZH}。",
        )


def _check_started_first(seen: Seen) -> None:
    """Every process that entered task() had been started before the first one left it: the
    ones that could not get in waited on the semaphore, not in the caller's plans."""
    if seen.started is None:
        fail(
            en=f"the judge never got to let a worker out of task() {P1_EN}.",
            zh=f"评测程序一直没能让任何工作进程离开 task(){P1_ZH}。",
        )
    if not seen.late:
        return
    fail(
        en=f"{len(seen.late)} of the {seen.count} workers (pids {seen.late}) were started "
        "only after the judge let the first one out of task(); when it did, the caller had "
        f"{len(seen.started)} live child process(es). So the caller, not a semaphore, decided "
        "who waits: it started a new process only when another had ended (a hand-made pool, "
        "or Pool(limit)). Start every process first, then join them all: the ones that cannot "
        f"get in must wait for a permit of the one shared semaphore {P1_EN}.",
        zh=f"{seen.count} 个工作进程里有 {len(seen.late)} 个（pid：{seen.late}）是在评测程序让"
        f"第一个进程离开 task() 之后才启动的；那时调用者只有 {len(seen.started)} 个活着的子进程。"
        "这说明决定谁等待的是调用者，而不是信号量：它等一个进程结束了才启动下一个（自己写的进程池，"
        "或者 Pool(limit)）。要先把所有进程都 start()，再逐个 join()：进不去的进程应当在那一个"
        f"共享的信号量上等待许可{P1_ZH}。",
    )


@pytest.mark.points(2)
def test_every_item_runs_in_a_child_of_its_own(student):
    seen, items = _watch_limited(student, limit=2, count=5)
    _check_workers(seen, items)


@pytest.mark.points(3)
def test_never_more_than_limit_inside(student):
    seen, items = _watch_limited(student)
    _check_workers(seen, items)
    check(
        seen.peak <= seen.limit,
        en=f"the judge counted {seen.peak} processes inside task() at the same moment (pids "
        f"{seen.peak_pids}), with limit = {seen.limit}. Create ONE Semaphore(limit) in "
        "run_limited, before the processes, pass it to every Process, and hold it around "
        "task(item): `with seats: task(item)`. A semaphore created inside each worker is a "
        "different one per worker, and a permit given back twice lets one more in "
        f"{P1_EN}.",
        zh=f"评测程序数到同一时刻有 {seen.peak} 个进程在 task() 里（pid：{seen.peak_pids}），"
        f"而 limit = {seen.limit}。要在 run_limited 里、创建进程之前只创建一个 Semaphore(limit)，"
        "把它传给每个 Process，并且只在 task(item) 外面持有它：`with seats: task(item)`。"
        "在每个工作进程里各建一个信号量，等于每人一个，什么也限制不了；一个许可还两次，"
        f"就会多放一个进程进来{P1_ZH}。",
    )
    _check_started_first(seen)
    _check_waited_on_semaphore(seen)


@pytest.mark.points(3)
def test_limit_workers_inside_at_once(student):
    seen, items = _watch_limited(student)
    _check_workers(seen, items)
    _check_started_first(seen)
    _check_waited_on_semaphore(seen)
    if seen.full is None:
        fail(
            en="the judge never saw the workers settle: every worker that is not inside "
            "task() should be blocked waiting for a permit, and the caller blocked in join() "
            f"(no busy loop) {P1_EN}.",
            zh="评测程序始终没有等到各进程安定下来：没进 task() 的工作进程应当阻塞在等待许可上，"
            f"调用者应当阻塞在 join() 里（不要忙等循环）{P1_ZH}。",
        )
    one_en = one_zh = ""
    if seen.full == 1:
        one_en = "One at a time means a Lock, Semaphore(1), or join() right after start(). "
        one_zh = "一次只放一个，说明用了 Lock、Semaphore(1)，或者 start() 之后紧接着 join()。"
    check(
        seen.full >= seen.limit,
        en=f"{seen.count} workers were started with limit = {seen.limit}, yet only {seen.full} "
        f"were inside task() while all the others waited: the section is over-serialised. "
        f"{one_en}"
        f"Use Semaphore(limit), start every process first, then join them all {P1_EN}.",
        zh=f"启动了 {seen.count} 个工作进程，limit = {seen.limit}，可其余进程都在等待时只有 "
        f"{seen.full} 个在 task() 里：临界区被过度串行化了。"
        f"{one_zh}"
        f"要用 Semaphore(limit)，先把所有进程都 start()，再逐个 join(){P1_ZH}。",
    )


@pytest.mark.points(2)
def test_a_failing_task_gives_back_its_permit(student):
    seen, items = _watch_limited(student, limit=2, count=5)
    outcome = _check_workers(seen, items)
    check(
        seen.raised is not None,
        en=f"the judge never got to let a worker out of task() {P1_EN}.{_stderr(outcome)}",
        zh=f"评测程序一直没能让任何工作进程离开 task(){P1_ZH}。{_stderr(outcome)}",
    )
    _check_started_first(seen)
    _check_waited_on_semaphore(seen)
    lost_en = (
        f"the task of {seen.raised!r} raised, and afterwards the section never again held "
        f"{seen.limit} workers"
    )
    lost_zh = f"{seen.raised!r} 的任务抛出异常之后，临界区里再也没有同时出现过 {seen.limit} 个进程"
    if seen.stuck is not None:
        fail(
            en=f"{lost_en}: the run stood still with nobody inside and {seen.stuck} task(s) "
            "waiting. A worker whose task raises must still release its permit: "
            f"`with seats: task(item)` (or try/finally) {P1_EN}.",
            zh=f"{lost_zh}：运行停住了，临界区里一个进程也没有，还有 {seen.stuck} 个任务在等。"
            "任务抛出异常的工作进程也必须归还许可：`with seats: task(item)`（或 try/finally）"
            f"{P1_ZH}。",
        )
    if seen.short is not None:
        inside, left = seen.short
        fail(
            en=f"{lost_en}: only {inside} were inside while {left} task(s) were left and the "
            "others waited. Its permit was never given back: release it however task() ends, "
            f"with `with seats: task(item)` or try/finally {P1_EN}.",
            zh=f"{lost_zh}：还剩 {left} 个任务、其余进程都在等待时，临界区里只有 {inside} 个。"
            "那个许可再也没有还回来：不管 task() 怎样结束都要释放许可，用 "
            f"`with seats: task(item)` 或 try/finally{P1_ZH}。",
        )


@pytest.mark.points(2)
def test_exit_codes_come_from_the_workers(student):
    seen, items = _watch_limited(student, limit=2, count=5, exit_status=True)
    outcome = _check_workers(seen, items)
    value = outcome.value_or_raise()
    expected = [1 if item == seen.raised else 0 for item in items]
    check(
        value == expected,
        en=f"run_limited returned {value!r}; the judge expected {expected}: the exit codes "
        f"of the processes, in the order of items, read after join() (the task of "
        f"{seen.raised!r} raised, so its process ended with 1) {P1_EN}.",
        zh=f"run_limited 返回了 {value!r}；评测程序期望的是 {expected}：各进程的退出码，按 items "
        f"的顺序，在 join() 之后读取（{seen.raised!r} 的任务抛出了异常，所以它的进程退出码是 1）"
        f"{P1_ZH}。",
    )
    check(
        seen.gate is not None and not seen.gate,
        en="when run_limited returned, the caller still had children: "
        f"{probe.describe_all(seen.gate or [])}: join() every process {P1_EN}.",
        zh=f"run_limited 返回时，调用者还有子进程：{probe.describe_all(seen.gate or [])}："
        f"每个进程都要 join(){P1_ZH}。",
    )
    _check_exit_seen(seen)


def _check_exit_seen(seen: Seen) -> None:
    """The raising worker's exit status, as the kernel showed it while the caller was
    stopped, is 1 (None: the judge could not read it here)."""
    if seen.exit_seen in (None, "exit 1"):
        return
    who = f"the process (pid {seen.raised_pid}) whose task({seen.raised!r}) raised"
    who_zh = f"task({seen.raised!r}) 抛出异常的那个进程（pid {seen.raised_pid}）"
    if seen.exit_seen == "alive":
        fail(
            en=f"{who} was still running {EXIT_S:g} s after the task raised, so the 1 "
            "run_limited returned for it is no process's exit code. A worker of a Pool "
            "catches the exception and lives on; a Process of its own per item ends with exit "
            f"code 1 when task(item) raises: read it from p.exitcode after join() {P1_EN}.",
            zh=f"任务抛出异常 {EXIT_S:g} 秒之后，{who_zh}还在运行，所以 run_limited 为它返回的 1 "
            "并不是哪个进程的退出码。进程池（Pool）的工作进程会捕获异常、继续活着；每个元素一个"
            "自己的 Process，task(item) 抛出异常时它就以退出码 1 结束：在 join() 之后从 "
            f"p.exitcode 读取{P1_ZH}。",
        )
    if seen.exit_seen == "gone":
        fail(
            en=f"the judge stopped the caller (SIGSTOP) before the task raised, and {who} was "
            "collected all the same, by a process other than its parent: the caller reads "
            f"each exit code itself, with join() and p.exitcode {P1_EN}.",
            zh=f"评测程序在任务抛出异常之前暂停了调用者（SIGSTOP），{who_zh}却还是被回收了，"
            "回收它的不是它的父进程：调用者要自己用 join() 和 p.exitcode 读取每个退出码"
            f"{P1_ZH}。",
        )
    fail(
        en=f"{who} ended with {seen.exit_seen} (the judge read it from the kernel), yet "
        "run_limited returned 1 for it: that code was made up, not read from the process. A "
        "worker of a Pool catches the exception and ends with 0; a Process of its own per "
        "item ends with exit code 1 when task(item) raises: read it from p.exitcode after "
        f"join() {P1_EN}.",
        zh=f"{who_zh}的结束方式是 {seen.exit_seen}（评测程序从内核读到的），run_limited 却为它"
        "返回了 1：这个退出码是编出来的，不是从进程读到的。进程池（Pool）的工作进程会捕获异常，"
        "然后以 0 结束；每个元素一个自己的 Process，task(item) 抛出异常时它以退出码 1 结束："
        f"在 join() 之后从 p.exitcode 读取{P1_ZH}。",
    )


# -- Part 2 ------------------------------------------------------------------------------------

# What the caller does to a fresh permits(2) before the workers come: TAKE, a child process
# acquires a permit and ends holding it; GIVE, the caller calls release(). Each plan ends with
# both permits free, and the answers its release() calls must get differ at some call from
# those of every other plan: no fixed pattern of answers passes more than one of them.
PLANS = (
    (GIVE, TAKE, GIVE),
    (TAKE, GIVE, GIVE),
    (TAKE, TAKE, GIVE, GIVE, GIVE),
    (TAKE, GIVE, TAKE, GIVE, TAKE, GIVE, GIVE),
)


def _answers(plan: tuple[str, ...]) -> list[str]:
    """What each step of ``plan`` must do: a child takes a free permit; a release() gives
    back a permit a child took, or raises when none is taken."""
    taken, answers = 0, []
    for step in plan:
        if step == TAKE:
            taken += 1
            answers.append(TOOK)
        else:
            answers.append(RETURNED if taken else REFUSED)
            taken = max(0, taken - 1)
    return answers


def _plan_text(plan: tuple[str, ...]) -> str:
    return ", ".join("a child acquire()" if step == TAKE else "release()" for step in plan)


def _watch_permits(student, plan: tuple[str, ...] = (), limit: int = 2, workers: int = 4) -> Seen:
    label = f"permits({limit})" + (f" then {_plan_text(plan)}" if plan else "")
    args = (limit, workers, [list(pair) for pair in zip(plan, _answers(plan), strict=True)])
    seen = _watch(student, label, _permits_scenario, args, limit, workers, False)
    _problem_first(seen)
    return seen


def _check_all_got_in(seen: Seen) -> None:
    outcome, limit, workers = seen.outcome, seen.limit, seen.count
    assert outcome is not None
    if len(seen.holders) < workers:
        fail(
            en=f"{workers} processes shared permits({limit}) with `with seats:`, and only "
            f"{len(seen.holders)} of them got in. permits(limit) returns a semaphore shared "
            f"by processes that lets `limit` of them in at once.{_stderr(outcome)} {P2_EN}",
            zh=f"{workers} 个进程用 `with seats:` 共用 permits({limit})，只有 {len(seen.holders)} "
            f"个进去了。permits(limit) 应当返回一个多进程共享、同时放 limit 个进程进去的信号量。"
            f"{_stderr(outcome)}{P2_ZH}",
        )


@pytest.mark.points(2)
def test_permits_hold_limit_processes(student):
    seen = _watch_permits(student)
    _check_all_got_in(seen)
    check(
        seen.peak <= seen.limit,
        en=f"with permits({seen.limit}), the judge counted {seen.peak} processes inside at "
        "once. The semaphore must be a multiprocessing one: a threading semaphore is copied "
        f"into every child by fork, and each copy lets everybody in {P2_EN}.",
        zh=f"用 permits({seen.limit}) 时，评测程序数到同一时刻有 {seen.peak} 个进程在里面。"
        "这个信号量必须来自 multiprocessing：threading 的信号量在 fork 时会被复制到每个子进程，"
        f"每份副本都会把所有人放进去{P2_ZH}。",
    )
    check(
        seen.full is not None and seen.full >= seen.limit,
        en=f"with permits({seen.limit}) and {seen.count} processes waiting, only "
        f"{seen.full} got in at once: create the semaphore with `limit` permits {P2_EN}.",
        zh=f"用 permits({seen.limit})、有 {seen.count} 个进程在等时，同时只进去了 {seen.full} "
        f"个：信号量的初始值应当是 limit{P2_ZH}。",
    )


@pytest.mark.points(2)
def test_an_extra_release_is_refused(student):
    plan = random.choice(PLANS)
    expected = _answers(plan)
    seen = _watch_permits(student, plan)
    outcome = seen.outcome
    assert outcome is not None
    steps = _plan_text(plan)
    where = f"on a fresh permits({seen.limit}) the caller did: {steps}"
    where_zh = f"对一个新建的 permits({seen.limit})，调用者依次做了：{steps}"
    check(
        seen.peak <= seen.limit,
        en=f"{where}, one release() with no permit taken; then the judge counted {seen.peak} "
        "processes inside at once. A plain Semaphore counts the extra release as one more "
        "permit for ever. multiprocessing.BoundedSemaphore(limit) raises ValueError instead: "
        f"the bug shows where it is made {P2_EN}.",
        zh=f"{where_zh}，其中有一次 release() 时并没有谁拿着许可；之后评测程序数到同一时刻有 "
        f"{seen.peak} 个进程在里面。普通的 Semaphore 会把多出来的这次 release 永久地算成一个"
        "新许可。multiprocessing.BoundedSemaphore(limit) 则会抛出 ValueError：错误在哪里犯下，"
        f"就在哪里暴露{P2_ZH}。",
    )
    said = outcome.value_or_raise()
    if not isinstance(said, list) or not said or len(said) > len(expected):
        fail(
            en=f"{where}, and the judge got no account of it (the scenario returned "
            f"{said!r}){_stderr(outcome)} {P2_EN}",
            zh=f"{where_zh}，评测程序却没有拿到这些步骤的结果（场景返回了 {said!r}）"
            f"{_stderr(outcome)}{P2_ZH}",
        )
    for index, (got, want) in enumerate(zip(said, expected, strict=False)):
        if got == want:
            continue
        number = sum(1 for step in plan[: index + 1] if step == GIVE)
        if want == TOOK:
            taken = expected[:index].count(TOOK) - expected[:index].count(RETURNED)
            fail(
                en=f"{where}. At step {index + 1}, with {taken} permit(s) taken, a child could "
                f"not acquire() one within {TAKE_S:g} s ({got}): permits(limit) must start "
                f"with `limit` free permits {P2_EN}.",
                zh=f"{where_zh}。第 {index + 1} 步时只拿走了 {taken} 个许可，子进程却在 "
                f"{TAKE_S:g} 秒内没能 acquire() 到一个（{got}）：permits(limit) 一开始应当有 "
                f"limit 个空闲许可{P2_ZH}。",
            )
        if want == REFUSED:
            fail(
                en=f"{where}. Its release() number {number} came with no permit taken, and it "
                f"did not raise ValueError ({got}): the extra release was quietly counted as "
                f"one more permit. Perhaps the section still held at most {seen.limit} because "
                "the semaphore started with one permit fewer: that only hides the bug. "
                "permits(limit) must refuse the release: return "
                "multiprocessing.BoundedSemaphore(limit), whose release() beyond its initial "
                f"value raises ValueError {P2_EN}.",
                zh=f"{where_zh}。第 {number} 次 release() 时并没有谁拿着许可，它却没有抛出 "
                f"ValueError（{got}）：多出来的这次 release 被悄悄算成了一个新许可。临界区里也许"
                f"仍然最多只有 {seen.limit} 个，因为信号量一开始就少给了一个许可：这只是把 bug "
                "藏了起来。permits(limit) 必须拒绝这次释放：返回 "
                "multiprocessing.BoundedSemaphore(limit)，它的 release() 超过初始值时会抛出 "
                f"ValueError{P2_ZH}。",
            )
        fail(
            en=f"{where}. Its release() number {number} gave back the permit a child had "
            f"taken with acquire(), and it raised {got}. A semaphore has no owner: any "
            "process may give back a permit another one took, and BoundedSemaphore refuses "
            "only a release() beyond its initial value. Return "
            "multiprocessing.BoundedSemaphore(limit), not a semaphore whose release() always "
            f"raises {P2_EN}.",
            zh=f"{where_zh}。第 {number} 次 release() 是把一个子进程用 acquire() 拿走的许可"
            f"还回去，它却抛出了 {got}。信号量没有“主人”：任何进程都可以归还别的进程拿走的许可，"
            "BoundedSemaphore 只拒绝超过初始值的那次 release()。要返回 "
            "multiprocessing.BoundedSemaphore(limit)，而不是一个 release() 总是报错的信号量"
            f"{P2_ZH}。",
        )
    _check_all_got_in(seen)
    check(
        seen.full is not None and seen.full >= seen.limit,
        en=f"{where}; every permit a child took was given back, yet with {seen.count} "
        f"processes waiting only {seen.full} got in at once: a release() that gives a permit "
        f"back must really give it back {P2_EN}.",
        zh=f"{where_zh}；子进程拿走的每个许可都还回去了，可有 {seen.count} 个进程在等时，同时只"
        f"进去了 {seen.full} 个：归还许可的 release() 必须真的把许可还回去{P2_ZH}。",
    )
