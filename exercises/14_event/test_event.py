"""Spec for exercise 14 — Event. Run it with `grader check event`.

The judge observes; the sandbox only acts. Every callable the student's code receives
(``task``, ``give_up``, ``starter``, ``tick``, ``wait_for_stop``) is a trusted function of this
file that, wherever it runs, says one line on a channel the judge (this test process) holds,
and waits for the judge's answer. So every verdict rests on what the judge sees itself:

* who spoke: the kernel names the process at the other end (``SO_PEERCRED``) and the judge
  reads its row of the process table (its parent) while it waits for the answer;
* when the gate opened: ``starter()`` returns only when the judge answers it, so the judge
  knows that nobody may run before that moment, and times every ``task()`` from it with its
  own clock;
* who waited, and how: while ``starter()`` is held, the judge reads the caller's children in
  the process table: which processes exist (pid and start time, so a later process is never
  taken for one of them), their state and the CPU time they use. A runner that sleeps in
  ``wait()`` uses none; one that loops on ``is_set()`` burns a CPU;
* what they wait on: the judge also reads the system call each runner's main thread is in
  (``/proc/<pid>/task/<pid>/syscall``) and where its futex word lies (``/proc/<pid>/maps``).
  ``Event.wait()`` sleeps in ``futex`` on a POSIX semaphore of the Event, a page mapped from
  ``/dev/shm/sem.*``; a runner that polls ``is_set()`` and sleeps between the looks is seen in
  ``clock_nanosleep`` (``select`` on nothing before 3.11) or running. A runner counts as
  waiting at the gate once two looks in a row find it in the same such futex call. The
  semaphore's inode names the Event: the runners of every heat must wait on the same one (one
  gate, shut again with ``clear()``, not a new Event per heat);
* the timeout: the runners' start times come from the process table, the moment they give up
  from the judge's clock;
* the stop: ``wait_for_stop()`` returns when the judge says so; the judge then watches each
  worker's process vanish from the process table. ``tick()`` also leaves a SIGTERM handler
  behind that tells the judge if a worker was terminated instead of stopped;
* how each worker ended: the one thing the sandbox reports. While ``patrol()`` runs, the
  scenario wraps ``os.waitpid`` (what ``join()`` reaps with) and notes the kernel's status for
  each pid it returns; it sends them with "done", and the judge looks up the pids the kernel
  named for the ticks. Each must have exited with code 0, killed by no signal (``kill()``'s
  SIGKILL leaves the SIGTERM handler nothing to see); a worker with no status there (not
  reaped through ``os.waitpid``) fails too;
* the end: the scenario says "done" once the student's function has returned, and waits while
  the judge reads the caller's children (none may be left, running or zombie).

What the callables send (a lane number) is only compared with what the judge expects; no pid
or time that a sandbox process reports is used. Nothing waits with a sleep: the judge polls its
channel and the process table with deadlines, and the sandbox waits for the judge's answers.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from grader.spec import ExitStatus, Outcome, Running, channel, fail, probe, syscalls

# README references (checked by `grader verify` against the headings of both READMEs).
P1_EN = "(README: 'Part 1 — the start gate')"
P1_ZH = "（README.zh-CN:「第一部分：起跑闸门」）"
P2_EN = "(README: 'Part 2 — heats: clear() shuts the gate again')"
P2_ZH = "（README.zh-CN:「第二部分：分组比赛：clear() 重新关上闸门」）"
P3_EN = "(README: 'Part 3 — when the gate stays shut')"
P3_ZH = "（README.zh-CN:「第三部分：闸门一直不开」）"
P4_EN = "(README: 'Part 4 — a stop event')"
P4_ZH = "（README.zh-CN:「第四部分：停止事件」）"

LANES = 3  # runners of a race: odd, and not this box's CPU count
OPEN_TIMEOUT = 8.0  # the runners' timeout when the judge opens the gate
HOLD_MIN = 0.2  # the judge keeps the gate shut this long once starter() is called ...
HOLD_MAX = 3.0  # ... and longer, up to this, while a runner has not settled (below)
SETTLE = 3  # a runner has settled when it was asleep in this many samples in a row ...
SPIN_CPU = 0.1  # ... or has burnt this many CPU seconds while the gate was shut
STARVED_CPU = 0.03  # ... or, at HOLD_MAX, this many while running in most of the looks
SAMPLE_S = 0.008  # the pace of the judge's samples of the process table
STARTER_S = 3.0  # how long the judge waits for starter() (or the next one) to be called
PROMPT = 1.5  # every runner must call task() within this after the gate opened
SHUT_LANES = 2
SHUT_TIMEOUT = 0.5  # Part 3: the runners' timeout, while the judge keeps the gate shut
LATE = 1.5  # Part 3: a runner gives up at most this long after its timeout
EARLY = 0.05  # Part 3: ... and no sooner than its timeout minus this (/proc counts in ticks)
HEATS = 3
HEAT_LANES = 2
WORKERS = 3
TICK_INTERVAL = 0.15  # Part 4: the interval of the ticking test
TICKS = 3  # ... and how many ticks of each worker the judge waits for
STOP_INTERVAL = 30.0  # Part 4: the interval of the stopping test (a sleep would last that long)
TICKS_S = 3.0  # Part 4: how long the judge waits for the ticks it wants
STOP_S = 1.5  # Part 4: every worker must have ended this long after the stop
DONE_S = 3.0  # how long the judge waits for the function to return after the last step
ANSWER_S = 20.0  # the longest the sandbox waits for an answer (the judge always answers)


# -- the sandbox side: trusted code that only acts -------------------------------------------


def _say(address: str, kind: str, value: object = None) -> str:
    """Tell the judge ``kind`` (and a value), wait for its one-line answer."""
    return channel.talk(address, json.dumps([kind, value], default=repr), timeout=ANSWER_S)


def _task(address: str, lane: object) -> None:
    _say(address, "task", lane)


def _give_up(address: str, lane: object) -> None:
    _say(address, "give_up", lane)


def _starter(address: str) -> None:
    _say(address, "starter")


def _wait_for_stop(address: str) -> None:
    _say(address, "stop?")


_TERM: dict[str, object] = {}  # this process's SIGTERM reporter (set by its first tick)


def _on_sigterm(signum: int, frame: object) -> None:
    """A worker was terminated: tell the judge, then die of SIGTERM as it would have."""
    try:
        channel.talk(str(_TERM["address"]), json.dumps(["sigterm", _TERM.get("lane")]), 2.0)
    except OSError:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _tick(address: str, lane: object) -> None:
    if _TERM.get("pid") != os.getpid():
        _TERM.update(pid=os.getpid(), address=address, lane=lane)
        try:
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread of its process
            pass
    _say(address, "tick", lane)


def _race_scenario(module: ModuleType, address: str, lanes: int, timeout: float) -> None:
    task, give_up = functools.partial(_task, address), functools.partial(_give_up, address)
    module.race(lanes, task, give_up, timeout, functools.partial(_starter, address))
    _say(address, "done")


def _heats_scenario(
    module: ModuleType, address: str, count: int, lanes: int, timeout: float
) -> None:
    task, give_up = functools.partial(_task, address), functools.partial(_give_up, address)
    module.heats(count, lanes, task, give_up, timeout, functools.partial(_starter, address))
    _say(address, "done")


def _patrol_scenario(module: ModuleType, address: str, workers: int, interval: float) -> None:
    tick, stop = functools.partial(_tick, address), functools.partial(_wait_for_stop, address)
    statuses: dict[int, int] = {}  # pid -> wait status, as the kernel gave it to the caller
    real_waitpid = os.waitpid

    def waitpid(pid: int, options: int) -> tuple[int, int]:
        got, status = real_waitpid(pid, options)
        if got > 0:
            statuses[got] = status
        return got, status

    os.waitpid = waitpid  # Process.join(), is_alive() and exitcode all reap through it
    try:
        module.patrol(workers, tick, interval, stop)
    finally:
        os.waitpid = real_waitpid
    _say(address, "done", sorted(statuses.items()))


# -- the judge's side ---------------------------------------------------------------------------


@dataclass
class Said:
    """One line the judge received: what it said, who said it (the kernel's pid), and when the
    judge read it (``channel.Said.at``: the clock of ``judge.now()``)."""

    peer: channel.Peer
    kind: str
    value: object
    at: float

    @property
    def pid(self) -> int:
        return self.peer.pid

    @property
    def start(self) -> int | None:
        return self.peer.row.start if self.peer.row is not None else None


def _heard(judge: channel.Channel) -> list[Said]:
    """Poll; the first line of each peer that sent one since the last call, parsed (every
    callable says one line per connection: what may follow it is not heard)."""
    heard = []
    for line in judge.new_lines():
        if not line.first:  # its first line, not a repeat of it
            continue
        try:
            data = json.loads(line.text)
        except ValueError:
            data = None
        if isinstance(data, list) and len(data) == 2 and isinstance(data[0], str):
            heard.append(Said(line.peer, data[0], data[1], line.at))
        else:
            heard.append(Said(line.peer, "?", line.text, line.at))
    return heard


@dataclass(frozen=True)
class Look:
    """One look at what a runner's main thread is in (``/proc/<pid>/task/<pid>/syscall``)."""

    kind: str  # "gate" (futex on a semaphore), "sleep", "futex" (other memory), "running", ...
    line: str  # the syscall line: the same line twice is the same wait
    sem: tuple[str, int] | None = None  # "gate": the semaphore's (device, inode)


def _look(pid: int, semaphores: syscalls.Semaphores) -> Look | None:
    """What the main thread of ``pid`` is in; None where the judge cannot tell (another
    architecture, a kernel or policy that hides it, the process gone). Raises
    syscalls.Hidden for a process that made itself non-dumpable."""
    calls = syscalls.threads(pid)
    main = next((c for c in calls or [] if c.tid == pid), None)
    if main is None:
        return None
    if main.name == "futex" and main.blocked:
        try:
            sem = semaphores.waited_on(main)
        except ProcessLookupError:
            return None
        return Look("futex", main.line) if sem is None else Look("gate", main.line, sem)
    if main.name in syscalls.SLEEPS or (
        main.name in syscalls.SELECTS and syscalls.input_fds(pid, main) == frozenset()
    ):
        return Look("sleep", main.line)
    return Look(main.name if main.blocked or main.name == "running" else "running", main.line)


# How a runner's main thread got where the judge saw it, for the messages (en, zh).
_SEEN_IN = {
    "sleep": (
        "time.sleep() (clock_nanosleep, or a select() on no descriptor before Python 3.11)",
        "time.sleep()（clock_nanosleep；Python 3.11 之前是不等任何描述符的 select()）",
    ),
    "futex": (
        "a futex that is not a multiprocessing semaphore (a threading lock or Event, a join())",
        "一个不属于 multiprocessing 信号量的 futex（threading 的锁或 Event、join()）",
    ),
    "running": ("running, on a CPU", "运行状态，占着 CPU"),
    "gate": (
        "a wait on a semaphore that never lasted from one look to the next",
        "一次次很短的信号量等待（没有一次持续到评测程序的下一次查看）",
    ),
}


@dataclass
class Sighting:
    """A child of the caller, as the judge saw it while the gate was shut."""

    pid: int
    start: int
    first_cpu: int
    cpu: int
    states: list[str] = field(default_factory=list)
    asleep_in_a_row: int = 0
    looks: list[Look] = field(default_factory=list)  # what its main thread was in, look by look
    untold: int = 0  # looks where the judge could not tell
    hidden: bool = False  # it made itself non-dumpable
    gates: set[tuple[str, int]] = field(default_factory=set)  # semaphores it was seen waiting on
    semaphores: syscalls.Semaphores = field(init=False)  # its semaphore mappings, as read

    def __post_init__(self) -> None:
        self.semaphores = syscalls.Semaphores(self.pid)

    @property
    def burnt(self) -> float:
        return (self.cpu - self.first_cpu) / probe.TICKS

    @property
    def spinning(self) -> bool:
        """It burnt SPIN_CPU; or the hold ended with it never asleep for long and running
        in most looks, having burnt some CPU (a spinner starved by a busy machine)."""
        if self.burnt >= SPIN_CPU:
            return True
        running = sum(1 for state in self.states if state == "R")
        return (
            self.asleep_in_a_row < SETTLE
            and len(self.states) >= 10
            and running >= 0.8 * len(self.states)
            and self.burnt >= STARVED_CPU
        )

    @property
    def blocked(self) -> bool:
        return self.asleep_in_a_row >= SETTLE

    @property
    def at_gate(self) -> bool:
        """Seen waiting on a semaphore; or the judge cannot tell where it waits."""
        return bool(self.gates) or self.hidden or (not self.looks and self.untold >= SETTLE)

    @property
    def settled(self) -> bool:
        return self.burnt >= SPIN_CPU or (self.blocked and self.at_gate)

    def see(self, row: probe.Proc) -> None:
        # Asleep by choice (S); D is a page fault or a fork on a busy machine, not a wait.
        asleep = row.state == "S" and row.cpu == self.cpu
        self.asleep_in_a_row = self.asleep_in_a_row + 1 if asleep else 0
        self.cpu = row.cpu
        self.states.append(row.state)
        if self.hidden:
            return
        try:
            look = _look(self.pid, self.semaphores)
        except syscalls.Hidden:
            self.hidden = True
            return
        if look is None:
            self.untold += 1
            return
        last = self.looks[-1] if self.looks else None
        if look.sem is not None and last is not None and last.line == look.line:
            self.gates.add(look.sem)  # the same futex wait in two looks in a row
        self.looks.append(look)

    def seen_most(self) -> tuple[str, int]:
        """What its main thread was in at most looks, and at how many."""
        kinds = [look.kind for look in self.looks]
        kind = max(dict.fromkeys(kinds), key=kinds.count)
        return kind, kinds.count(kind)


@dataclass
class Heat:
    """One opening of the gate: who waited, who ran, and when."""

    starter: Said | None = None
    go_at: float | None = None  # when the judge answered starter(): the gate may open
    waiting: dict[tuple[int, int], Sighting] = field(default_factory=dict)
    early: list[Said] = field(default_factory=list)  # task/give_up before the gate opened
    tasks: list[Said] = field(default_factory=list)  # task() after it opened
    give_ups: list[Said] = field(default_factory=list)  # give_up() after it opened
    together: int = 0  # tasks waiting for their answer at once when the judge answered them
    late: list[Said] = field(default_factory=list)  # this heat's runners, after PROMPT

    def waited(self, said: Said) -> bool:
        return said.start is not None and (said.pid, said.start) in self.waiting

    def spinners(self) -> list[Sighting]:
        return [s for s in self.waiting.values() if s.spinning]


@dataclass
class GateSeen:
    caller: int
    lanes: int
    timeout: float
    count: int
    heats: list[Heat] = field(default_factory=lambda: [Heat()])
    strays: list[Said] = field(default_factory=list)  # lines the judge did not expect
    done: bool = False
    left: list[probe.Proc] = field(default_factory=list)  # the caller's children at "done"
    gave_up_waiting: str = ""  # what the judge waited for in vain
    began: float = 0.0  # the channel's opening (monotonic clock): Said.at counts from it
    outcome: Outcome | None = None


def _sample(heat: Heat, caller: int) -> None:
    for row in probe.children(caller):
        if row.zombie:
            continue
        key = (row.pid, row.start)
        if key not in heat.waiting:
            heat.waiting[key] = Sighting(row.pid, row.start, row.cpu, row.cpu)
        heat.waiting[key].see(row)


def _finish(running: Running, done: bool, gave_up: bool) -> Outcome:
    """End the run: wait for the result once the scenario said "done"; a run the judge gave up
    on ends as timed out (with where the student's code was)."""
    if done and running.wait(DONE_S):
        return running.stop(grace=0.5)
    if gave_up and not running.finished():
        return running.time_out()
    return running.stop(grace=0.5)


def _watch_gate(
    student, scenario, label: str, count: int, lanes: int, timeout: float, shut: bool = False
) -> GateSeen:
    """Run a gate scenario; open the gate for each starter() once its runners have settled
    (``shut``: never, until each runner has given up or its timeout is long past)."""
    with channel.Channel("14") as judge:
        args = (count, lanes, timeout) if scenario is _heats_scenario else (lanes, timeout)
        running = student.options(label=label).start_scenario(scenario, judge.address, *args)
        seen = GateSeen(running.pid, lanes, timeout, count, began=judge.began)
        held: list[channel.Peer] = []
        phase, since, sampled = "await", judge.now(), 0.0
        while True:
            finished = running.finished()
            heard = _heard(judge)
            now = judge.now()
            heat = seen.heats[-1]
            for said in heard:
                peer = said.peer
                if said.kind == "starter" and said.pid == seen.caller and phase == "await":
                    heat.starter, phase, since = said, "hold", now
                    _sample(heat, seen.caller)
                    sampled = now
                    continue
                if said.kind == "done" and said.pid == seen.caller:
                    seen.left = probe.children(seen.caller)
                    seen.done = True
                elif said.kind in ("task", "give_up"):
                    before = seen.heats[-2] if phase == "await" and len(seen.heats) > 1 else None
                    if phase == "open":
                        (heat.tasks if said.kind == "task" else heat.give_ups).append(said)
                        if said.kind == "task":
                            held.append(peer)  # answered once every runner is in
                            continue
                    elif before is not None and before.waited(said):
                        before.late.append(said)
                    elif phase == "finish":
                        heat.late.append(said)
                    else:
                        heat.early.append(said)
                else:
                    seen.strays.append(said)
                peer.answer("ok")
            if phase == "hold":
                if now - sampled >= SAMPLE_S:
                    _sample(heat, seen.caller)
                    sampled = now
                held_s = now - since
                if shut:
                    gave_up = {s.pid for s in heat.early if s.kind == "give_up"}
                    ready = len(gave_up) >= lanes or held_s >= timeout + LATE
                else:
                    settled = all(s.settled for s in heat.waiting.values())
                    ready = (held_s >= HOLD_MIN and settled) or held_s >= HOLD_MAX
                if ready and heat.starter is not None:
                    heat.starter.peer.answer("go")
                    heat.go_at, phase, since = now, "open", now
            elif phase == "open":
                pids = {s.pid for s in heat.tasks}
                if len(pids) >= lanes or now - since >= PROMPT or shut:
                    heat.together = len(held)
                    for peer in held:
                        peer.answer("ok")
                    held = []
                    if len(seen.heats) < count:
                        seen.heats.append(Heat())
                        phase = "await"
                    else:
                        phase = "finish"
                    since = now
            if seen.done or finished:
                break
            if phase in ("await", "finish") and now - since > (
                STARTER_S if phase == "await" else DONE_S
            ):
                seen.gave_up_waiting = "starter" if phase == "await" else "done"
                break
        seen.outcome = _finish(running, seen.done, bool(seen.gave_up_waiting))
        return seen


def _problem_first(outcome: Outcome | None) -> None:
    """A stub or a module that does not import: nothing else to judge."""
    assert outcome is not None
    if outcome.error is not None and (outcome.error.todo or outcome.error.import_failed):
        raise outcome.as_problem()


def _stderr(outcome: Outcome | None) -> str:
    text = outcome.stderr.text.strip() if outcome is not None else ""
    return f"\n--- stderr ---\n{text[-1200:]}" if text else ""


def _who(said: Said, caller: int) -> tuple[str, str]:
    if said.pid == caller:
        return f"pid {said.pid}, the caller itself", f"pid {said.pid}，也就是调用者自己"
    row = said.peer.row
    if row is not None and row.ppid == caller:
        return f"pid {said.pid}, a child of the caller", f"pid {said.pid}，调用者的子进程"
    return f"pid {said.pid}, not a child of the caller", f"pid {said.pid}，不是调用者的子进程"


def _no_result(seen: GateSeen, call: str, what_en: str, what_zh: str, see: tuple[str, str]):
    """The function raised, crashed or hung before the judge saw ``what``."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None:
        problem = outcome.as_problem()
        fail(
            en=f"{problem.teaching.en}\n{what_en} {see[0]}",
            zh=f"{problem.teaching.zh}\n{what_zh}{see[1]}",
        )
    fail(
        en=f"{call}: {what_en}{_stderr(outcome)} {see[0]}",
        zh=f"{call}：{what_zh}{_stderr(outcome)}{see[1]}",
    )


def _check_no_early(seen: GateSeen, index: int, call: str, see: tuple[str, str]) -> None:
    heat = seen.heats[index]
    if not heat.early:
        return
    said = heat.early[0]
    who_en, who_zh = _who(said, seen.caller)
    when_en = (
        "before starter() was even called"
        if heat.starter is None or said.at < heat.starter.at
        else "while starter() had not returned yet"
    )
    when_zh = (
        "starter() 还没被调用"
        if heat.starter is None or said.at < heat.starter.at
        else "starter() 还没有返回"
    )
    if said.kind == "task":
        fail(
            en=f"{call}: {said.kind}({said.value!r}) was called ({who_en}) {when_en}: that "
            "runner did not wait for the gate. Each runner first waits with gate.wait(timeout), "
            "and the gate is opened with gate.set() only after starter() has returned "
            f"{see[0]}.",
            zh=f"{call}：{when_zh}，task({said.value!r}) 就已经被调用了（{who_zh}）：这个选手"
            "没有在闸门前等待。每个选手都要先 gate.wait(timeout)，而且只有在 starter() 返回之后"
            f"才能用 gate.set() 打开闸门{see[1]}。",
        )
    fail(
        en=f"{call}: give_up({said.value!r}) was called ({who_en}) {when_en}, long before its "
        f"timeout of {seen.timeout:g} s: the runner did not wait. gate.is_set() only looks at "
        "the gate; gate.wait(timeout) waits, and returns False only once the timeout has "
        f"passed {see[0]}.",
        zh=f"{call}：{when_zh}，give_up({said.value!r}) 就已经被调用了（{who_zh}），离它的 "
        f"{seen.timeout:g} 秒超时还早得很：这个选手根本没有等。gate.is_set() 只是看一眼闸门；"
        f"gate.wait(timeout) 才会等待，而且只有超时之后才返回 False{see[1]}。",
    )


def _check_waiting(
    seen: GateSeen, index: int, call: str, see: tuple[str, str], before: set[tuple[int, int]]
) -> list[Sighting]:
    """The runners (children not seen in an earlier heat) waited, asleep, while starter() was
    held; those runners."""
    heat = seen.heats[index]
    runners = [s for key, s in heat.waiting.items() if key not in before]
    if len(runners) < seen.lanes:
        fail(
            en=f"{call}: while starter() was waiting, the judge saw {len(runners)} new "
            f"process(es) below the caller, not {seen.lanes}: start every runner process "
            "BEFORE calling starter(); they wait at the closed gate until it opens "
            f"{see[0]}.",
            zh=f"{call}：starter() 等待期间，评测程序在调用者下面只看到 {len(runners)} 个新进程，"
            f"而不是 {seen.lanes} 个：要在调用 starter() 之前启动全部选手进程，让它们在关着的闸门"
            f"前等待{see[1]}。",
        )
    spinning = [s for s in runners if s.spinning]
    if spinning:
        s = spinning[0]
        busy = sum(1 for state in s.states if state == "R")
        fail(
            en=f"{call}: while the gate was shut, runner pid {s.pid} burnt {s.burnt:.2f} s of "
            f"CPU (state R, running, in {busy} of the judge's {len(s.states)} looks): it waits "
            "by looping on gate.is_set(). gate.wait(timeout) sleeps in the kernel and uses no "
            f"CPU until the gate opens {see[0]}.",
            zh=f"{call}：闸门关着的时候，选手进程 pid {s.pid} 用掉了 {s.burnt:.2f} 秒 CPU"
            f"（评测程序看了 {len(s.states)} 次，有 {busy} 次处于 R 运行状态）：它是在循环里反复"
            "调用 gate.is_set() 来“等”的。gate.wait(timeout) 会在内核里睡眠，闸门打开之前"
            f"不占用 CPU{see[1]}。",
        )
    for s in runners:
        if s.hidden:
            fail(
                en=f"{call}: runner pid {s.pid} made itself non-dumpable (prctl "
                "PR_SET_DUMPABLE), so the judge could not see what it waits in. A runner has "
                "no reason to hide: leave the process as multiprocessing started it, and let it "
                f"wait in gate.wait(timeout) {see[0]}.",
                zh=f"{call}：选手进程 pid {s.pid} 把自己设成了不可转储（prctl PR_SET_DUMPABLE），"
                "评测程序因此看不到它在等什么。选手没有理由隐藏自己：保持 multiprocessing 启动"
                f"它时的样子，让它在 gate.wait(timeout) 里等待{see[1]}。",
            )
    for s in runners:
        if s.gates or not s.looks:
            continue  # it waited on a semaphore, or the judge could not tell where it waited
        kind, times = s.seen_most()
        how_en, how_zh = _SEEN_IN.get(kind, (f"{kind}()", f"{kind}()"))
        fail(
            en=f"{call}: while the gate was shut, runner pid {s.pid} never waited on the "
            f"Event: in {times} of the judge's {len(s.looks)} looks at its main thread "
            f"(/proc/{s.pid}/task/{s.pid}/syscall) it was in {how_en}, and never blocked on a "
            "semaphore (a futex in a /dev/shm/sem.* page, where gate.wait(timeout) sleeps). A "
            "loop that looks with gate.is_set() and sleeps between the looks burns little CPU, "
            "but it wakes again and again for nothing and sees the gate open late. "
            "gate.wait(timeout) sleeps on the Event itself, until set() wakes it or the "
            f"timeout passes {see[0]}.",
            zh=f"{call}：闸门关着的时候，选手进程 pid {s.pid} 从来没有在 Event 上等待：评测程序"
            f"看了它的主线程 {len(s.looks)} 次（/proc/{s.pid}/task/{s.pid}/syscall），有 {times} "
            f"次它处于 {how_zh}，一次也没有阻塞在信号量上（/dev/shm/sem.* 页里的 futex，"
            "gate.wait(timeout) 就睡在那里）。用 gate.is_set() 看一眼、睡一会儿、再看一眼的循环"
            "几乎不占 CPU，却会一次又一次白白醒来，而且发现闸门打开时已经晚了。"
            "gate.wait(timeout) 直接睡在 Event 上，直到 set() 把它唤醒或者超时"
            f"{see[1]}。",
        )
    return runners


def _check_ran(
    seen: GateSeen, index: int, call: str, lanes: list[int], see: tuple[str, str]
) -> None:
    """After the gate opened, each waiting runner called task(lane) at once, all together."""
    heat = seen.heats[index]
    for said in heat.tasks:
        who_en, who_zh = _who(said, seen.caller)
        if not heat.waited(said):
            why_en = (
                "the caller itself: the runners must be processes (multiprocessing.Process), "
                "not threads, and runner() runs in them, never in the caller"
                if said.pid == seen.caller
                else "a process that was not waiting at the gate when it opened: the processes "
                "that wait at the gate are the ones that run"
            )
            why_zh = (
                "调用者自己：选手必须是进程（multiprocessing.Process），不能是线程，runner() 要在"
                "这些进程里运行，而不是在调用者里"
                if said.pid == seen.caller
                else "一个在闸门打开时并没有在闸门前等待的进程：在闸门前等待的进程，就应该是"
                "起跑的进程"
            )
            fail(
                en=f"{call}: task({said.value!r}) ran in {who_en}, {why_en} {see[0]}.",
                zh=f"{call}：task({said.value!r}) 运行在 {who_zh} 里，这是{why_zh}{see[1]}。",
            )
    if heat.give_ups:
        said = heat.give_ups[0]
        fail(
            en=f"{call}: the gate was opened, and runner {_who(said, seen.caller)[0]} called "
            f"give_up({said.value!r}) anyway: give up only when gate.wait(timeout) returned "
            "False. (Shutting the gate with clear() before the runners of the heat have been "
            f"joined can make their wait() return False.) {see[0]}",
            zh=f"{call}：闸门已经打开了，选手（{_who(said, seen.caller)[1]}）却还是调用了 "
            f"give_up({said.value!r})：只有 gate.wait(timeout) 返回 False 时才能放弃。（如果在"
            "这一组选手全部 join() 之前就用 clear() 关上闸门，它们的 wait() 也可能返回 False。）"
            f"{see[1]}",
        )
    got = sorted((s.value for s in heat.tasks), key=repr)
    pids = {s.pid for s in heat.tasks}
    if len(pids) < len(lanes) or heat.together < len(lanes):
        late = [s.value for s in heat.late if s.kind == "task"]
        fail(
            en=f"{call}: within {PROMPT:g} s of the gate opening, {len(heat.tasks)} runner(s) "
            f"called task() (lanes {got}), in {len(pids)} process(es); {len(lanes)} were "
            f"expected, all at once{f' (later came {late})' if late else ''}. Every runner waits "
            "at the same gate, and gate.set() wakes them all at the same moment: start them all "
            f"before starter(), set() once, then join them all {see[0]}.",
            zh=f"{call}：闸门打开后 {PROMPT:g} 秒内，只有 {len(heat.tasks)} 个选手调用了 task()"
            f"（跑道 {got}），分布在 {len(pids)} 个进程里；应当是 {len(lanes)} 个选手同时起跑"
            f"{f'（之后才来的：{late}）' if late else ''}。所有选手在同一道闸门前等待，gate.set() "
            "会在同一时刻把它们全部唤醒：在 starter() 之前把它们全部启动，set() 一次，然后把它们"
            f"全部 join(){see[1]}。",
        )
    if got != sorted(lanes, key=repr):
        fail(
            en=f"{call}: the runners called task() with the lanes {got}, not {lanes}: runner "
            f"number i calls task(i) (or give_up(i)), i from 0 {see[0]}.",
            zh=f"{call}：选手们调用 task() 时给出的跑道是 {got}，而不是 {lanes}：第 i 个选手调用 "
            f"task(i)（或 give_up(i)），i 从 0 开始{see[1]}。",
        )


def _check_joined(seen: GateSeen, call: str, see: tuple[str, str]) -> None:
    if not seen.done:
        if seen.gave_up_waiting == "done":
            fail(
                en=f"{call}: every runner had run, but the function had not returned "
                f"{DONE_S:g} s later: join() each runner (they end once task() returns) and "
                f"return {see[0]}.{_stderr(seen.outcome)}",
                zh=f"{call}：所有选手都已经跑完了，可函数过了 {DONE_S:g} 秒还没有返回：对每个选手"
                f"进程 join()（task() 返回后它们就结束了），然后返回{see[1]}。"
                f"{_stderr(seen.outcome)}",
            )
        _no_result(seen, call, "it never returned.", "它一直没有返回。", see)
    if seen.left:
        fail(
            en=f"{call} returned while the caller still had these children: "
            f"{probe.describe_all(seen.left)}: join() every runner before returning "
            f"{see[0]}.",
            zh=f"{call} 返回时，调用者还有这些子进程：{probe.describe_all(seen.left)}：返回之前"
            f"要对每个选手进程 join(){see[1]}。",
        )


def _check_starter(seen: GateSeen, index: int, call: str, see: tuple[str, str]) -> Heat:
    heat = seen.heats[index] if index < len(seen.heats) else Heat()
    if heat.starter is not None:
        return heat
    elsewhere = [s for s in seen.strays if s.kind == "starter" and s.pid != seen.caller]
    if elsewhere:
        who_en, who_zh = _who(elsewhere[0], seen.caller)
        fail(
            en=f"{call}: starter() was called in {who_en}: call it in the caller itself, "
            f"after starting the runners, and open the gate when it returns {see[0]}.",
            zh=f"{call}：starter() 是在 {who_zh} 里被调用的：要在调用者自己里、启动选手之后"
            f"调用它，等它返回再打开闸门{see[1]}。",
        )
    if index < len(seen.heats):
        _check_no_early(seen, index, call, see)
    called = sum(1 for h in seen.heats if h.starter is not None)
    what_en = (
        f"starter() was called {called} time(s); it is called once per heat, {seen.count} "
        f"in all, from the caller, after the runners of the heat are started."
        if seen.count > 1
        else "starter() was never called: call it (in the caller) once every runner is "
        "started, and open the gate when it returns."
    )
    what_zh = (
        f"starter() 被调用了 {called} 次；每组调用一次，一共 {seen.count} 次，在调用者里、"
        "这一组选手全部启动之后调用。"
        if seen.count > 1
        else "starter() 从来没有被调用过：要在所有选手都启动之后（在调用者里）调用它，"
        "它返回之后再打开闸门。"
    )
    _no_result(seen, call, what_en, what_zh, see)
    raise AssertionError("unreachable")


# -- Part 1 ------------------------------------------------------------------------------------

RACE = f"race({LANES}, task, give_up, {OPEN_TIMEOUT:g}, starter)"


def _race(student) -> GateSeen:
    seen = _watch_gate(student, _race_scenario, RACE, 1, LANES, OPEN_TIMEOUT)
    _problem_first(seen.outcome)
    return seen


@pytest.mark.points(3)
def test_runners_wait_at_the_shut_gate(student):
    seen = _race(student)
    see = (P1_EN, P1_ZH)
    _check_starter(seen, 0, RACE, see)
    _check_no_early(seen, 0, RACE, see)
    _check_waiting(seen, 0, RACE, see, set())
    heat = seen.heats[0]
    if not any(heat.waited(s) for s in heat.tasks):
        _check_ran(seen, 0, RACE, list(range(LANES)), see)


@pytest.mark.points(3)
def test_all_runners_start_together_once_it_opens(student):
    seen = _race(student)
    see = (P1_EN, P1_ZH)
    _check_starter(seen, 0, RACE, see)
    _check_no_early(seen, 0, RACE, see)
    _check_ran(seen, 0, RACE, list(range(LANES)), see)
    _check_joined(seen, RACE, see)


# -- Part 2 ------------------------------------------------------------------------------------

HEATS_CALL = f"heats({HEATS}, {HEAT_LANES}, task, give_up, {OPEN_TIMEOUT:g}, starter)"


def _check_one_gate(gates: list[set[tuple[str, int]]], see: tuple[str, str]) -> None:
    """The runners of every heat waited on the same semaphore (by its device and inode): one
    Event. No verdict where the judge could not see what the runners of a heat waited on."""
    if len(gates) < 2 or not all(gates):
        return
    for index, found in enumerate(gates[1:], start=2):
        if found & gates[0]:
            continue
        fail(
            en=f"{HEATS_CALL}: the runners of heat {index} waited on another Event than those "
            "of heat 1: the judge read which semaphore each runner's wait() sleeps on "
            "(/proc/<pid>/task/<pid>/syscall, and the /dev/shm/sem.* page it lies in, "
            "/proc/<pid>/maps), and the heats' were different files. heats() made a new gate "
            "for the heat instead of shutting the one gate again. Create the Event once, "
            "before the first heat, and give it to every runner of every heat; once the "
            f"runners of a heat are joined, gate.clear() shuts it for the next {see[0]}.",
            zh=f"{HEATS_CALL}：第 {index} 组的选手等待的 Event 和第 1 组的不是同一个：评测程序"
            "读到了每个选手的 wait() 睡在哪个信号量上（/proc/<pid>/task/<pid>/syscall，以及它"
            "所在的 /dev/shm/sem.* 页，/proc/<pid>/maps），各组的是不同的文件。heats() 为这一组"
            "新建了一道闸门，而不是把原来那道闸门重新关上。Event 只在第一组之前创建一次，交给"
            "每一组的每个选手；一组选手全部 join() 之后，用 gate.clear() 为下一组关上它"
            f"{see[1]}。",
        )


@pytest.mark.points(3)
def test_clear_shuts_the_gate_for_the_next_heat(student):
    seen = _watch_gate(student, _heats_scenario, HEATS_CALL, HEATS, HEAT_LANES, OPEN_TIMEOUT)
    _problem_first(seen.outcome)
    see = (P2_EN, P2_ZH)
    before: set[tuple[int, int]] = set()
    gates: list[set[tuple[str, int]]] = []  # per heat: the semaphores its runners waited on
    for index in range(HEATS):
        heat = _check_starter(seen, index, HEATS_CALL, see)
        if index > 0 and heat.early:
            said = heat.early[0]
            fail(
                en=f"{HEATS_CALL}: in heat {index + 1}, {said.kind}({said.value!r}) was called "
                f"({_who(said, seen.caller)[0]}) before starter() had returned: the gate was "
                f"still open from heat {index}. An Event stays set until clear(): once the "
                "runners of a heat are joined, gate.clear() shuts it again, and the next "
                f"heat's runners wait at it {see[0]}.",
                zh=f"{HEATS_CALL}：第 {index + 1} 组里，starter() 还没返回，"
                f"{said.kind}({said.value!r}) 就被调用了（{_who(said, seen.caller)[1]}）：闸门从"
                f"第 {index} 组起一直开着。Event 被 set() 之后会一直保持设置状态，直到 clear()："
                f"一组选手全部 join() 之后，用 gate.clear() 重新关上闸门，下一组选手才会在闸门前"
                f"等待{see[1]}。",
            )
        _check_no_early(seen, index, HEATS_CALL, see)
        runners = _check_waiting(seen, index, HEATS_CALL, see, before)
        before |= {(s.pid, s.start) for s in runners}
        _check_ran(seen, index, HEATS_CALL, list(range(HEAT_LANES)), see)
        gates.append(set().union(*(s.gates for s in runners)))
    _check_one_gate(gates, see)
    extra = [s for s in seen.strays if s.kind == "starter"]
    if extra:
        fail(
            en=f"{HEATS_CALL}: starter() was called more than {HEATS} times: once per heat "
            f"{see[0]}.",
            zh=f"{HEATS_CALL}：starter() 被调用了超过 {HEATS} 次：每组只调用一次{see[1]}。",
        )
    _check_joined(seen, HEATS_CALL, see)


# -- Part 3 ------------------------------------------------------------------------------------

SHUT_CALL = f"race({SHUT_LANES}, task, give_up, {SHUT_TIMEOUT:g}, starter)"


def _since_start(said: Said, began: float) -> float | None:
    """Seconds from the start of the process that said it to the moment the judge heard it
    (``began``: the channel's opening on the monotonic clock, from which ``Said.at`` counts)."""
    row = said.peer.row
    if row is None:
        return None
    if sys.platform.startswith("linux"):  # /proc's start times count from boot
        offset = time.clock_gettime(time.CLOCK_BOOTTIME) - time.monotonic()
    else:  # psutil's are epoch times
        offset = time.time() - time.monotonic()
    return began + said.at + offset - row.start / probe.TICKS


@pytest.mark.points(3)
def test_runners_give_up_when_the_gate_stays_shut(student):
    seen = _watch_gate(student, _race_scenario, SHUT_CALL, 1, SHUT_LANES, SHUT_TIMEOUT, shut=True)
    _problem_first(seen.outcome)
    see = (P3_EN, P3_ZH)
    heat = _check_starter(seen, 0, SHUT_CALL, see)
    for said in heat.early:
        if said.kind == "task":
            fail(
                en=f"{SHUT_CALL}: the judge never let starter() return, so the gate never "
                f"opened, and task({said.value!r}) ran anyway ({_who(said, seen.caller)[0]}). "
                f"gate.wait({SHUT_TIMEOUT:g}) returns False when the timeout passes with the "
                "gate still shut: check what it returns, and call give_up(lane) then. A runner "
                f"that sleeps instead of waiting cannot know either {see[0]}.",
                zh=f"{SHUT_CALL}：评测程序一直没有让 starter() 返回，闸门从来没有打开过，"
                f"可 task({said.value!r}) 还是运行了（{_who(said, seen.caller)[1]}）。"
                f"gate.wait({SHUT_TIMEOUT:g}) 在超时之后闸门仍然关着时返回 False：要检查它的"
                f"返回值，这时调用 give_up(lane)。用 sleep 代替等待的选手也无从知道闸门开没开"
                f"{see[1]}。",
            )
    gave_up = [s for s in heat.early if s.kind == "give_up"]
    if len({s.pid for s in gave_up}) < SHUT_LANES:
        lanes = [s.value for s in gave_up]
        fail(
            en=f"{SHUT_CALL}: the gate stayed shut, and {LATE:g} s after the runners' "
            f"timeout of {SHUT_TIMEOUT:g} s, only {len(gave_up)} of {SHUT_LANES} runners had "
            f"called give_up() (lanes {lanes}). Wait with a timeout, gate.wait(timeout): a "
            "wait() without one waits for ever when nobody opens the gate "
            f"{see[0]}.{_stderr(seen.outcome)}",
            zh=f"{SHUT_CALL}：闸门一直关着，在选手的 {SHUT_TIMEOUT:g} 秒超时过后又过了 {LATE:g} "
            f"秒，{SHUT_LANES} 个选手里只有 {len(gave_up)} 个调用了 give_up()（跑道 {lanes}）。"
            "要带超时地等待：gate.wait(timeout)；不带超时的 wait() 在没人开闸时会永远等下去"
            f"{see[1]}。{_stderr(seen.outcome)}",
        )
    for said in gave_up:
        waited = _since_start(said, seen.began)
        if said.pid == seen.caller or (said.peer.row and said.peer.row.ppid != seen.caller):
            fail(
                en=f"{SHUT_CALL}: give_up({said.value!r}) ran in {_who(said, seen.caller)[0]}: "
                f"each runner is a process of its own, a child of the caller {see[0]}.",
                zh=f"{SHUT_CALL}：give_up({said.value!r}) 运行在 {_who(said, seen.caller)[1]} "
                f"里：每个选手都是一个独立的进程，是调用者的子进程{see[1]}。",
            )
        if waited is not None and waited < SHUT_TIMEOUT - EARLY:
            fail(
                en=f"{SHUT_CALL}: runner pid {said.pid} called give_up({said.value!r}) "
                f"{waited:.2f} s after it started, before its timeout of {SHUT_TIMEOUT:g} s: "
                f"wait the whole timeout, gate.wait(timeout), before giving up {see[0]}.",
                zh=f"{SHUT_CALL}：选手进程 pid {said.pid} 启动后 {waited:.2f} 秒就调用了 "
                f"give_up({said.value!r})，还没到 {SHUT_TIMEOUT:g} 秒的超时：要用 "
                f"gate.wait(timeout) 等满超时，再放弃{see[1]}。",
            )
    _check_joined(seen, SHUT_CALL, see)


# -- Part 4 ------------------------------------------------------------------------------------


@dataclass
class PatrolSeen:
    caller: int
    workers: int
    interval: float
    ticks: dict[int, list[Said]] = field(default_factory=dict)  # pid -> its ticks
    stop_call: channel.Peer | None = None
    stop_at: float | None = None  # when the judge answered wait_for_stop()
    ended_at: dict[int, float] = field(default_factory=dict)  # pid -> when seen gone
    sigterms: list[Said] = field(default_factory=list)
    strays: list[Said] = field(default_factory=list)
    done: bool = False
    left: list[probe.Proc] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)  # pid -> wait status (the caller's)
    gave_up_waiting: str = ""
    outcome: Outcome | None = None

    def workers_seen(self) -> dict[int, list[Said]]:
        """Ticks of the children of the caller, by pid."""
        return {
            pid: ticks
            for pid, ticks in self.ticks.items()
            if pid != self.caller and ticks[0].peer.row and ticks[0].peer.row.ppid == self.caller
        }


def _statuses(value: object) -> dict[int, int]:
    """The [pid, wait status] pairs the patrol scenario sent with "done"."""
    if not isinstance(value, list):
        return {}
    pairs = [p for p in value if isinstance(p, list) and len(p) == 2]
    return {p[0]: p[1] for p in pairs if all(type(x) is int for x in p)}


def _gone(said: Said) -> bool:
    row = probe.read(said.pid)
    return row is None or row.zombie or row.start != said.start


def _watch_patrol(student, label: str, workers: int, interval: float, want: int) -> PatrolSeen:
    with channel.Channel("14") as judge:
        running = student.options(label=label).start_scenario(
            _patrol_scenario, judge.address, workers, interval
        )
        seen = PatrolSeen(running.pid, workers, interval)
        while True:
            finished = running.finished()
            heard = _heard(judge)
            now = judge.now()
            for said in heard:
                peer = said.peer
                if said.kind == "stop?" and said.pid == seen.caller and seen.stop_call is None:
                    seen.stop_call = peer
                    continue
                if said.kind == "done" and said.pid == seen.caller:
                    seen.left = probe.children(seen.caller)
                    seen.statuses = _statuses(said.value)
                    seen.done = True
                elif said.kind == "tick":
                    seen.ticks.setdefault(said.pid, []).append(said)
                elif said.kind == "sigterm":
                    seen.sigterms.append(said)
                else:
                    seen.strays.append(said)
                peer.answer("ok")
            if seen.stop_call is not None and seen.stop_at is None:
                ticking = seen.workers_seen()
                enough = len(ticking) >= workers and all(len(t) >= want for t in ticking.values())
                if enough or now > TICKS_S:
                    seen.stop_call.answer("stop")
                    seen.stop_at = now
            if seen.stop_at is not None:
                for pid, ticks in seen.workers_seen().items():
                    if pid not in seen.ended_at and _gone(ticks[0]):
                        seen.ended_at[pid] = now
            if seen.done or finished:
                break
            if seen.stop_at is None and now > TICKS_S + 0.5:
                seen.gave_up_waiting = "stop?"
                break
            if seen.stop_at is not None and now - seen.stop_at > STOP_S + DONE_S:
                seen.gave_up_waiting = "done"
                break
        seen.outcome = _finish(running, seen.done, bool(seen.gave_up_waiting))
        return seen


def _check_patrollers(seen: PatrolSeen, call: str, want: int) -> dict[int, list[Said]]:
    """Each worker is a child of the caller that ticked with its lane; {pid: ticks}."""
    see = (P4_EN, P4_ZH)
    ticking = seen.workers_seen()
    inside = seen.ticks.get(seen.caller, [])
    if inside:
        fail(
            en=f"{call}: tick() was called in the caller itself (pid {seen.caller}): each "
            "worker is a multiprocessing.Process, and patroller() runs in it, not in the caller "
            f"and not in a thread {see[0]}.",
            zh=f"{call}：tick() 是在调用者自己（pid {seen.caller}）里被调用的：每个工作者都是一个 "
            f"multiprocessing.Process，patroller() 在它里面运行，而不是在调用者或线程里{see[1]}。",
        )
    if seen.stop_call is None and not ticking:
        _no_result(
            seen,
            call,
            "neither tick() nor wait_for_stop() was ever called.",
            "tick() 和 wait_for_stop() 都从来没有被调用过。",
            see,
        )
    if len(ticking) < seen.workers or any(len(t) < want for t in ticking.values()):
        counts = sorted(len(t) for t in ticking.values())
        fail(
            en=f"{call}: in {TICKS_S:g} s the judge heard {len(ticking)} worker process(es) "
            f"tick (ticks per worker: {counts}); it expected {seen.workers}, each ticking at "
            f"once when it starts and then every {seen.interval:g} s ({want} ticks each), "
            "until the stop event is set. Start every worker first, then call "
            f"wait_for_stop() {see[0]}.{_stderr(seen.outcome)}",
            zh=f"{call}：{TICKS_S:g} 秒内评测程序只听到 {len(ticking)} 个工作进程调用 tick()"
            f"（每个工作者的次数：{counts}）；应当有 {seen.workers} 个，每个一启动就立刻 tick "
            f"一次，之后每隔 {seen.interval:g} 秒一次（每个至少 {want} 次），直到停止事件被设置。"
            f"先启动全部工作者，再调用 wait_for_stop(){see[1]}。{_stderr(seen.outcome)}",
        )
    lanes = sorted((t[0].value for t in ticking.values()), key=repr)
    if lanes != list(range(seen.workers)):
        fail(
            en=f"{call}: the workers ticked with the lanes {lanes}: worker number i calls "
            f"tick(i), i from 0, each in a process of its own {see[0]}.",
            zh=f"{call}：工作者调用 tick 时给出的编号是 {lanes}：第 i 个工作者调用 tick(i)，"
            f"i 从 0 开始，每个工作者一个独立的进程{see[1]}。",
        )
    if seen.stop_call is None:
        _no_result(
            seen,
            call,
            "the workers ticked, but wait_for_stop() was never called.",
            "工作者们 tick 了，可 wait_for_stop() 从来没有被调用过。",
            see,
        )
    return ticking


def _check_returned(seen: PatrolSeen, call: str) -> None:
    see = (P4_EN, P4_ZH)
    if not seen.done:
        _no_result(
            seen,
            call,
            "it did not return once the workers were stopped.",
            "工作者停下之后，它没有返回。",
            see,
        )
    if seen.left:
        fail(
            en=f"{call} returned while the caller still had these children: "
            f"{probe.describe_all(seen.left)}: join() every worker before returning {see[0]}.",
            zh=f"{call} 返回时，调用者还有这些子进程：{probe.describe_all(seen.left)}：返回之前"
            f"要对每个工作进程 join(){see[1]}。",
        )


TICK_CALL = f"patrol({WORKERS}, tick, {TICK_INTERVAL:g}, wait_for_stop)"
STOP_CALL = f"patrol({WORKERS}, tick, {STOP_INTERVAL:g}, wait_for_stop)"


@pytest.mark.points(2)
def test_workers_tick_every_interval(student):
    seen = _watch_patrol(student, TICK_CALL, WORKERS, TICK_INTERVAL, TICKS)
    _problem_first(seen.outcome)
    see = (P4_EN, P4_ZH)
    ticking = _check_patrollers(seen, TICK_CALL, TICKS)
    for pid, ticks in ticking.items():
        before = [t for t in ticks if seen.stop_at is None or t.at <= seen.stop_at]
        gaps = [b.at - a.at for a, b in itertools.pairwise(before)]
        if gaps and min(gaps) < 0.9 * TICK_INTERVAL:
            fail(
                en=f"{TICK_CALL}: worker pid {pid} ticked again after only {min(gaps):.3f} s "
                f"(gaps: {', '.join(f'{g:.3f}' for g in gaps[:6])}): between two ticks a worker "
                f"waits the interval, {TICK_INTERVAL:g} s. Wait with stop.wait(interval): it "
                f"sleeps that long, and wakes at once when the stop event is set {see[0]}.",
                zh=f"{TICK_CALL}：工作进程 pid {pid} 只隔了 {min(gaps):.3f} 秒就又 tick 了"
                f"（间隔：{', '.join(f'{g:.3f}' for g in gaps[:6])}）：两次 tick 之间，工作者要等"
                f"一个间隔，{TICK_INTERVAL:g} 秒。用 stop.wait(interval) 来等：它会睡这么久，"
                f"而停止事件一旦被设置就立刻醒来{see[1]}。",
            )
    _check_returned(seen, TICK_CALL)


@pytest.mark.points(3)
def test_the_stop_event_ends_the_workers_at_once(student):
    seen = _watch_patrol(student, STOP_CALL, WORKERS, STOP_INTERVAL, 1)
    _problem_first(seen.outcome)
    see = (P4_EN, P4_ZH)
    ticking = _check_patrollers(seen, STOP_CALL, 1)
    if seen.sigterms:
        said = seen.sigterms[0]
        fail(
            en=f"{STOP_CALL}: worker pid {said.pid} was killed by SIGTERM: terminate() ends a "
            "worker wherever it is, in the middle of its work. Ask the workers to stop "
            "instead: stop.set(), and each one leaves its loop and ends by itself; then join() "
            f"them {see[0]}.",
            zh=f"{STOP_CALL}：工作进程 pid {said.pid} 是被 SIGTERM 杀掉的：terminate() 不管工作者"
            "正在做什么都会把它结束掉，哪怕正做到一半。应当请它们自己停下：stop.set()，每个工作者"
            f"都会跳出循环、自行结束；然后再 join() 它们{see[1]}。",
        )
    assert seen.stop_at is not None
    slow = [pid for pid in ticking if seen.ended_at.get(pid, 1e9) - seen.stop_at > STOP_S]
    if slow:
        pid = slow[0]
        after = [t for t in ticking[pid] if t.at > seen.stop_at]
        more_en = f" and ticked {len(after)} more time(s) after it" if after else ""
        more_zh = f"，之后还 tick 了 {len(after)} 次" if after else ""
        fail(
            en=f"{STOP_CALL}: {STOP_S:g} s after wait_for_stop() returned, worker pid {pid} "
            f"was still running{more_en}. With an interval of {STOP_INTERVAL:g} s, a worker "
            f"that sleeps with time.sleep(interval) only notices the stop when the sleep ends. "
            "Wait with stop.wait(interval): it returns True the moment stop.set() is called, "
            f"and the worker leaves its loop (and never ignores what wait() returns) {see[0]}."
            f"{_stderr(seen.outcome)}",
            zh=f"{STOP_CALL}：wait_for_stop() 返回 {STOP_S:g} 秒之后，工作进程 pid {pid} 还在"
            f"运行{more_zh}。间隔是 {STOP_INTERVAL:g} 秒，用 time.sleep(interval) 睡觉的工作者要等"
            "睡醒才会发现该停了。改用 stop.wait(interval) 来等：stop.set() 一被调用它就返回 True，"
            f"工作者随即跳出循环（千万别忽略 wait() 的返回值）{see[1]}。{_stderr(seen.outcome)}",
        )
    _check_returned(seen, STOP_CALL)
    for pid in sorted(ticking):
        status = seen.statuses.get(pid)
        if status is None:
            fail(
                en=f"{STOP_CALL}: the judge never learnt how worker pid {pid} ended: patrol() "
                "did not reap it with join(). Set the stop event, then join() every worker: "
                "join() collects how it ended, and each must end by itself, with exit code 0 "
                f"{see[0]}.",
                zh=f"{STOP_CALL}：评测程序不知道工作进程 pid {pid} 是怎样结束的：patrol() 没有用 "
                "join() 回收它。先设置停止事件，再对每个工作者 join()：join() 会取回它的结束状态，"
                f"而每个工作者都应当自行结束，退出码为 0{see[1]}。",
            )
        ending = ExitStatus.from_wait(status)
        if ending.code == 0:
            continue
        if ending.signal is not None:
            code = -ending.signal  # as Process.exitcode says it
            fail(
                en=f"{STOP_CALL}: worker pid {pid} did not end by itself: its exitcode was "
                f"{code}: {ending.describe('en')}. kill() and terminate() end a worker wherever "
                "it is, in the middle of its work, whether it looks at the stop event or not. "
                "Set the stop event instead: stop.wait(interval) returns True, the patroller "
                "leaves its loop and returns, and its process ends with exit code 0; then "
                f"join() them {see[0]}.",
                zh=f"{STOP_CALL}：工作进程 pid {pid} 不是自行结束的：它的 exitcode 是 {code}："
                f"{ending.describe('zh')}。kill() 和 terminate() 不管工作者正在做什么都会把它"
                "结束掉，哪怕正做到一半，也不管它看不看停止事件。应当设置停止事件："
                "stop.wait(interval) 返回 True，patroller 跳出循环并返回，进程以退出码 0 结束；"
                f"然后再 join() 它们{see[1]}。",
            )
        fail(
            en=f"{STOP_CALL}: worker pid {pid} {ending.describe('en')}, not 0: its patroller "
            "raised or called sys.exit(). Once the stop event is set, patroller() just "
            f"returns, and its process ends with exit code 0 {see[0]}.{_stderr(seen.outcome)}",
            zh=f"{STOP_CALL}：工作进程 pid {pid} {ending.describe('zh')}，不是 0："
            "它的 patroller 抛出了异常或者调用了 sys.exit()。停止事件被设置之后，patroller() "
            f"只要返回就好，进程会以退出码 0 结束{see[1]}。{_stderr(seen.outcome)}",
        )
