"""Spec for exercise 06 — the Process class. Run it with `grader check process_class`.

The judge observes; the sandbox only acts. Every target the student's code starts is a
trusted function of this file that, wherever it runs, says one line on the channel the
judge (this test process) holds (``grader.spec.channel``) and waits there for the judge's
answer. So every verdict rests on what the judge sees itself:

* who connected: the kernel names the process at the other end (``SO_PEERCRED``:
  ``peer.pid``), and the judge read that process's row (its parent) as it accepted it, while
  it waits for the answer (``peer.row``). A target that ran in the caller (``run()`` instead
  of ``start()``, a thread) is seen as the caller;
* how many were alive at once: every child waits for the judge's answer, and the judge
  answers only once all of them are connected (or gives up after BARRIER_S); a child whose
  connection had already closed (it ended) when the judge answered is not counted;
* how each child ends: the judge decides it, at random, for each run (return, an exit code
  of its choosing, or a SIGKILL it sends itself), so the exit codes the student's function
  reports can only be right if they come from the children;
* how a held child really ended: Part 2's held child and Part 4's heartbeat catch SIGTERM,
  say so on the channel (the kernel names the pid), then die of it; a child that ends
  without saying so was killed another way (SIGKILL). The heartbeat also says, as it begins,
  whether its Process is a daemon (``multiprocessing.current_process().daemon``);
* the caller's children at the moment the student's function returned: the scenario
  reports "done" on the channel and waits for the answer while the judge reads the process
  table (no zombie, nothing still running); only the caller's "done" counts;
* Part 4 runs ``main`` as a real program (a fresh ``python`` the scenario starts), so that
  the program really ends and ``multiprocessing`` does what it does at exit; the judge sees
  the daemon vanish, or stay, when that program ends. "main() returned" counts only from
  that program's own process, never from one of its children.

What the targets send (the item, the process name) is only compared with what the judge
expects; nothing a sandbox process records is evidence. Nothing waits with a sleep: the
judge polls with deadlines, and the children wait for its answers.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from grader.spec import Outcome, Running, channel, check, fail, probe

# README references (checked by `grader verify` against the headings of both READMEs).
P1_EN = "(README: 'Part 1 — one process per item')"
P1_ZH = "（README.zh-CN:「第一部分：每个元素一个进程」）"
P2_EN = "(README: 'Part 2 — join with a timeout')"
P2_ZH = "（README.zh-CN:「第二部分：带超时的 join」）"
P3_EN = "(README: 'Part 3 — a Process subclass')"
P3_ZH = "（README.zh-CN:「第三部分：自定义进程类」）"
P4_EN = "(README: 'Part 4 — a daemon process')"
P4_ZH = "（README.zh-CN:「第四部分：守护进程」）"
CODES_EN = "(README: 'Exit codes')"
CODES_ZH = "（README.zh-CN:「退出码」）"

BARRIER_S = 5.0  # the longest the judge waits for every child to connect before answering
RUN_S = 12.0  # the longest the judge watches one run
ANSWER_S = 20.0  # the longest a target waits for the judge's answer (the judge always answers)
HOLD_TIMEOUT = 0.3  # Part 2: the timeout given while the judge holds the child for ever
GIVE_UP_S = 4.0  # Part 2: how long past that timeout the judge waits for the call to return
DYING_S = 0.4  # Part 2: how long the held child takes to end once terminated
QUICK_TIMEOUT = 8.0  # Part 2: the timeout given when the judge lets the child end at once
QUICK_S = 3.0  # ... and the call must return this soon after the child was let go
END_S = 4.0  # Part 4: the longest the main program may take to end once main() returned
PAIR_S = 4.0  # Part 4: the longest the worker is held waiting for the daemon to show up
KILL = "kill"
TODO_CODE = 86  # Part 4: the program's exit code when main() raised NotImplementedError


# -- the sandbox side: trusted code that only acts -------------------------------------------


def _talk(address: str, line: str) -> str:
    """Send one line to the judge and wait for its one-line answer ('' if it closed)."""
    conn = channel.connect(address, line[:900], timeout=ANSWER_S)
    try:
        return channel.read_line(conn, 200).strip()
    except OSError:
        return ""
    finally:
        conn.close()


def _obey(answer: str) -> None:
    """Do what the judge said: return, or sys.exit(code)."""
    if answer.startswith("exit "):
        sys.exit(int(answer.split()[1]))


def _task(item: object, *, address: str, greeting: str) -> None:
    """Part 1's target: say who we are, then end as the judge says."""
    name = multiprocessing.current_process().name
    _obey(_talk(address, json.dumps({"item": item, "greeting": greeting, "name": name})))


def _held(address: str) -> None:
    """Part 2's target (a partial): wait for the judge, which may never answer. Like a real
    program it cleans up for DYING_S when SIGTERM comes, then dies of it: terminate() only
    sends the signal, and only a join() after it sees the end. Its last words tell the judge
    that it dies of SIGTERM now: a child killed otherwise (SIGKILL) never says them."""

    def on_sigterm(signum: int, frame: object) -> None:
        time.sleep(DYING_S)  # the clean-up this child simulates
        try:
            _talk(address, json.dumps({"term": True}))
        except OSError:
            pass
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
    _obey(_talk(address, json.dumps({"held": True})))


def _report(address: str, n: object) -> None:
    """Part 3's report(n): one line per number, answered at once."""
    name = multiprocessing.current_process().name
    _talk(address, json.dumps({"n": n, "name": name}))


def _done(address: str) -> None:
    """The caller: the student's function has returned; wait while the judge looks."""
    _talk(address, "done")


def _run_all_scenario(
    module: ModuleType, address: str, items: list[str], greeting: str, prefix: str
) -> object:
    options = {"address": address, "greeting": greeting}
    value = module.run_all(_task, items, options, prefix)
    _done(address)
    return value


def _timeout_scenario(module: ModuleType, address: str, timeout: float) -> object:
    value = module.run_with_timeout(functools.partial(_held, address), timeout)
    _done(address)
    return value


def _countdown_scenario(module: ModuleType, address: str, plan: list[list[object]]) -> object:
    report = functools.partial(_report, address)
    workers = [module.Countdown(start_at, report, name=name) for start_at, name in plan]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    _done(address)
    return [[w.name, w.pid, w.exitcode, w.is_alive()] for w in workers]


# The main program of Part 4, run by a fresh interpreter: argv = module path, module name,
# the judge's socket file.
PROGRAM = r"""
import importlib.util, multiprocessing, os, signal, sys
from grader.channel import connect, read_line
from grader.isolation import every_start_method_forks
path, name, address = sys.argv[1], sys.argv[2], sys.argv[3]
every_start_method_forks()  # heartbeat and work are this program's: spawn could not find them

def heartbeat():
    def on_sigterm(signum, frame):  # how multiprocessing ends a daemon at exit: say so, die
        try:
            read_line(connect(address, "daemon term"))
        except OSError:
            pass
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
    daemon = multiprocessing.current_process().daemon  # as Process set it in this child
    conn = connect(address, "daemon 1" if daemon else "daemon 0")
    conn.settimeout(None)
    read_line(conn)  # the judge never answers: this runs until something ends it

def work():
    read_line(connect(address, "work"))  # the judge lets the work finish

spec = importlib.util.spec_from_file_location(name, path)
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
spec.loader.exec_module(module)
try:
    module.main(heartbeat, work)
except NotImplementedError:
    sys.exit(TODO_CODE)
read_line(connect(address, "returned"))
""".replace("TODO_CODE", str(TODO_CODE))


def _main_scenario(module: ModuleType, address: str) -> object:
    command = [sys.executable, "-B", "-c", PROGRAM, module.__file__, module.__name__, address]
    code = subprocess.run(command, stdin=subprocess.DEVNULL, check=False).returncode
    if code == TODO_CODE:
        raise NotImplementedError("main() is not written yet")
    return code


# -- the judge's side ---------------------------------------------------------------------------


def _data(peer: channel.Peer) -> dict[str, object]:
    """What a target said, as a dict ({} for anything else)."""
    try:
        data = json.loads(peer.line)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Gate:
    """The moment the student's function returned in the caller, as the judge saw it."""

    at: float
    children: list[probe.Proc]


def _gate(said: channel.Said, caller: int) -> Gate | None:
    """The caller (the kernel says so) says 'done': read its children while it waits, then
    let it go."""
    peer = said.peer
    if peer.pid != caller or said.text != "done":
        return None
    gate = Gate(said.at, probe.children(caller))
    peer.answer("ok")
    return gate


def _stop(running: Running, returned: bool) -> Outcome:
    """End the run: once the student's function has returned, its result frame follows at
    once (the scenario only returns it): wait for it rather than stop the sandbox first."""
    if returned:
        running.wait(RUN_S / 2)
    return running.stop(grace=0.5)


def _problem_first(outcome: Outcome) -> None:
    """A stub, a missing name or a crash: nothing else to judge."""
    if outcome.error is not None and outcome.error.todo:
        raise outcome.as_problem()


def _stderr(outcome: Outcome) -> str:
    text = outcome.stderr.text.strip()
    return f"\n--- stderr ---\n{text[-1500:]}" if text else ""


def _names(peers: list[channel.Peer]) -> str:
    return ", ".join(f"pid {p.pid} ({p.row.describe() if p.row else 'gone'})" for p in peers)


# -- Part 1 ------------------------------------------------------------------------------------


@dataclass
class AllSeen:
    caller: int
    items: list[str]
    greeting: str
    prefix: str
    endings: list[object]  # per item: KILL, or the exit code the judge asks for
    workers: dict[str, channel.Peer] = field(default_factory=dict)  # item -> its connection
    others: list[channel.Peer] = field(default_factory=list)
    at_once: int = 0  # distinct child pids connected, and still so, before the judge answered any
    gate: Gate | None = None
    outcome: Outcome | None = None

    def expected(self) -> list[int]:
        return [-signal.SIGKILL if e == KILL else int(e) for e in self.endings]  # type: ignore[call-overload]


def _let_go(seen: AllSeen, peer: channel.Peer) -> None:
    ending = seen.endings[seen.items.index(str(_data(peer).get("item")))]
    mine = peer.pid != seen.caller and peer.row is not None and peer.row.ppid == seen.caller
    now = probe.read(peer.pid) if mine and not peer.ended else None
    same = now is not None and peer.row is not None and now.start == peer.row.start
    if ending == KILL and same and not now.zombie:  # type: ignore[union-attr]
        os.kill(peer.pid, signal.SIGKILL)  # the judge's own signal: the child cannot know it
    elif ending in (0, KILL):
        peer.answer("return")
    else:
        peer.answer(f"exit {ending}")


def _watch_all(student, count: int = 3) -> AllSeen:
    words = ["alpha", "bravo", "delta", "kilo", "oscar", "sierra", "tango", "zulu"]
    items = [f"{w}{secrets.token_hex(2)}" for w in random.sample(words, count)]
    codes = random.sample(range(2, 10), count)
    endings: list[object] = [KILL, 0, *codes[2:]]
    random.shuffle(endings)
    prefix = f"w{secrets.token_hex(2)}"
    greeting = secrets.token_hex(3)
    label = f"run_all(target, {items!r}, options, {prefix!r})"
    with channel.Channel("06") as judge:
        running = student.options(label=label).start_scenario(
            _run_all_scenario, judge.address, items, greeting, prefix
        )
        seen = AllSeen(running.pid, items, greeting, prefix, endings)
        released = False
        end = time.monotonic() + RUN_S
        while time.monotonic() < end and seen.gate is None:
            finished = running.finished()  # what it sent before it finished is in the backlog
            for said in judge.new_lines():
                peer = said.peer
                gate = _gate(said, seen.caller)
                if gate is not None:
                    seen.gate = gate
                elif str(_data(peer).get("item")) in items:
                    seen.workers.setdefault(str(_data(peer)["item"]), peer)
                    if released:
                        _let_go(seen, peer)
                else:
                    seen.others.append(peer)
                    peer.answer("return")
            if not released and (len(seen.workers) == count or judge.now() > BARRIER_S):
                released = True
                # Alive at once: connected, and still waiting (its end not closed, as of the
                # poll just made). A child that connected and then ended does not count.
                waiting = [p for p in seen.workers.values() if not p.ended]
                seen.at_once = len({p.pid for p in waiting if p.pid != seen.caller})
                for peer in seen.workers.values():
                    _let_go(seen, peer)
            if finished:
                break
        seen.outcome = _stop(running, seen.gate is not None)
        return seen


def _check_children(seen: AllSeen) -> None:
    """Every item ran in a child of the caller of its own (with the options as kwargs)."""
    outcome = seen.outcome
    assert outcome is not None
    _problem_first(outcome)
    peers = list(seen.workers.values())
    if not peers and not outcome.returned:
        raise outcome.as_problem()
    here = [p for p in peers if p.pid == seen.caller]
    if here:
        fail(
            en=f"the target ran in the caller itself (pid {seen.caller}), not in a new "
            "process: the kernel says the judge's target was called from there. That is what "
            "p.run() does (it calls the target in the current process), and what a thread "
            "does. Create a Process for each item and call p.start(): start() makes the new "
            f"process, which then calls the target {P1_EN}.",
            zh=f"target 是在调用者自己（pid {seen.caller}）里运行的，根本没有新进程：内核告诉"
            "评测程序，目标函数是从这个进程里调用的。p.run() 就是这样（它在当前进程里直接调用 "
            "target），用线程也是这样。要为每个元素创建一个 Process，再调用 p.start()："
            f"start() 才会创建新进程，由新进程去调用 target{P1_ZH}。",
        )
    strangers = [p for p in peers if p.row is None or p.row.ppid != seen.caller]
    if strangers:
        fail(
            en=f"the target ran in {_names(strangers)}, which is not a child of the caller "
            f"(pid {seen.caller}). Start the processes from the function itself: "
            f"Process(...).start() makes a child of the process that calls it {P1_EN}.",
            zh=f"target 运行在 {_names(strangers)} 里，它不是调用者（pid {seen.caller}）的"
            "子进程。要在函数里直接启动进程：在哪个进程里调用 Process(...).start()，新进程就是"
            f"它的子进程{P1_ZH}。",
        )
    missing = [item for item in seen.items if item not in seen.workers]
    if missing:
        fail(
            en=f"the target was never called with {missing} (called with: {sorted(seen.workers)}"
            "). Each item goes to its own process as the one positional argument, "
            "args=(item,) - a tuple, with the comma: args=(item) is the string itself, and "
            "each of its letters becomes an argument. The options dict goes as kwargs="
            f"options.{_stderr(outcome)} {P1_EN}",
            zh=f"target 一次也没有以 {missing} 为参数被调用过"
            f"（被调用过的：{sorted(seen.workers)}）。"
            "每个元素交给它自己的进程，作为唯一的位置参数：args=(item,)——是元组，要有逗号；"
            "args=(item) 就只是字符串本身，它的每个字母都会变成一个参数。options 字典通过 "
            f"kwargs=options 传入。{_stderr(outcome)}{P1_ZH}",
        )
    pids = [p.pid for p in peers]
    wrong = [p for p in peers if _data(p).get("greeting") != seen.greeting]
    check(
        not wrong,
        en=f"the target got greeting={_data(wrong[0]).get('greeting') if wrong else None!r}, not "
        f"{seen.greeting!r}: pass the options dict unchanged as kwargs=options {P1_EN}.",
        zh=f"target 收到的 greeting 不是 {seen.greeting!r}：要把 options 字典原样作为 "
        f"kwargs=options 传进去{P1_ZH}。",
    )
    check(
        len(set(pids)) == len(pids),
        en=f"the items ran in only {len(set(pids))} process(es) for {len(pids)} items: one "
        f"Process per item {P1_EN}.",
        zh=f"{len(pids)} 个元素只用了 {len(set(pids))} 个进程：每个元素一个 Process{P1_ZH}。",
    )


@pytest.mark.points(3)
def test_each_item_runs_in_a_child_of_its_own(student):
    _check_children(_watch_all(student))


@pytest.mark.points(2)
def test_the_children_run_at_the_same_time(student):
    seen = _watch_all(student)
    _check_children(seen)
    count = len(seen.items)
    check(
        seen.at_once == count,
        en=f"the judge held every child until all {count} were running, and saw at most "
        f"{seen.at_once} alive at once (it waited {BARRIER_S:g} s). Each child waited for "
        "the judge while the next one was never started: start every process first, then "
        f"join them all, in a second loop. start() then join() in one loop runs them one "
        f"after the other {P1_EN}.",
        zh=f"评测程序让每个子进程都等着，直到 {count} 个都跑起来，可同一时刻最多只看到 "
        f"{seen.at_once} 个（等了 {BARRIER_S:g} 秒）。前一个子进程在等，下一个却一直没有启动："
        "要先把所有进程都 start()，再用第二个循环逐个 join()。在同一个循环里 start() 之后马上 "
        f"join()，进程就只能一个接一个地运行{P1_ZH}。",
    )


def _triples(value: object, count: int) -> list[tuple[object, ...]] | None:
    if not isinstance(value, (list, tuple)) or len(value) != count:
        return None
    rows = [tuple(row) for row in value if isinstance(row, (list, tuple)) and len(row) == 3]
    return rows if len(rows) == count else None


def _value_of(seen: AllSeen) -> list[tuple[object, ...]]:
    outcome = seen.outcome
    assert outcome is not None
    value = outcome.value_or_raise()
    rows = _triples(value, len(seen.items))
    if rows is None:
        fail(
            en=f"run_all returned {value!r}: return one (name, pid, exitcode) tuple per item, "
            f"in the order of items {P1_EN}.",
            zh=f"run_all 返回了 {value!r}：要为每个元素返回一个 (name, pid, exitcode) 元组，"
            f"顺序与 items 相同{P1_ZH}。",
        )
    return rows  # type: ignore[return-value]


@pytest.mark.points(2)
def test_names_and_pids_are_reported(student):
    seen = _watch_all(student, 4)
    _check_children(seen)
    rows = _value_of(seen)
    for index, item in enumerate(seen.items):
        name = f"{seen.prefix}-{index}"
        peer = seen.workers[item]
        check(
            _data(peer).get("name") == name,
            en=f"the child that ran item {item!r} was named {_data(peer).get('name')!r} "
            f"(multiprocessing.current_process().name in the child), not {name!r}: "
            f"Process(..., name=f'{{prefix}}-{{index}}') {P1_EN}.",
            zh=f"运行元素 {item!r} 的子进程名字是 {_data(peer).get('name')!r}（子进程里 "
            f"multiprocessing.current_process().name 的值），而不是 {name!r}："
            f"Process(..., name=f'{{prefix}}-{{index}}'){P1_ZH}。",
        )
        got_name, got_pid, _ = rows[index]
        check(
            got_name == name and got_pid == peer.pid,
            en=f"entry {index} of the result is ({got_name!r}, {got_pid!r}, ...); the kernel "
            f"says item {item!r} ran in pid {peer.pid}, named {name!r}. Report p.name and "
            f"p.pid of each Process, in the order of items {P1_EN}.",
            zh=f"结果的第 {index} 项是 ({got_name!r}, {got_pid!r}, ...)；内核告诉评测程序，元素 "
            f"{item!r} 运行在 pid {peer.pid} 里，名字是 {name!r}。要按 items 的顺序报告每个 "
            f"Process 的 p.name 和 p.pid{P1_ZH}。",
        )


@pytest.mark.points(3)
def test_exit_codes_come_from_the_children(student):
    seen = _watch_all(student, 4)
    _check_children(seen)
    rows = _value_of(seen)
    got = [row[2] for row in rows]
    want = seen.expected()
    check(
        got == want,
        en=f"the exit codes returned were {got}; the judge made the children end with {want} "
        "(it told each one to return or to call sys.exit(code), and sent SIGKILL to one "
        "itself). p.exitcode is None until the child has ended and been joined: read it "
        "after join(). A child killed by signal N has exitcode -N "
        f"{CODES_EN}.",
        zh=f"返回的退出码是 {got}；评测程序让这些子进程以 {want} 结束（它让每个子进程 return 或"
        "调用 sys.exit(code)，还亲自给其中一个发了 SIGKILL）。子进程结束并被 join() 之前，"
        "p.exitcode 一直是 None：要在 join() 之后再读。被信号 N 杀死的子进程，exitcode 是 -N"
        f"{CODES_ZH}。",
    )


@pytest.mark.points(1)
def test_every_child_is_joined(student):
    seen = _watch_all(student)
    _check_children(seen)
    outcome = seen.outcome
    assert outcome is not None
    if seen.gate is None:
        raise outcome.as_problem()
    left = seen.gate.children
    check(
        not left,
        en=f"when run_all returned, the caller still had these children: "
        f"{probe.describe_all(left)}. A child that has ended stays a zombie until it is "
        f"joined, and one still running outlives the call: join() every process {P1_EN}.",
        zh=f"run_all 返回时，调用者还有这些子进程：{probe.describe_all(left)}。已经结束的子进程"
        f"在被 join() 之前一直是僵尸，还在运行的则比函数活得更久：每个进程都要 join(){P1_ZH}。",
    )


# -- Part 2 ------------------------------------------------------------------------------------


@dataclass
class TimeoutSeen:
    caller: int
    hold: bool
    code: int
    child: channel.Peer | None = None
    others: list[channel.Peer] = field(default_factory=list)
    terms: list[channel.Peer] = field(default_factory=list)  # "dying of SIGTERM now", any pid
    let_go: float | None = None
    gate: Gate | None = None
    child_ended_at_gate: bool = False
    outcome: Outcome | None = None


def _watch_timeout(student, hold: bool) -> TimeoutSeen:
    timeout = HOLD_TIMEOUT if hold else QUICK_TIMEOUT
    with channel.Channel("06") as judge:
        label = f"run_with_timeout(target, {timeout})"
        running: Running = student.options(label=label).start_scenario(
            _timeout_scenario, judge.address, timeout
        )
        seen = TimeoutSeen(running.pid, hold, random.randint(2, 9))
        give_up = judge.began + RUN_S
        while time.monotonic() < give_up and seen.gate is None:
            finished = running.finished()
            for said in judge.new_lines():
                peer = said.peer
                gate = _gate(said, seen.caller)
                if gate is not None:
                    seen.gate = gate
                    # its end, if it came before the caller's "done", was read in this poll
                    seen.child_ended_at_gate = seen.child is None or seen.child.ended
                elif _data(peer).get("term"):
                    seen.terms.append(peer)  # the kernel names who dies of SIGTERM: peer.pid
                    peer.answer("ok")
                elif _data(peer).get("held") and seen.child is None:
                    seen.child = peer
                    if hold:  # never answered: the child would wait for ever
                        give_up = min(give_up, time.monotonic() + HOLD_TIMEOUT + GIVE_UP_S)
                    else:
                        peer.answer(f"exit {seen.code}")
                        seen.let_go = judge.now()
                        give_up = min(give_up, time.monotonic() + QUICK_S)
                else:
                    seen.others.append(peer)
                    peer.answer(f"exit {seen.code}")
            if finished:
                break
        if seen.gate is None and not running.finished():
            seen.outcome = running.time_out() if hold else running.stop(grace=0.5)
        else:
            seen.outcome = _stop(running, seen.gate is not None)
        return seen


def _check_timeout_child(seen: TimeoutSeen) -> None:
    outcome = seen.outcome
    assert outcome is not None
    _problem_first(outcome)
    child = seen.child
    if child is None:
        if not outcome.returned:
            raise outcome.as_problem()
        fail(
            en=f"the target never ran: run_with_timeout returned {outcome.value!r} without "
            f"starting it in a Process {P2_EN}.",
            zh=f"target 根本没有运行：run_with_timeout 没有用 Process 启动它，就返回了 "
            f"{outcome.value!r}{P2_ZH}。",
        )
    if child.pid == seen.caller or child.row is None or child.row.ppid != seen.caller:
        fail(
            en=f"the target ran in pid {child.pid}, which is "
            f"{'the caller itself' if child.pid == seen.caller else 'not a child of the caller'}"
            f" (pid {seen.caller}): start it with Process(target=target).start() {P2_EN}.",
            zh=f"target 运行在 pid {child.pid} 里，"
            f"{'这就是调用者自己' if child.pid == seen.caller else '它不是调用者的子进程'}"
            f"（调用者 pid {seen.caller}）：要用 Process(target=target).start() 启动它{P2_ZH}。",
        )


@pytest.mark.points(3)
def test_join_gives_up_after_the_timeout(student):
    seen = _watch_timeout(student, hold=True)
    _check_timeout_child(seen)
    outcome = seen.outcome
    assert outcome is not None
    if seen.gate is None:
        if outcome.returned or outcome.error is not None:
            raise outcome.as_problem()
        fail(
            en=f"the judge never let the child end, and run_with_timeout(target, "
            f"{HOLD_TIMEOUT}) had not returned {GIVE_UP_S:g} s after its timeout. join() "
            "without a timeout waits for ever for a child that never ends: call "
            "p.join(timeout), then ask p.is_alive(), and if it is, p.terminate() and p.join() "
            f"{P2_EN}.{outcome.where()}",
            zh=f"评测程序一直不让子进程结束，而 run_with_timeout(target, {HOLD_TIMEOUT}) 在超时"
            f"之后又过了 {GIVE_UP_S:g} 秒还没有返回。不带超时的 join() 会为一个永不结束的子进程"
            "一直等下去：要调用 p.join(timeout)，然后用 p.is_alive() 判断，如果还活着，就 "
            f"p.terminate() 再 p.join(){P2_ZH}。{outcome.where('zh')}",
        )
    value = outcome.value_or_raise()
    left = seen.gate.children
    check(
        not left and seen.child_ended_at_gate,
        en=f"when run_with_timeout returned, the child the judge held was "
        f"{'still there: ' + probe.describe_all(left) if left else 'still connected'}. "
        "After join(timeout) it is still running: end it with p.terminate() (SIGTERM), then "
        "p.join() to wait until it has ended and reap it: terminate() only sends the signal, "
        f"and this child takes {DYING_S:g} s to clean up before it dies {P2_EN}.",
        zh=f"run_with_timeout 返回时，被评测程序拦住的子进程"
        f"{'还在：' + probe.describe_all(left) if left else '还连着'}。join(timeout) 之后它"
        f"仍在运行：要用 p.terminate()（SIGTERM）结束它，再用 p.join() 等它真正结束并回收它："
        f"terminate() 只负责发信号，而这个子进程死前要花 {DYING_S:g} 秒做清理{P2_ZH}。",
    )
    child = seen.child
    assert child is not None
    check(
        any(p.pid == child.pid for p in seen.terms),
        en=f"the child the judge held (pid {child.pid}) did not die of SIGTERM: when SIGTERM "
        f"comes it cleans up for {DYING_S:g} s, tells the judge, and dies of the signal, and "
        "it never told the judge. Something else ended it first: SIGKILL, which p.kill() "
        "sends and no process can catch. End a child that outlived its timeout with "
        "p.terminate() (SIGTERM), not p.kill(), then p.join(); the exit code is then -15, "
        f"read from p.exitcode after the join, never written by hand {P2_EN} {CODES_EN}.",
        zh=f"被评测程序拦住的子进程（pid {child.pid}）并不是因 SIGTERM 而死的：它收到 SIGTERM 后"
        f"会先花 {DYING_S:g} 秒做清理，告诉评测程序一声，再死于这个信号，可它始终没有告诉评测"
        "程序。在那之前，别的东西已经结束了它：SIGKILL，也就是 p.kill() 发出的信号，任何进程"
        "都无法捕获它。超时之后还活着的子进程，要用 p.terminate()（SIGTERM）结束，而不是 "
        "p.kill()，然后 p.join()；这时退出码是 -15，要在 join() 之后从 p.exitcode 读出来，"
        f"绝不能自己写死{P2_ZH}{CODES_ZH}。",
    )
    want = [True, -signal.SIGTERM]
    check(
        isinstance(value, (list, tuple)) and list(value) == want,
        en=f"run_with_timeout returned {value!r}; the child was still running at the timeout "
        f"and was ended by SIGTERM: (True, -15). timed_out is p.is_alive() right after "
        f"join(timeout); exitcode is read after terminate() and join() {P2_EN} {CODES_EN}.",
        zh=f"run_with_timeout 返回了 {value!r}；超时的时候子进程还在运行，之后被 SIGTERM 结束："
        "应当是 (True, -15)。timed_out 就是 join(timeout) 之后马上调用 p.is_alive() 的结果；"
        f"exitcode 要在 terminate() 和 join() 之后再读{P2_ZH}{CODES_ZH}。",
    )


@pytest.mark.points(2)
def test_a_quick_child_is_joined_at_once(student):
    seen = _watch_timeout(student, hold=False)
    _check_timeout_child(seen)
    outcome = seen.outcome
    assert outcome is not None
    if seen.gate is None:
        if outcome.returned or outcome.error is not None:
            raise outcome.as_problem()
        fail(
            en=f"the judge let the child end at once, and run_with_timeout(target, "
            f"{QUICK_TIMEOUT:g}) had still not returned {QUICK_S:g} s later. join(timeout) "
            "returns as soon as the child ends: the timeout is the longest it waits, not a "
            f"time to sleep {P2_EN}.",
            zh=f"评测程序马上就让子进程结束了，可 run_with_timeout(target, {QUICK_TIMEOUT:g}) "
            f"过了 {QUICK_S:g} 秒还没有返回。子进程一结束，join(timeout) 就会返回：timeout 是"
            f"最长等待时间，不是要睡满的时间{P2_ZH}。",
        )
    value = outcome.value_or_raise()
    want = [False, seen.code]
    check(
        isinstance(value, (list, tuple)) and list(value) == want,
        en=f"run_with_timeout returned {value!r}; the child ended by itself with "
        f"sys.exit({seen.code}) well before the timeout: (False, {seen.code}). Read "
        f"p.is_alive() and p.exitcode after join(timeout) {P2_EN} {CODES_EN}.",
        zh=f"run_with_timeout 返回了 {value!r}；子进程远在超时之前就自己以 sys.exit({seen.code}) "
        f"结束了：应当是 (False, {seen.code})。要在 join(timeout) 之后再读 p.is_alive() 和 "
        f"p.exitcode{P2_ZH}{CODES_ZH}。",
    )
    check(
        not seen.gate.children,
        en=f"when run_with_timeout returned, the caller still had these children: "
        f"{probe.describe_all(seen.gate.children)}: join the process {P2_EN}.",
        zh=f"run_with_timeout 返回时，调用者还有这些子进程："
        f"{probe.describe_all(seen.gate.children)}：要 join() 这个进程{P2_ZH}。",
    )


# -- Part 3 ------------------------------------------------------------------------------------


@dataclass
class CountdownSeen:
    caller: int
    plan: list[list[object]]
    reports: dict[int, list[channel.Peer]] = field(default_factory=dict)  # pid -> its reports
    gate: Gate | None = None
    outcome: Outcome | None = None


def _watch_countdown(student) -> CountdownSeen:
    first, second = random.sample(range(3, 7), 2)
    plan: list[list[object]] = [
        [first, f"count-{secrets.token_hex(2)}"],
        [second, f"count-{secrets.token_hex(2)}"],
    ]
    with channel.Channel("06") as judge:
        running = student.options(label="Countdown(start_at, report, name)").start_scenario(
            _countdown_scenario, judge.address, plan
        )
        seen = CountdownSeen(running.pid, plan)
        end = judge.began + RUN_S
        while time.monotonic() < end and seen.gate is None:
            finished = running.finished()
            for said in judge.new_lines():
                gate = _gate(said, seen.caller)
                if gate is not None:
                    seen.gate = gate
                    continue
                seen.reports.setdefault(said.peer.pid, []).append(said.peer)
                said.peer.answer("ok")
            if finished:
                break
        seen.outcome = _stop(running, seen.gate is not None)
        return seen


def _check_countdowns(seen: CountdownSeen) -> dict[str, int]:
    """Each Countdown counted down in a child of its own; {name: pid}."""
    outcome = seen.outcome
    assert outcome is not None
    _problem_first(outcome)
    if seen.caller in seen.reports:
        fail(
            en=f"report() was called from the caller itself (pid {seen.caller}): the countdown "
            "ran in the process that called start(), not in a new one. Override run() and "
            "leave start() alone: Process.start() makes the child and calls run() there; a "
            f"start() of your own that calls self.run() makes no process at all {P3_EN}.",
            zh=f"report() 是在调用者自己（pid {seen.caller}）里被调用的：倒计时运行在调用 start() "
            "的那个进程里，而不是新进程里。要重写 run()，不要动 start()：Process.start() 会创建"
            "子进程并在子进程里调用 run()；自己写一个调用 self.run() 的 start()，根本不会创建"
            f"进程{P3_ZH}。",
        )
    if outcome.error is not None and not seen.reports:
        hint_en = hint_zh = ""
        if outcome.error.type == "AttributeError":
            hint_en = (
                " An AttributeError from start() or name means Process.__init__ never ran: "
                "call super().__init__(name=name) first in your __init__."
            )
            hint_zh = (
                "start() 或 name 抛出 AttributeError，说明 Process.__init__ 根本没有执行："
                "要在你的 __init__ 里先调用 super().__init__(name=name)。"
            )
        problem = outcome.as_problem()
        fail(
            en=f"{problem.teaching.en}\n{hint_en.strip()} {P3_EN}",
            zh=f"{problem.teaching.zh}\n{hint_zh}{P3_ZH}",
        )
    pids: dict[str, int] = {}
    for start_at, name in seen.plan:
        want = list(range(int(start_at), 0, -1))  # type: ignore[call-overload]
        found = [pid for pid, peers in seen.reports.items() if _data(peers[0]).get("name") == name]
        if not found:
            got = {pid: _data(peers[0]).get("name") for pid, peers in seen.reports.items()}
            fail(
                en=f"no process named {name!r} called report() (the judge heard from: {got}). "
                f"Countdown({start_at}, report, name={name!r}) must be a process of that name: "
                f"pass the name on, super().__init__(name=name) {P3_EN}.",
                zh=f"没有名为 {name!r} 的进程调用过 report()（评测程序收到的：{got}）。"
                f"Countdown({start_at}, report, name={name!r}) 应当是一个叫这个名字的进程："
                f"把名字传下去，super().__init__(name=name){P3_ZH}。",
            )
        pid = found[0]
        peers = seen.reports[pid]
        row = peers[0].row
        numbers = [_data(p).get("n") for p in peers]
        check(
            row is not None and row.ppid == seen.caller,
            en=f"Countdown {name!r} ran in pid {pid}, which is not a child of the process that "
            f"called start() (pid {seen.caller}) {P3_EN}.",
            zh=f"Countdown {name!r} 运行在 pid {pid} 里，它不是调用 start() 的进程（pid "
            f"{seen.caller}）的子进程{P3_ZH}。",
        )
        check(
            numbers == want,
            en=f"Countdown({start_at}, ...) called report with {numbers}, not {want}: in run(), "
            f"report(n) for n = start_at down to 1 {P3_EN}.",
            zh=f"Countdown({start_at}, ...) 调用 report 的参数依次是 {numbers}，而不是 {want}："
            f"在 run() 里，n 从 start_at 数到 1，每个都调用 report(n){P3_ZH}。",
        )
        pids[name] = pid  # type: ignore[index]
    check(
        len(set(pids.values())) == len(pids),
        en=f"both Countdowns ran in the same process ({pids}): each object is a process of its "
        f"own {P3_EN}.",
        zh=f"两个 Countdown 运行在同一个进程里（{pids}）：每个对象都是一个独立的进程{P3_ZH}。",
    )
    return pids


@pytest.mark.points(3)
def test_countdown_runs_in_a_child(student):
    _check_countdowns(_watch_countdown(student))


@pytest.mark.points(2)
def test_countdown_is_a_real_process(student):
    seen = _watch_countdown(student)
    pids = _check_countdowns(seen)
    outcome = seen.outcome
    assert outcome is not None
    value = outcome.value_or_raise()
    rows = value if isinstance(value, (list, tuple)) else []
    for (_, name), row in zip(seen.plan, rows, strict=False):
        want = [name, pids[str(name)], 0, False]
        check(
            list(row) == want,
            en=f"after start() and join(), the Countdown object says [name, pid, exitcode, "
            f"is_alive()] = {list(row)}; the judge saw {want}. These come from Process itself: "
            f"do not override name, pid, start() or join() {P3_EN}.",
            zh=f"start() 和 join() 之后，Countdown 对象给出的 [name, pid, exitcode, is_alive()] "
            f"是 {list(row)}；评测程序看到的是 {want}。这些都由 Process 自己提供：不要重写 "
            f"name、pid、start() 或 join(){P3_ZH}。",
        )
    if seen.gate is not None:
        check(
            not seen.gate.children,
            en=f"after join(), the caller still had children: "
            f"{probe.describe_all(seen.gate.children)} {P3_EN}.",
            zh=f"join() 之后调用者还有子进程：{probe.describe_all(seen.gate.children)}{P3_ZH}。",
        )


# -- Part 4 ------------------------------------------------------------------------------------


@dataclass
class MainSeen:
    sandbox: int
    daemon: channel.Peer | None = None
    daemon_flag: bool = False  # the heartbeat's Process was a daemon (it said so as it began)
    daemon_terms: list[channel.Peer] = field(default_factory=list)  # "dying of SIGTERM now"
    worker: channel.Peer | None = None
    returned: channel.Peer | None = None  # the main program's own "main() returned"
    pretenders: list[channel.Peer] = field(default_factory=list)  # "returned" from another pid
    beside: bool = False  # the daemon was connected when the judge let the worker go
    worker_at_return: bool = False  # the worker had connected when main() returned
    worker_row_at_return: probe.Proc | None = None
    daemon_alive_at_return: bool = False
    program: int | None = None  # the main program's pid
    program_ended: bool = False
    daemon_after: probe.Proc | None = None  # the daemon's row once the program had ended
    outcome: Outcome | None = None


def _watch_main(student) -> MainSeen:
    with channel.Channel("06") as judge:
        running = student.options(label="main(heartbeat, work)").start_scenario(
            _main_scenario, judge.address
        )
        seen = MainSeen(running.pid)
        end = judge.began + RUN_S
        released = False
        while time.monotonic() < end:
            finished = running.finished()
            if seen.program is None:  # the fresh interpreter the scenario started
                kids = probe.children(seen.sandbox)
                seen.program = kids[0].pid if kids else None
            for said in judge.new_lines():
                peer, line = said.peer, said.text
                if line in ("daemon 1", "daemon 0") and seen.daemon is None:
                    seen.daemon = peer
                    seen.daemon_flag = line == "daemon 1"
                elif line == "daemon term":
                    seen.daemon_terms.append(peer)  # the kernel names who dies: peer.pid
                    peer.answer("ok")
                    continue
                elif line == "work" and seen.worker is None:
                    seen.worker = peer
                elif line == "returned" and seen.returned is None and peer.pid != seen.program:
                    seen.pretenders.append(peer)  # only the main program itself returns main()
                    peer.answer("ok")
                    continue
                elif line == "returned" and seen.returned is None:
                    seen.returned = peer
                    if seen.worker is not None:
                        seen.worker_at_return = True
                        seen.worker_row_at_return = probe.read(seen.worker.pid)
                    seen.daemon_alive_at_return = (
                        seen.daemon is not None
                        and not seen.daemon.ended
                        and probe.alive(seen.daemon.pid)
                    )
                    peer.answer("ok")
                    end = min(end, time.monotonic() + END_S)
                    continue
                else:
                    continue
                end = min(end, time.monotonic() + PAIR_S + END_S)  # every step is quick
            waited = seen.worker is not None and judge.now() - seen.worker.at > PAIR_S
            if seen.worker is not None and not released and (seen.daemon or waited):
                seen.beside = seen.daemon is not None and not seen.daemon.ended
                seen.worker.answer("ok")
                released = True
            if seen.program is not None:
                row = probe.read(seen.program)
                seen.program_ended = row is None or row.zombie
            if seen.program_ended or finished:
                if seen.daemon is not None:
                    row = probe.read(seen.daemon.pid)
                    seen.daemon_after = row if row is not None and not row.zombie else None
                break
        seen.outcome = _stop(running, seen.program_ended)
        return seen


def _check_main_started(seen: MainSeen, role: str) -> channel.Peer:
    outcome = seen.outcome
    assert outcome is not None
    _problem_first(outcome)
    peer = seen.daemon if role == "daemon" else seen.worker
    target = "heartbeat" if role == "daemon" else "work"
    if peer is None:
        fail(
            en=f"{target}() never ran: main(heartbeat, work) starts heartbeat in a daemon "
            f"Process and work in a normal one.{_stderr(outcome)} {P4_EN}",
            zh=f"{target}() 根本没有运行：main(heartbeat, work) 要在一个守护进程里运行 heartbeat，"
            f"在一个普通进程里运行 work。{_stderr(outcome)}{P4_ZH}",
        )
    program = seen.program
    if peer.row is None or program is None or peer.pid == program or peer.row.ppid != program:
        fail(
            en=f"{target}() ran in pid {peer.pid}, not in a child of the main program "
            f"(pid {program}): start it with Process(target={target}).start() {P4_EN}.",
            zh=f"{target}() 运行在 pid {peer.pid} 里，而不是主程序（pid {program}）的子进程里："
            f"要用 Process(target={target}).start() 启动它{P4_ZH}。",
        )
    return peer


@pytest.mark.points(3)
def test_the_daemon_ends_with_the_main_program(student):
    seen = _watch_main(student)
    daemon = _check_main_started(seen, "daemon")
    outcome = seen.outcome
    assert outcome is not None
    if seen.returned is not None:
        check(
            seen.daemon_alive_at_return,
            en=f"the daemon (pid {daemon.pid}) had already ended when main() returned. Do not "
            "stop it yourself: a daemon runs beside the work and is ended by multiprocessing "
            f"when the main program ends {P4_EN}.",
            zh=f"main() 返回时，守护进程（pid {daemon.pid}）已经结束了。不要自己去结束它：守护进程"
            f"在工作期间一直陪着运行，主程序结束时由 multiprocessing 负责结束它{P4_ZH}。",
        )
    if not seen.program_ended:
        fail(
            en=f"main() {'returned' if seen.returned else 'was done with the work'}, but the "
            f"main program (pid {seen.program}) had not ended {END_S:g} s later. At exit, "
            "multiprocessing waits for every child that is not a daemon, and heartbeat never "
            "ends by itself: set p.daemon = True BEFORE p.start() (after start() it raises "
            "AssertionError), and never join() the daemon."
            f"{_stderr(outcome)} {P4_EN}",
            zh=f"main() {'已经返回' if seen.returned else '的工作已经完成'}，可主程序（pid "
            f"{seen.program}）过了 {END_S:g} 秒还没有结束。程序退出时，multiprocessing 会等待每一个"
            "非守护子进程，而 heartbeat 自己永远不会结束：要在 p.start() 之前设置 "
            "p.daemon = True（start() 之后再设置会抛出 AssertionError），并且不要 join() 守护进程。"
            f"{_stderr(outcome)}{P4_ZH}",
        )
    check(
        seen.daemon_after is None,
        en=f"the main program ended, and the daemon (pid {daemon.pid}) was still running "
        f"({seen.daemon_after.describe() if seen.daemon_after else ''}), adopted by another "
        "process. A daemon Process is ended by multiprocessing when the main program ends "
        "normally; a program that leaves with os._exit() skips that, and its children "
        f"live on as orphans {P4_EN}.",
        zh=f"主程序结束了，守护进程（pid {daemon.pid}）却还在运行"
        f"（{seen.daemon_after.describe() if seen.daemon_after else ''}），被别的进程收养了。"
        "主程序正常结束时，multiprocessing 会结束守护进程；用 os._exit() 离开的程序跳过了"
        f"这一步，它的子进程就成了孤儿，继续活着{P4_ZH}。",
    )
    if seen.returned is None:
        said_en = said_zh = ""
        if seen.pretenders:
            pids = ", ".join(str(p.pid) for p in seen.pretenders)
            said_en = (
                f' The judge heard "main() returned" from pid {pids}, which is not the main '
                f"program (pid {seen.program}): the kernel names who connects, and only the "
                "program says that, after main() has returned."
            )
            said_zh = (
                f"评测程序从 pid {pids} 那里收到了“main() 已返回”，可它并不是主程序（pid "
                f"{seen.program}）：是谁连上来的，内核会告诉评测程序；只有主程序自己会在 main() "
                "返回之后这样说。"
            )
        fail(
            en=f"main() never returned normally, so the judge never saw the daemon (pid "
            f"{daemon.pid}) still running at that moment.{said_en} Do not stop the daemon "
            "yourself, and do not leave the program with os._exit(): return from main(), and "
            f"multiprocessing ends the daemon as the program ends.{_stderr(outcome)} {P4_EN}",
            zh=f"main() 没有正常返回，所以评测程序没能看到守护进程（pid {daemon.pid}）在那一刻"
            f"还在运行。{said_zh}不要自己去结束守护进程，也不要用 os._exit() 离开程序：从 "
            f"main() 返回，程序结束时 multiprocessing 会结束守护进程。{_stderr(outcome)}{P4_ZH}",
        )
    check(
        seen.daemon_flag,
        en=f"heartbeat() ran in pid {daemon.pid}, a normal process, not a daemon: in it, "
        "multiprocessing.current_process().daemon was False. Set p.daemon = True (or "
        "Process(target=heartbeat, daemon=True)) BEFORE p.start(), and do not stop it "
        "yourself (no kill(), terminate() or atexit hook of yours): multiprocessing ends a "
        f"daemon when the main program ends {P4_EN}.",
        zh=f"heartbeat() 运行在 pid {daemon.pid} 里，那是一个普通进程，不是守护进程：在它里面，"
        "multiprocessing.current_process().daemon 是 False。要在 p.start() 之前设置 "
        "p.daemon = True（或者 Process(target=heartbeat, daemon=True)），也不要自己去结束它"
        "（不要 kill()、terminate()，也不要自己注册 atexit 钩子）：主程序结束时，"
        f"multiprocessing 会结束守护进程{P4_ZH}。",
    )
    check(
        any(p.pid == daemon.pid for p in seen.daemon_terms),
        en=f"the daemon (pid {daemon.pid}) ended with the main program, but not of SIGTERM: "
        "when the program ends, multiprocessing ends every daemon with terminate(), which "
        "sends SIGTERM, and the heartbeat tells the judge when SIGTERM comes. It never did: "
        "something else killed it first (p.kill(), SIGKILL, an atexit hook of yours). Do not "
        f"stop the daemon yourself {P4_EN}.",
        zh=f"守护进程（pid {daemon.pid}）随主程序一起结束了，但不是死于 SIGTERM：程序结束时，"
        "multiprocessing 会用 terminate() 结束每个守护进程，也就是发送 SIGTERM，而 heartbeat "
        "收到 SIGTERM 时会告诉评测程序。它始终没有说：在那之前，别的东西已经杀死了它（p.kill()、"
        f"SIGKILL、你自己注册的 atexit 钩子）。不要自己去结束守护进程{P4_ZH}。",
    )


@pytest.mark.points(2)
def test_main_waits_for_its_worker(student):
    seen = _watch_main(student)
    worker = _check_main_started(seen, "work")
    outcome = seen.outcome
    assert outcome is not None
    check(
        seen.beside,
        en=f"work() ran (pid {worker.pid}) while no heartbeat was running: start the daemon "
        f"first, then the worker, so that both run at the same time {P4_EN}.",
        zh=f"work() 运行（pid {worker.pid}）的时候没有任何 heartbeat 在运行：先启动守护进程，"
        f"再启动工作进程，让两者同时运行{P4_ZH}。",
    )
    if seen.returned is None:
        if outcome.error is not None:
            raise outcome.as_problem()
        fail(
            en=f"main() never returned normally.{_stderr(outcome)} {P4_EN}",
            zh=f"main() 没有正常返回。{_stderr(outcome)}{P4_ZH}",
        )
    if not seen.worker_at_return:
        fail(
            en="main() returned before work() had even begun (the judge heard from the worker "
            "only afterwards; the program's exit waited for it). join() the worker before "
            f"returning, so that the work is done when main() returns {P4_EN}.",
            zh="main() 返回的时候，work() 甚至还没有开始（评测程序在那之后才收到工作进程的消息，"
            "是程序退出时替你等了它）。返回之前要 join() 工作进程，这样 main() 返回时工作已经"
            f"完成{P4_ZH}。",
        )
    row = seen.worker_row_at_return
    check(
        row is None,
        en=f"main() returned while its worker was {row.describe() if row else ''}: join() "
        "the worker before returning, so that the work is done (and reaped) when main() "
        f"returns {P4_EN}.",
        zh=f"main() 返回的时候，工作进程还处于 {row.describe() if row else ''}：返回之前要 "
        f"join() 工作进程，这样 main() 返回时工作已经完成，进程也已回收{P4_ZH}。",
    )
