"""Spec for exercise 04 — zombie avoidance. Run it with `grader check zombie_avoidance`.

The judge observes; the sandbox only acts. Every student call runs in a sandbox process, the
*caller*, and every verdict rests on what this test process saw of it from outside:

* the judge's channel (Parts 1 and 2): every child of ``reap_all`` asks the judge, right
  after its fork and before the student's code in it runs, how to end; every child of
  ``reap_while_working`` asks it for its go. The judge answers from what it reads itself:
  which child a thread of the caller is blocked waiting for (``/proc/<pid>/task/*/syscall``:
  ``wait4`` or ``waitid``), which children the caller holds (``/proc``), whether the child
  let go before is gone (reaped). So a child ends only while ``reap_all`` waits for it, and
  the endings the judge imposes and the order in which it lets the poller's children go
  stay in this process: no code in the sandbox can read them before the children end. After
  each call the caller asks the judge to look at what is left below it, and waits;
* ``outcome.zombies`` / ``outcome.descendants`` (Part 3): the process table the moment the
  call returned (unreaped children; processes still running below the caller);
* ``outcome.escaped``: orphans re-parented to the judge (a child subreaper) and still running
  when the run ended — a detached grandchild;
* ``outcome.timeline``: every process seen below the caller (and adopted by the judge), with
  its parent and the states it was seen in — read here only for processes that are sure to
  be there at the last sample, the moment the call returned (a zombie kept by a running
  task, an adopted orphan): the periodic samples thin out on a busy machine;
* ``outcome.fell_through``: forked children that left the student's function (returned,
  raised, ``sys.exit``) instead of ending with ``os._exit``;
* and results only real work can produce: exit statuses the judge chose at random and imposed
  on the children itself, children let go in an order drawn at random, one at a time, only
  while the caller holds exactly the children not yet let go and its ``work()`` goes on.

Every call runs through a scenario: a trusted function of this file that runs the student's
function in the sandbox (Parts 2 and 3 take callables; Part 1's children ask the judge).
What a scenario records there (how often ``work()`` ran, what a task saw) only explains a
failure in its message; it never makes a test pass. Nothing waits with a sleep: a sleep is
only the work a child simulates.
"""

from __future__ import annotations

import json
import os
import random
import resource
import select
import signal
import time
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from grader.spec import (
    Msg,
    Outcome,
    Running,
    channel,
    check,
    check_every_child_used_os_exit,
    fail,
    probe,
    syscalls,
)

# README references (checked by `grader verify` against the headings of both READMEs).
EXIT_EN = "(README: 'End every child with `os._exit`')"
EXIT_ZH = "（README.zh-CN:「每个子进程都用 `os._exit` 结束」）"
P1_EN = "(README: 'Part 1 — reap every child')"
P1_ZH = "（README.zh-CN:「第一部分：回收每一个子进程」）"
P2_EN = "(README: 'Part 2 — a poller that keeps working')"
P2_ZH = "（README.zh-CN:「第二部分：一边干活一边回收」）"
P3_EN = "(README: 'Part 3 — the double fork')"
P3_ZH = "（README.zh-CN:「第三部分：二级子进程」）"
RAISE_EN = "(README: 'A task that raises')"
RAISE_ZH = "（README.zh-CN:「任务抛出异常时」）"
STATUS_EN = "(README: 'Exit codes and wait statuses')"
STATUS_ZH = "（README.zh-CN:「退出码与等待状态」）"


class TaskFailed(Exception):
    """What the judge's failing tasks raise."""


def _check_os_exit(outcome: Outcome, en_where: str, zh_where: str) -> None:
    """No forked child may come back out of the student's function into the caller's code."""
    see = Msg(f" {EXIT_EN}{en_where}", f"{EXIT_ZH}{zh_where}")
    check_every_child_used_os_exit(outcome.fell_through, see)


# -- Part 1: reap every child -----------------------------------------------------------------

CODES = [0, 1, 2, 7, 255]
AGAIN = [6, 6, 0]  # a second call in the same process: only its own children count
SIGNALLED = [3, -signal.SIGKILL, 0, -signal.SIGTERM, -signal.SIGUSR1]
REAPED = [0, 3, 0, 255, -signal.SIGKILL, 1]
IMPOSED = [0, 1, 2, 3, 4]  # the codes asked for while the judge imposes other endings
PROOF = [9, 8]  # every test of Part 1 ends with this call, whose endings the judge imposes
IMPOSED_SIGNALS = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGALRM, signal.SIGTERM)
RUN_S = 11.0  # the most one scenario of Part 1 may take (the test's own deadline is 15 s)
STALL_S = 4.0  # a child held this long while the caller waited for none of them: stuck
HOLD_S = 8.0  # how long a child waits for the judge's word before it gives up ...
GAVE_UP = 99  # ... and ends with this code
_TALK = channel.talk  # taken before the student's module is imported into the sandbox

# How a thread that waits for a child shows in its syscall file (Linux <sys/wait.h>).
_WNOHANG, _WEXITED, _WNOWAIT = 1, 4, 0x01000000
_P_ALL, _P_PID, _P_PGID, _P_PIDFD = 0, 1, 2, 3
_ANY = -1  # "waits for any child" (wait4(-1), wait4(0), waitid(P_ALL) ...)


def _code_name(code: int, lang: str = "en") -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"被 {name} 杀死" if lang == "zh" else f"killed by {name}"
    return f"以 {code} 退出" if lang == "zh" else f"exit {code}"


def _reap_scenario(module: ModuleType, runs: list[list[int]], address: str) -> list[object] | None:
    """Scenario: ``reap_all(codes)`` for each run, in one process, every child held by the judge.

    Right after its fork, before the student's code in it runs, each child of the caller asks
    the judge how to end: ``own`` (the student's code in the child runs), or an ending the
    judge imposes (an exit code, or minus a signal). Nothing in this process knows the
    answers, and the judge gives one only while the caller waits for that child (see
    :func:`_next_to_end`). After each call the caller asks the judge to look at what is left
    below it, and waits for the look.
    """
    caller = os.getpid()
    state = {"run": -1}

    def in_child() -> None:
        run = state["run"]
        if os.getppid() != caller or run < 0:
            return  # not a child of reap_all (a grandchild, or a fork between the calls)
        try:
            answer = _TALK(address, f"ending {run}", HOLD_S)
        except OSError:  # the judge did not answer in time, or is gone
            answer = ""
        if answer == "own":
            return
        try:
            ending = int(answer)
        except ValueError:
            os._exit(GAVE_UP)
        if ending < 0:
            os.kill(os.getpid(), -ending)
        os._exit(ending if ending >= 0 else 1)

    os.register_at_fork(after_in_child=in_child)
    results: list[object] = []
    for run, codes in enumerate(runs):
        state["run"] = run
        result = module.reap_all(list(codes))
        if os.getpid() != caller:
            return None  # a child came back out of reap_all: the sandbox reports it
        state["run"] = -1
        results.append(result)
        _TALK(address, f"returned {run}", RUN_S)
    return results


def _imposed_ending(rng: random.Random, signalled: bool) -> int:
    """An ending the judge imposes: an exit code in 100..254, or minus a signal."""
    return -int(rng.choice(IMPOSED_SIGNALS)) if signalled else rng.randrange(100, 255)


def _children(pid: int) -> list[probe.Proc]:
    """The children of ``pid`` now, zombies included (its own /proc entries: cheap)."""
    rows = (probe.read(child) for child in probe.child_pids(pid))
    return [row for row in rows if row is not None and row.ppid == pid]


def _signed(value: int) -> int:
    """A 32-bit argument (a pid, an id) as the syscall file shows it: unsigned, 64 bits."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _pidfd_pid(caller: int, fd: int) -> int | None:
    """The process a pidfd of ``caller`` refers to (its fdinfo's ``Pid:``)."""
    try:
        with probe.owner_rights(caller), open(f"/proc/{caller}/fdinfo/{fd}") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _waits_for(caller: int, call: syscalls.Call) -> int | None:
    """The child a thread blocked in ``call`` waits to reap: a pid, _ANY, or None (no such
    wait: not a wait call, WNOHANG, or waitid with WNOWAIT, which leaves the child a zombie)."""
    if call.name == "wait4" and not call.args[2] & _WNOHANG:
        pid = _signed(call.args[0])
        return pid if pid > 0 else _ANY
    if call.name == "waitid":
        kind, ident, options = call.args[0], _signed(call.args[1]), call.args[3]
        if not options & _WEXITED or options & (_WNOHANG | _WNOWAIT):
            return None
        if kind == _P_PID:
            return ident
        if kind == _P_PIDFD:
            return _pidfd_pid(caller, ident)
        if kind in (_P_ALL, _P_PGID):
            return _ANY
    return None


def _sigchld_ignored(pid: int) -> bool:
    return probe.disposition(pid, signal.SIGCHLD) == "ignored"


def _youngest(held: dict[int, channel.Peer]) -> int:
    """The held child forked last (its start time, then its pid)."""
    return max(held, key=lambda pid: (held[pid].row.start if held[pid].row else 0, pid))


def _there(child: probe.Proc | None, running: bool = False) -> bool:
    """``child`` (a row read before) is still in the process table (and running code)."""
    if child is None:
        return False
    now = probe.read(child.pid)
    if now is None or now.start != child.start:
        return False  # gone, or its pid taken by another process
    return now.running_code if running else True


def _next_to_end(caller: int, held: dict[int, channel.Peer], last: probe.Proc | None) -> int | None:
    """The held child the judge lets end now, or None. Raises syscalls.Hidden.

    The judge reads what the caller's threads are blocked in (/proc/<pid>/task/*/syscall).
    It lets a child go only while a thread of the caller waits to reap it: in wait4 or
    waitid for that pid, or for any child — then the youngest held child, and only once every
    live child of the caller is held (the forks are over), read twice around the look. And
    only one at a time: the child let go before must be gone from the process table (reaped),
    none may be a zombie, and SIGCHLD must not be ignored (the kernel would reap it, and the
    caller would learn nothing from its wait). So no status reaches the caller but through its
    own wait, and every child is reaped before the next one ends.

    Where the judge cannot read those files (not x86_64 or aarch64, or hidden by the kernel's
    policy) it gives no verdict on how the caller waits: it lets the youngest held child go
    once the forks are over and the one before has ended.
    """
    calls = syscalls.threads(caller)
    kids = _children(caller)
    live = {p.pid for p in kids if not p.zombie}
    if calls is None:
        if _there(last, running=True):
            return None
        return _youngest(held) if live and live <= held.keys() else None
    if _there(last):
        return None
    if any(p.zombie for p in kids) or _sigchld_ignored(caller):
        return None
    any_child = False
    for call in calls:
        target = _waits_for(caller, call)
        if target in held:
            return target
        any_child = any_child or target == _ANY
    if not any_child or not live or not live <= held.keys():
        return None
    again = syscalls.threads(caller)  # still the same waits: no fork happened in between
    if again is None or [c.line for c in again] != [c.line for c in calls]:
        return None
    return _youngest(held)


def _doing(caller: int) -> tuple[str, str]:
    """What the caller's threads are in now, for a message (English, Chinese)."""
    try:
        calls = syscalls.threads(caller) or []
    except syscalls.Hidden:
        calls = []
    en, zh = [], []
    for call in calls:
        if not call.blocked:
            en.append("running (on a CPU: busy, or polling)")
            zh.append("正在运行（占着 CPU：忙循环，或者在轮询）")
        elif call.name == "waitid" and call.args[3] & _WNOWAIT:
            en.append("waitid with WNOWAIT (it waits, but reaps nothing)")
            zh.append("带 WNOWAIT 的 waitid（它会等，但什么也不回收）")
        elif call.name in syscalls.SLEEPS or call.name in syscalls.SELECTS:
            en.append(f"{call.name} (sleeping)")
            zh.append(f"{call.name}（在睡眠）")
        else:
            target = _waits_for(caller, call)
            if target is not None and target != _ANY:
                en.append(f"{call.name} for pid {target}, which is not one of the waiting children")
                zh.append(f"{call.name}，等的是 pid {target}，不是正在等待的子进程之一")
            else:
                en.append(call.name)
                zh.append(call.name)
    if not en:
        return "(nothing the judge could read)", "（评测程序什么也没读到）"
    return "; ".join(dict.fromkeys(en)), "；".join(dict.fromkeys(zh))


@dataclass
class _Reaping:
    """What the judge saw while it served one scenario of Part 1."""

    asked: dict[int, int] = field(default_factory=dict)  # child pid -> its run: it asked
    answered: dict[int, int] = field(default_factory=dict)  # child pid -> its run: let go
    returned: int = 0  # calls of reap_all that returned (and were looked at)
    unwaited: dict[int, list[int]] = field(default_factory=dict)  # run -> children not let go
    left: dict[int, list[probe.Proc]] = field(default_factory=dict)  # run -> below at return
    stalled: list[int] = field(default_factory=list)  # children held STALL_S, nobody waiting
    doing: tuple[str, str] = ("", "")  # what the caller was in, then
    hidden: bool = False  # the caller made itself non-dumpable
    ignored: bool = False  # SIGCHLD ignored in the caller while children were held

    @property
    def trouble(self) -> bool:
        return bool(
            self.stalled or self.hidden or any(self.unwaited.values()) or any(self.left.values())
        )


def _serve_reap_all(
    judge: channel.Channel, running: Running, endings: list[int | None]
) -> _Reaping:
    """Answer the children of each reap_all as :func:`_next_to_end` allows, and look at what
    is below the caller each time a call returns. Ends when the scenario does, at the first
    trouble (the run is then stopped), or after RUN_S."""
    caller = running.pid
    seen = _Reaping()
    held: dict[int, channel.Peer] = {}
    since: dict[int, float] = {}
    last: probe.Proc | None = None
    end = time.monotonic() + RUN_S
    while time.monotonic() < end and not running.finished():
        for said in judge.new_lines():
            peer, words = said.peer, said.text.split()
            if peer.pid == caller and words == ["returned", str(seen.returned)]:
                run = seen.returned
                seen.unwaited[run] = [p for p, r in seen.asked.items() if r == run and p in held]
                seen.left[run] = probe.descendants(caller, probe.subtree([caller]))
                seen.returned += 1
                peer.answer("ok")
                if seen.trouble:
                    return seen
            elif (
                said.first
                and words == ["ending", str(seen.returned)]
                and seen.returned < len(endings)
                and peer.row is not None
                and peer.row.ppid == caller
                and peer.pid not in seen.asked
            ):
                held[peer.pid] = peer
                since[peer.pid] = time.monotonic()
                seen.asked[peer.pid] = seen.returned
        if not held:
            continue
        try:
            pick = _next_to_end(caller, held, last)
        except syscalls.Hidden:
            seen.hidden = True
            return seen
        if pick is None:
            seen.ignored = seen.ignored or _sigchld_ignored(caller)
            if time.monotonic() - min(since.values()) > STALL_S:
                seen.stalled = sorted(held)
                seen.doing = _doing(caller)
                return seen
            continue
        peer = held.pop(pick)
        del since[pick]
        ending = endings[seen.asked[pick]]
        peer.answer("own" if ending is None else str(ending))
        seen.answered[pick] = seen.asked[pick]
        last = peer.row
    return seen


def _reap(student, runs: list[list[int]], endings: list[int | None] | None = None):
    """Run reap_all on each of ``runs`` in one sandbox, then once more on PROOF with an ending
    the judge imposes (unless ``endings`` is given). The judge holds every child and lets it
    end only while reap_all waits for it; the endings it imposes never enter the sandbox
    before the child ends: results nobody can know without waiting."""
    if endings is None:
        runs = [*runs, PROOF]
        endings = [None] * (len(runs) - 1) + [_imposed_ending(random.Random(), False)]
    label = ", then ".join(f"reap_all({codes})" for codes in runs)
    with channel.Channel("04") as judge:
        running = student.options(label=label).start_scenario(_reap_scenario, runs, judge.address)
        seen = _serve_reap_all(judge, running, endings)
        done = running.finished() or seen.trouble
        outcome = running.stop() if done else running.time_out()
    _check_os_exit(outcome, f" {P1_EN}", P1_ZH)
    if outcome.error is not None:
        raise outcome.as_problem()
    _check_waited(seen, runs)
    if outcome.timed_out:
        raise outcome.as_problem()
    results = outcome.value_or_raise()
    check(
        isinstance(results, list) and len(results) == len(runs),
        en=f"{label}: the calls did not all return",
        zh=f"{label}：这几次调用没有都正常返回",
    )
    for codes, ending, got in zip(runs, endings, results, strict=True):
        if ending is not None:
            _check_imposed(codes, ending, got)
    return seen, results


def _check_waited(seen: _Reaping, runs: list[list[int]]) -> None:
    """Every child of every call was let go while the caller waited for it."""
    check(
        not seen.hidden,
        en="the caller made itself non-dumpable (prctl PR_SET_DUMPABLE), so the judge could "
        "not see what it was waiting for, and it lets a child end only while reap_all waits "
        f"for it. Leave the process as it is {P1_EN}.",
        zh="调用者把自己设成了不可转储（prctl PR_SET_DUMPABLE），评测程序因此看不到它在等什么；"
        "而评测程序只在 reap_all 等待某个子进程时才让那个子进程结束。"
        f"不要改动进程的这个属性{P1_ZH}。",
    )
    if seen.stalled:
        run = seen.asked[seen.stalled[0]]
        if seen.ignored:
            why_en = (
                "SIGCHLD was ignored (SIG_IGN): the kernel then reaps every child itself, and "
                "a wait reports nothing. Leave SIGCHLD as it is in reap_all"
            )
            why_zh = (
                "SIGCHLD 被设成了忽略（SIG_IGN）：这时内核会自己回收每个子进程，wait 什么也"
                "报告不了。reap_all 里不要改动 SIGCHLD"
            )
        else:
            why_en = f"each time the judge looked, reap_all was in: {seen.doing[0]}"
            why_zh = f"评测程序每次去看，reap_all 都在：{seen.doing[1]}"
        fail(
            en=f"reap_all({runs[run]}): {len(seen.stalled)} of its children waited "
            f"{STALL_S:g} s to end. In this test a child ends only while its parent waits for "
            "it: the judge holds each child right after its fork, and lets it go on only once "
            "it sees reap_all blocked in os.waitpid(pid, 0) for that child (or in os.wait() "
            f"for any child), and only once the child before it has been reaped. {why_en}. "
            "Fork the children, then call os.waitpid(pid, 0) once for each pid: it blocks "
            f"until that child has ended and reaps it {P1_EN}.",
            zh=f"reap_all({runs[run]})：它有 {len(seen.stalled)} 个子进程等了 {STALL_S:g} 秒"
            "也没能结束。在这个测试里，子进程只有在父进程等待它的时候才能结束：评测程序在每个子"
            "进程 fork 之后立即把它拦住，只有看到 reap_all 阻塞在针对这个子进程的 "
            "os.waitpid(pid, 0) 里（或者阻塞在等待任意子进程的 os.wait() 里），而且前一个子进程"
            f"已经被回收，才放它继续。{why_zh}。先 fork 出子进程，再对每个 pid 调用一次 "
            f"os.waitpid(pid, 0)：它会阻塞到那个子进程结束，并把它回收{P1_ZH}。",
        )
    for run, below in sorted(seen.left.items()):
        _check_nothing_below(runs[run], below, seen.unwaited.get(run, []))


def _check_nothing_below(codes: list[int], below: list[probe.Proc], unwaited: list[int]) -> None:
    """When ``reap_all(codes)`` returned, the judge found ``below`` the caller; ``unwaited``:
    its children that were still waiting for the judge to let them end."""
    zombies = [p for p in below if p.zombie]
    live = [p for p in below if not p.zombie]
    check(
        not zombies,
        en=f"when reap_all({codes}) returned, {len(zombies)} of its children were zombies: "
        f"{probe.describe_all(zombies)}. A child that has ended stays in the process table "
        "(state Z, <defunct>) until its parent collects its status. os.wait() collects "
        "exactly ONE child per call, and a child nobody waits for stays a zombie as long as "
        f"the parent lives. Call os.waitpid(pid, 0) once for every child you forked {P1_EN}.",
        zh=f"reap_all({codes}) 返回时，它有 {len(zombies)} 个子进程是僵尸："
        f"{probe.describe_all(zombies)}。子进程结束以后会一直留在进程表里（状态 Z，"
        "<defunct>），直到父进程取走它的退出状态。每调用一次 os.wait() 只能回收一个子进程，"
        "没人等待的子进程会在父进程活着的时候一直当僵尸。对 fork 出来的每个子进程都调用一次 "
        f"os.waitpid(pid, 0){P1_ZH}。",
    )
    check(
        not live and not unwaited,
        en=f"when reap_all({codes}) returned, these processes were still running below it: "
        f"{probe.describe_all(live) or unwaited}. In this test a child ends only while its "
        "parent waits for it (the judge holds each child right after its fork), so reap_all "
        "never waited for these, and whatever it returned for them did not come from their "
        "wait status. Call os.waitpid(pid, 0) once for every child you forked: it blocks until "
        f"that child has ended (WNOHANG does not wait), and reaps it {P1_EN} {STATUS_EN}.",
        zh=f"reap_all({codes}) 返回时，它下面还有这些进程在运行："
        f"{probe.describe_all(live) or unwaited}。在这个测试里，子进程只有在父进程等待它的时候"
        "才能结束（评测程序在每个子进程 fork 之后立即把它拦住），所以 reap_all 根本没有等过"
        "这几个，它为它们返回的结果也不可能来自它们的等待状态。对 fork 出来的每个子进程都调用"
        "一次 os.waitpid(pid, 0)：它会阻塞到那个子进程结束为止（加了 WNOHANG 就不会等），"
        f"并把它回收{P1_ZH}{STATUS_ZH}。",
    )


def _check_imposed(asked: list[int], ending: int, got: object) -> None:
    """The judge ended every child of ``reap_all(asked)`` itself, with ``ending``."""
    want = [ending] * len(asked)
    if got == asked:
        fail(
            en=f"the judge ended every child of reap_all({asked}) itself, right after the "
            f"fork and before your code in the child ran: each {_code_name(ending)}. "
            f"reap_all returned {got!r}: the codes you were asked for, not what the children "
            f"did. Report how each child really ended, as os.waitpid tells you ({want}); a "
            "child can end otherwise than planned (a crash, a kill from outside) "
            f"{P1_EN} {STATUS_EN}.",
            zh=f"评测程序在 fork 之后、你在子进程里的代码运行之前，亲手结束了 "
            f"reap_all({asked}) 的每一个子进程：每个都{_code_name(ending, 'zh')}。"
            f"reap_all 却返回了 {got!r}：这是传给你的退出码，而不是子进程实际的结局。要报告 "
            f"os.waitpid 告诉你的真实结果（{want}）；子进程完全可能不按计划结束"
            f"（崩溃了，或者被别人杀死）{P1_ZH}{STATUS_ZH}。",
        )
    _check_codes(asked, got, want)


def _check_codes(asked: list[int], got: object, expected: list[int] | None = None) -> None:
    """``reap_all(asked)`` must have returned ``expected`` (default: ``asked``)."""
    want = asked if expected is None else expected
    if got == want:
        return
    head_en = f"reap_all({asked}) returned {got!r}, expected {want}. "
    head_zh = f"reap_all({asked}) 返回了 {got!r}，应当是 {want}。"
    if not isinstance(got, list) or len(got) != len(want) or not all(type(c) is int for c in got):
        fail(
            en=head_en + f"Return a list of ints: one result per child, in the order of `codes` "
            f"{P1_EN}.",
            zh=head_zh + f"要返回一个整数列表：每个子进程一个结果，顺序与 `codes` 相同{P1_ZH}。",
        )
    for code, have in zip(want, got, strict=True):
        if code > 0 and have == code << 8:
            fail(
                en=head_en
                + f"For the child that did os._exit({code}) you returned {have}: that is the raw "
                f"wait status, where the exit code sits in the second byte ({code} << 8 = "
                f"{have}). Decode it: os.waitstatus_to_exitcode(status), or "
                f"os.WEXITSTATUS(status) for a normal exit {STATUS_EN}.",
                zh=head_zh + f"对于执行了 os._exit({code}) 的子进程，你返回的是 {have}：这是原始的"
                f"等待状态，退出码放在第二个字节里（{code} << 8 = {have}）。要先解码："
                f"os.waitstatus_to_exitcode(status)，正常退出时也可以用 os.WEXITSTATUS(status)"
                f"{STATUS_ZH}。",
            )
        if code < 0 and have != code:
            how_en = "the raw wait status" if have in (-code, -code | 0x80) else "not the signal"
            how_zh = "这是原始的等待状态" if have in (-code, -code | 0x80) else "这不是信号编号"
            fail(
                en=head_en + f"The child {_code_name(code)} came back as {have} ({how_en}). A "
                "child ended by a signal has no exit code: os.WIFSIGNALED(status) is true and "
                f"WEXITSTATUS means nothing. Report minus the signal number ({code}), like "
                "subprocess does; os.waitstatus_to_exitcode(status) does exactly that "
                f"{STATUS_EN}.",
                zh=head_zh + f"{_code_name(code, 'zh')}的子进程，你报告成了 {have}（{how_zh}）。"
                "被信号杀死的子进程没有退出码：os.WIFSIGNALED(status) 为真，这时 WEXITSTATUS "
                f"毫无意义。应当报告负的信号编号（{code}），和 subprocess 的约定一样；"
                f"os.waitstatus_to_exitcode(status) 正好就是这么做的{STATUS_ZH}。",
            )
    if sorted(got) == sorted(want):
        fail(
            en=head_en + "The right results in the wrong order. Here, whenever reap_all "
            "waited for any child, the one forked last ended first: result i belongs to the "
            "child forked for codes[i], whichever ends first. Wait for each pid with "
            f"os.waitpid(pid, 0), or remember which pid had which index {P1_EN}.",
            zh=head_zh + "结果都对，但顺序错了。这次只要 reap_all 等待任意一个子进程，"
            "最后 fork 的那个就最先结束："
            "第 i 个结果属于为 codes[i] fork 出来的那个子进程，与谁先结束无关。可以对每个 pid "
            f"依次调用 os.waitpid(pid, 0)，或者记下每个 pid 对应的下标{P1_ZH}。",
        )
    fail(
        en=head_en + "Each result is what os.waitpid reported for that child, decoded "
        f"{P1_EN} {STATUS_EN}.",
        zh=head_zh + f"每个结果都应当是 os.waitpid 对那个子进程报告的状态，解码之后的值"
        f"{P1_ZH}{STATUS_ZH}。",
    )


@pytest.mark.points(3)
def test_exit_codes_are_returned(student):
    runs = [CODES, [], AGAIN]
    _, results = _reap(student, runs)
    for codes, got in zip(runs, results[: len(runs)], strict=True):
        _check_codes(codes, got)


@pytest.mark.points(2)
def test_killed_child_reports_the_signal(student):
    _, results = _reap(student, [SIGNALLED])
    _check_codes(SIGNALLED, results[0])


@pytest.mark.points(2)
def test_results_come_from_the_wait_status(student):
    rng = random.Random()
    endings = [_imposed_ending(rng, False), _imposed_ending(rng, True)]
    _reap(student, [IMPOSED, IMPOSED], endings)


@pytest.mark.points(2)
def test_every_child_is_reaped(student):
    """Each child ends only while reap_all waits for it, and only once the child let go before
    it has been reaped (see _next_to_end); after each call the caller asks the judge to look
    at what is left below it before it goes on (_reap fails zombies and running children
    there, in every test of Part 1)."""
    seen, results = _reap(student, [REAPED])
    check(
        len(seen.answered) >= len(REAPED) + len(PROOF),
        en=f"reap_all({REAPED}) and reap_all({PROOF}) should have forked "
        f"{len(REAPED) + len(PROOF)} children, and the judge let only {len(seen.answered)} "
        f"end: fork one child per code, with os.fork() {P1_EN}.",
        zh=f"reap_all({REAPED}) 和 reap_all({PROOF}) 一共应当 fork {len(REAPED) + len(PROOF)} "
        f"个子进程，评测程序却只放行了 {len(seen.answered)} 个：每个退出码 fork 一个子进程，"
        f"用 os.fork(){P1_ZH}。",
    )
    _check_codes(REAPED, results[0])


# -- Part 2: a poller that keeps working ------------------------------------------------------

TASKS = 5  # odd on purpose
SLICE_S = 0.02  # one slice of the caller's other work (the work() the test gives)
WORK_PER_CHILD = 4  # slices of work, after the last child let go was reaped, before the next
GATE_S = 6.0  # how long a child waits for the judge to let it go before giving up
RAISING = 2  # how many tasks raise in test_poller_survives_a_task_that_raises


def _release_order(rng: random.Random, n: int) -> list[int]:
    """A random order of n task indexes: neither the fork order nor its reverse."""
    order = list(range(n))
    while order in (list(range(n)), list(range(n))[::-1]):
        rng.shuffle(order)
    return order


def _child_count(pid: int) -> int:
    """How many children ``pid`` has now, zombies included (cheap: its own /proc entries)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        total = 0
        for tid in tasks:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                total += len(f.read().split())
        return total
    except OSError:  # no such file (an old or non-Linux kernel): scan the whole table
        return len(probe.children(pid))


def _poll_scenario(
    module: ModuleType, n: int, raising: list[int], more: bool, address: str
) -> dict[str, object] | None:
    """Scenario: children that can only end as the caller's work() goes on, one at a time.

    Child ``i`` runs task ``i``: it asks the judge for its go (and waits up to GATE_S), then
    returns (or raises TaskFailed, for ``i`` in ``raising``). ``work()`` is the caller's other
    work, one SLICE_S slice per call; after WORK_PER_CHILD slices done while the caller holds
    exactly the children not yet let go (so only once every child is forked, and the child
    let go before has been reaped), it asks the judge to let the next child go. The judge
    alone knows which one (the order is drawn there and never enters this process), and it
    checks the caller's children itself first (see :func:`_serve_poller`). A poller that
    blocks or sleeps instead of working stalls them all. After each call the caller asks the
    judge to look at what is left below it.

    With ``more``: first ``reap_while_working([], work)``, and after the gated call a second
    call with three tasks that return at once (nothing of the first call may leak into it).
    """
    caller = os.getpid()
    state = {"released": 0, "slices": 0, "calls": 0}

    def make_task(i: int):
        def task() -> None:
            try:
                answer = _TALK(address, f"task {i}", GATE_S)
            except OSError:  # no go in time: give up
                answer = ""
            if answer == "go" and i in raising:
                raise TaskFailed(f"task {i} failed (the judge made it raise)")

        return task

    def work() -> None:
        if os.getpid() != caller:
            return  # a child running the caller's loop: not the caller's work
        state["calls"] += 1
        time.sleep(SLICE_S)  # the other work itself: one slice of it
        k = state["released"]
        if k >= n or _child_count(caller) != n - k:
            return  # all let go; or not yet all forked, or the last one let go not yet reaped
        state["slices"] += 1
        if state["slices"] < WORK_PER_CHILD:
            return
        try:
            answer = _TALK(address, "release", GATE_S)
        except OSError:
            answer = ""
        if answer == "released":
            state["released"] = k + 1
            state["slices"] = 0

    def idle() -> None:
        time.sleep(0.001)

    seen: dict[str, object] = {}
    if more:
        try:
            seen["empty"] = module.reap_while_working([], idle)
        except Exception as exc:
            seen["empty"] = f"raised {type(exc).__name__}: {exc}"
        if os.getpid() != caller:
            return None
    seen["result"] = module.reap_while_working([make_task(i) for i in range(n)], work)
    if os.getpid() != caller:
        return None  # a child came back out of reap_while_working: the sandbox reports it
    _TALK(address, "returned", GATE_S)
    seen.update(calls=state["calls"], released=state["released"])
    if more:
        seen["again"] = module.reap_while_working([lambda: None] * 3, idle)
        if os.getpid() != caller:
            return None
        _TALK(address, "returned", GATE_S)
    return seen


@dataclass
class _Polling:
    """What the judge saw while it served one scenario of Part 2."""

    most: int = 0  # the most live children of the caller at one look
    released: int = 0  # children the judge let go
    tasks: dict[int, channel.Peer] = field(default_factory=dict)  # index -> its child, waiting
    left: list[list[probe.Proc]] = field(default_factory=list)  # below the caller at returns
    blocked: str = ""  # a wait a thread of the caller was blocked in when work() asked


def _may_release(caller: int, order: list[int], seen: _Polling) -> bool:
    """The next child may go: the judge has seen every child alive at once, the caller holds
    exactly the children not yet let go, each waiting for its go, and no zombie, and no
    thread of the caller is blocked waiting for a child (work() done by a helper thread
    beside a blocking wait is not a poller that keeps working)."""
    k = seen.released
    if k >= len(order) or seen.most < len(order):
        return False
    try:
        calls = syscalls.threads(caller) or []
    except syscalls.Hidden:
        return False
    for call in calls:
        if _waits_for(caller, call) is not None:
            seen.blocked = call.name
            return False
    waiting = [seen.tasks.get(i) for i in order[k:]]
    if any(peer is None or peer.ended for peer in waiting):
        return False
    kids = _children(caller)
    if any(p.zombie for p in kids):
        return False
    return {p.pid for p in kids} == {peer.pid for peer in waiting if peer is not None}


def _serve_poller(judge: channel.Channel, running: Running, order: list[int]) -> _Polling:
    """Count the caller's live children, let them go in ``order`` when work() asks and
    :func:`_may_release` allows, and look below the caller when a call returns."""
    caller = running.pid
    seen = _Polling()
    end = time.monotonic() + GATE_S + 3.0
    while time.monotonic() < end and not running.finished():
        seen.most = max(seen.most, sum(1 for p in _children(caller) if not p.zombie))
        for said in judge.new_lines():
            peer, words = said.peer, said.text.split()
            if peer.pid == caller and said.text == "release":
                go = _may_release(caller, order, seen)
                if go:
                    seen.tasks[order[seen.released]].answer("go")
                    seen.released += 1
                peer.answer("released" if go else "wait")
            elif peer.pid == caller and said.text == "returned":
                seen.left.append(probe.descendants(caller, probe.subtree([caller])))
                peer.answer("ok")
            elif (
                said.first
                and len(words) == 2
                and words[0] == "task"
                and words[1].isdigit()
                and peer.row is not None
                and peer.row.ppid == caller
            ):
                seen.tasks.setdefault(int(words[1]), peer)
    return seen


def _poll_label(order: list[int]) -> str:
    return f"reap_while_working({len(order)} tasks, work)"


def _not_in_time(label: str) -> None:
    fail(
        en=f"{label} did not return in time. Its children wait for work() to let them go "
        f"(at most {GATE_S:g} s each): a loop that runs one child at a time, or that "
        "blocks in os.wait() / os.waitpid(-1, 0), keeps them all waiting. Fork every child "
        "first, then poll with os.waitpid(-1, os.WNOHANG) and call work() each time it "
        f"returns (0, 0) {P2_EN}.",
        zh=f"{label} 没有在限时内返回。它的子进程要等 work() 放行（每个最多等 {GATE_S:g} 秒）："
        "如果一次只跑一个子进程，或者阻塞在 os.wait() / os.waitpid(-1, 0) 上，它们就只能"
        "一直干等。先把所有子进程 fork 出来，再用 os.waitpid(-1, os.WNOHANG) 轮询，每次返回 "
        f"(0, 0) 就调用一次 work(){P2_ZH}。",
    )


def _poll(student, order: list[int], raising: list[int] | None = None, more: bool = False):
    """Run the gated poller in a sandbox while the judge serves it (see _serve_poller)."""
    raising = raising or []
    label = _poll_label(order)
    with channel.Channel("04") as judge:
        running = student.options(label=label).start_scenario(
            _poll_scenario, len(order), raising, more, judge.address
        )
        polling = _serve_poller(judge, running, order)
        finished = running.finished()
        outcome = running.stop() if finished else running.time_out()
    where_en = f" {P2_EN}" + (f" {RAISE_EN}" if raising else "")
    _check_os_exit(outcome, where_en, P2_ZH + (RAISE_ZH if raising else ""))
    if outcome.error is not None:
        raise outcome.as_problem()  # not written yet, or raised: that says more than a count
    return outcome, polling, finished


def _check_poller_worked(
    outcome: Outcome, seen: dict[str, object], order: list[int], polling: _Polling
) -> None:
    """No child gave up waiting for the work (judged by the clock of the judge), and every
    index came back once."""
    n = len(order)
    result = seen["result"]
    check(
        not polling.blocked,
        en=f"while its children ran, a thread of the caller was blocked in {polling.blocked} "
        "(a wait that returns only when a child ends) each time work() asked the judge to let "
        "the next child go, so the judge let none go then. The parent must never block while "
        "its children run, not even with work() going on in another thread: poll with "
        "os.waitpid(-1, os.WNOHANG), which returns (0, 0) at once while no child has ended, "
        f"and call work() then, in the same loop {P2_EN}.",
        zh=f"子进程运行期间，每当 work() 请评测程序放行下一个子进程时，调用者都有一个线程阻塞在 "
        f"{polling.blocked} 里（要等到有子进程结束才会返回），所以评测程序那时一个也没有放行。"
        "子进程运行期间父进程绝不能阻塞，哪怕另一个线程在调用 work() 也不行：用 "
        "os.waitpid(-1, os.WNOHANG) 轮询，还没有子进程结束时它立即返回 (0, 0)，"
        f"就在同一个循环里这时调用 work(){P2_ZH}。",
    )
    check(
        outcome.duration_s < GATE_S,
        en=f"the children waited {GATE_S:g} s for the work to go on and gave up: work() was "
        f"called {seen['calls']} time(s) in all, and the judge could let only "
        f"{polling.released} of {n} children go. In this test a child ends only as the other "
        "work goes on, so a loop that stops working while children run stalls them all. "
        "os.wait() and os.waitpid(-1, 0) block until a child ends, and sleeping between polls "
        "does no work either. Poll with os.waitpid(-1, os.WNOHANG): it returns (0, 0) at once "
        f"while no child has ended, and that is when you call work() {P2_EN}.",
        zh=f"子进程等了 {GATE_S:g} 秒也没等到 work() 推进，只好放弃：work() 一共只被调用了 "
        f"{seen['calls']} 次，{n} 个子进程里评测程序只能放行 {polling.released} 个。在这个测试里，"
        "子进程只有在别的活不断推进时才能结束，所以子进程运行期间一旦停止干活，它们就全都卡住了。"
        "os.wait() 和 os.waitpid(-1, 0) 会一直阻塞到有子进程结束，在两次查询之间 sleep 也不算干活。"
        "用 os.waitpid(-1, os.WNOHANG) 轮询：还没有子进程结束时它立即返回 (0, 0)，这时就该调用 "
        f"work(){P2_ZH}。",
    )
    check(
        isinstance(result, list) and sorted(map(repr, result)) == sorted(map(repr, range(n))),
        en=f"reap_while_working with {n} tasks returned {result!r}: return each task index "
        f"exactly once (a list of {n} ints), in the order its child was reaped {P2_EN}.",
        zh=f"有 {n} 个任务的 reap_while_working 返回了 {result!r}：每个任务下标要正好出现一次"
        f"（一个含 {n} 个整数的列表），顺序就是子进程被回收的顺序{P2_ZH}。",
    )
    check(
        polling.released == n,
        en=f"reap_while_working with {n} tasks returned {result!r}, but the judge let only "
        f"{polling.released} of the {n} children go: the others gave up waiting, so that result "
        "is not the order in which they were let go. Fork one child per task, all of them "
        "before you start polling, and call work() each time os.waitpid(-1, os.WNOHANG) "
        f"returns (0, 0) {P2_EN}.",
        zh=f"有 {n} 个任务的 reap_while_working 返回了 {result!r}，可评测程序只放行了 {n} 个子进程"
        f"中的 {polling.released} 个：其余的等不到就放弃了，所以这个结果并不是它们被放行的顺序。"
        "每个任务 fork 一个子进程，而且在开始轮询之前全部 fork 出来；每当 "
        f"os.waitpid(-1, os.WNOHANG) 返回 (0, 0) 就调用一次 work(){P2_ZH}。",
    )


def _check_nothing_left(polling: _Polling, en_where: str, zh_where: str) -> None:
    left = [p for below in polling.left for p in below]
    check(
        not left,
        en=f"when reap_while_working returned, these processes were still there: "
        f"{probe.describe_all(left)}. Keep polling until every child has been collected "
        f"{en_where}.",
        zh=f"reap_while_working 返回时，这些进程还在：{probe.describe_all(left)}。"
        f"要一直轮询，直到每个子进程都被回收{zh_where}。",
    )


@pytest.mark.points(3)
def test_poller_keeps_working_while_children_run(student):
    """The judge itself watches the caller's children; it lets the first one go only once it
    has seen one live child per task at the same moment."""
    order = _release_order(random.Random(), TASKS)
    n = len(order)
    outcome, polling, finished = _poll(student, order)
    check(
        polling.most >= n,
        en=f"the judge watched the caller's children: it saw at most {polling.most} running at "
        f"once for {n} tasks. Fork one child per task, all of them before you start polling, "
        "and call the task in the child (where os.fork() returned 0), never in the caller or "
        f"in a thread {P2_EN}.",
        zh=f"评测程序一直在看调用者的子进程：{n} 个任务，它最多只同时看到 {polling.most} 个子进程"
        "在运行。要为每个任务 fork 一个子进程，而且在开始轮询之前全部 fork 出来；任务要在子进程里"
        "（os.fork() 返回 0 的那一边）调用，不要在调用者自己的进程或线程里调用"
        f"{P2_ZH}。",
    )
    if not finished:
        _not_in_time(_poll_label(order))
    seen = outcome.value_or_raise()
    _check_poller_worked(outcome, seen, order, polling)


@pytest.mark.points(2)
def test_poller_collects_in_finish_order(student):
    order = _release_order(random.Random(), TASKS)
    outcome, polling, finished = _poll(student, order, more=True)
    if not finished:
        _not_in_time(_poll_label(order))
    seen = outcome.value_or_raise()
    _check_poller_worked(outcome, seen, order, polling)
    result = seen["result"]
    check(
        result == order,
        en=f"the children ended in the order {order} (task indexes), one at a time, and "
        f"reap_while_working returned {result!r}. Append a child's index when waitpid hands "
        "you its pid (keep a dict pid -> index from the forks); decide on the pid, not on the "
        "status: a child that exits 0 has status 0, just like (0, 0) 'nobody yet' "
        f"{P2_EN}.",
        zh=f"子进程是按 {order}（任务下标）的顺序一个接一个结束的，reap_while_working 却返回了 "
        f"{result!r}。每当 waitpid 交给你一个 pid，就把它对应的下标追加到结果里（fork 时建一个 "
        "pid -> 下标 的字典）；判断要看 pid，不要看 status：正常退出码为 0 的子进程 status 也是 0，"
        f"跟表示“还没有人结束”的 (0, 0) 一模一样{P2_ZH}。",
    )
    check(
        seen["empty"] == [],
        en=f"reap_while_working([], work) gave {seen['empty']!r}: with no task there is no "
        f"child to wait for; return [] {P2_EN}.",
        zh=f"reap_while_working([], work) 得到的是 {seen['empty']!r}：没有任务就没有要等的子进程，"
        f"直接返回 []{P2_ZH}。",
    )
    again = seen["again"]
    check(
        isinstance(again, list) and sorted(map(repr, again)) == sorted(map(repr, range(3))),
        en=f"called again in the same process with 3 tasks, reap_while_working returned "
        f"{again!r}: each call returns the indexes of its own tasks only. Keep the dict and "
        f"the list inside the function, not at module level {P2_EN}.",
        zh=f"在同一个进程里再调用一次、这次给 3 个任务，reap_while_working 返回了 {again!r}："
        "每次调用只返回这一次任务的下标。字典和列表要放在函数内部，不要放在模块级别"
        f"{P2_ZH}。",
    )
    _check_nothing_left(polling, P2_EN, P2_ZH)


@pytest.mark.points(2)
def test_poller_survives_a_task_that_raises(student):
    rng = random.Random()
    order = _release_order(rng, TASKS)
    raising = sorted(rng.sample(range(TASKS), RAISING))
    outcome, polling, finished = _poll(student, order, raising)
    if not finished:
        _not_in_time(_poll_label(order))
    seen = outcome.value_or_raise()
    _check_poller_worked(outcome, seen, order, polling)
    result = seen["result"]
    check(
        result == order,
        en=f"tasks {raising} raised TaskFailed in their children; the children ended in the "
        f"order {order} and reap_while_working returned {result!r}. A child whose task raised "
        "still ends (os._exit(1) in a finally) and is reaped like the others: its index "
        f"belongs in the result, in its place {RAISE_EN} {P2_EN}.",
        zh=f"任务 {raising} 在各自的子进程里抛出了 TaskFailed；子进程按 {order} 的顺序结束，"
        f"reap_while_working 却返回了 {result!r}。任务抛出异常的子进程照样要结束（在 finally 里 "
        f"os._exit(1)），也照样被回收：它的下标应当出现在结果里该在的位置{RAISE_ZH}{P2_ZH}。",
    )
    _check_nothing_left(polling, RAISE_EN, RAISE_ZH)


# -- Part 3: the double fork ------------------------------------------------------------------

GO_S = 3.0  # how long the detached task waits for the go sent after spawn_detached returned
LINGER_S = 10.0  # after its job the task keeps running, like a daemon; the judge ends it
CALLS = 30  # test_detached_leaks_nothing calls spawn_detached this many times ...
FD_ROOM = 8  # ... with this many file descriptors to spare


def _detach_scenario(module: ModuleType, raising: bool) -> dict[str, object] | None:
    """Scenario: spawn_detached(task), where the task can only do its job after the call.

    The task waits for a ``go`` that this scenario sends once spawn_detached has returned.
    Then it forks a child of its own that exits at once and is left unreaped (the task waits
    for its end with WNOWAIT): a zombie below the process running the task, which stays there
    for the judge to see at the end, as long as the task runs. Then it reports and keeps
    running, like a daemon (or, with ``raising``, raises TaskFailed at once). Without the
    go in time it gives up and ends. With ``raising`` the scenario waits until the detached
    processes have ended (EOF on a pipe only they still hold) before it returns.
    """
    caller = os.getpid()
    go_r, go_w = os.pipe()
    report_r, report_w = os.pipe()
    life_r, life_w = os.pipe()

    def task() -> None:
        ready, _, _ = select.select([go_r], [], [], GO_S)
        report: dict[str, object] = {
            "go": bool(ready),
            "pid": os.getpid(),
            "sigchld_ignored": signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN,
        }
        if ready and not raising:
            own = os.fork()
            if own == 0:
                os._exit(5)  # the task's own child: a zombie below the task until it ends
            try:  # wait until it has ended, without reaping it (WNOWAIT): it stays a zombie
                os.waitid(os.P_PID, own, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                report["own_child_vanished"] = True  # SIGCHLD ignored: the kernel reaped it
        os.write(report_w, json.dumps(report).encode())
        if ready and raising:
            raise TaskFailed("the detached task failed (the judge made it raise)")
        if ready:
            time.sleep(LINGER_S)

    pid = module.spawn_detached(task)
    if os.getpid() != caller:
        return None  # a child came back out of spawn_detached: the sandbox reports it
    os.close(life_w)
    early = bool(select.select([report_r], [], [], 0)[0])
    os.write(go_w, b"go")
    report = None
    if select.select([report_r], [], [], GO_S + 2.0)[0]:
        report = json.loads(os.read(report_r, 4096))
    if raising:
        select.select([life_r], [], [], GO_S + 2.0)  # EOF: the detached processes are gone
    return {
        "pid": pid if type(pid) is int else repr(pid),
        "early": early,
        "report": report,
    }


def _detach(student, raising: bool = False):
    outcome = student.options(label="spawn_detached(task)").run_scenario(_detach_scenario, raising)
    seen = outcome.value_or_raise()
    pid = seen["pid"]
    check(
        type(pid) is int,
        en=f"spawn_detached returned {pid}: return the grandchild's pid, an int {P3_EN}.",
        zh=f"spawn_detached 返回了 {pid}：要返回二级子进程的 pid，一个整数{P3_ZH}。",
    )
    return outcome, seen


def _why_not_running(seen: dict[str, object]) -> tuple[str, str]:
    """What the task's own report says about why pid is not the running orphan (for messages)."""
    pid, report = seen["pid"], seen["report"]
    if report is None:
        return (
            "The task never reported: call task() in the grandchild, the process whose second "
            "os.fork() returned 0. ",
            "任务始终没有报告：要在二级子进程里（第二次 os.fork() 返回 0 的那个进程）调用 task()。",
        )
    if not report["go"]:
        return (
            f"The task waited {GO_S:g} s for a go that is sent only once spawn_detached has "
            "returned, and gave up: spawn_detached returned only after the task was over. "
            "Return at once: wait for the middle child only, and make sure the grandchild "
            "does not hold the pipe's write end open. ",
            f"任务等了 {GO_S:g} 秒，等的是 spawn_detached 返回之后才会发出的 go 信号，"
            "最后只好放弃：也就是说 spawn_detached 等到任务结束才返回。"
            "要立即返回：只等一级子进程，并且确保二级子进程没有一直拿着管道的写端。",
        )
    if report["sigchld_ignored"] or report.get("own_child_vanished"):
        return (
            "The task ran with SIGCHLD ignored, so the kernel took its own children away "
            "at once: it could never wait for one. If you set SIGCHLD to SIG_IGN, put "
            "SIG_DFL back in the grandchild before it runs the task. ",
            "任务运行时 SIGCHLD 处于忽略状态，它自己的子进程一结束就被内核直接收走了：它永远"
            "没法等待自己的子进程。如果你把 SIGCHLD 设成了 SIG_IGN，二级子进程在运行任务之前"
            "要把它恢复成 SIG_DFL。",
        )
    if report["pid"] != pid:
        return (
            f"The task ran in pid {report['pid']}: return the grandchild's pid, not the middle "
            "child's. Only the middle child knows it: send it back through a pipe. ",
            f"任务是在 pid {report['pid']} 里运行的：要返回二级子进程的 pid，而不是一级子进程的。"
            "只有一级子进程知道这个 pid：通过管道把它传回来。",
        )
    return ("", "")


def _task_ran(seen: dict[str, object]) -> bool:
    """The task's own report: it ran, after the go, in the pid spawn_detached returned."""
    report = seen["report"]
    return isinstance(report, dict) and bool(report["go"]) and report["pid"] == seen["pid"]


@pytest.mark.points(3)
def test_detached_grandchild_is_not_your_child(student):
    outcome, seen = _detach(student)
    pid, caller = seen["pid"], outcome.pid
    below = {p.pid: p for p in outcome.descendants + outcome.zombies}
    if pid in below and below[pid].ppid == caller:
        fail(
            en=f"pid {pid}, which you returned, was the caller's own child when spawn_detached "
            f"returned ({below[pid].describe()}): that is a single fork. A child stays its "
            "parent's child, and when it ends it is a zombie until the parent waits for it, "
            "which a function that returns at once never does. Fork twice: the first child "
            "forks the grandchild that runs the task, then exits at once; the grandchild, an "
            f"orphan, is adopted by another process that reaps it {P3_EN}.",
            zh=f"spawn_detached 返回时，你返回的 pid {pid} 还是调用者自己的子进程"
            f"（{below[pid].describe()}）：这只是 fork 了一次。子进程永远是它父进程的子进程，"
            "结束以后要当僵尸，直到父进程等待它——而一个立即返回的函数永远不会去等。要 fork 两次："
            "一级子进程 fork 出运行任务的二级子进程，然后立刻退出；二级子进程成了孤儿，被别的进程"
            f"收养，由收养它的进程回收{P3_ZH}。",
        )
    if pid in below:
        fail(
            en=f"when spawn_detached returned, pid {pid} was still below the caller "
            f"({below[pid].describe()}, its parent pid {below[pid].ppid} still there). The "
            f"middle child must exit right after forking the grandchild: os._exit(0) {P3_EN}.",
            zh=f"spawn_detached 返回时，pid {pid} 仍然在调用者下面（{below[pid].describe()}，"
            f"它的父进程 pid {below[pid].ppid} 还在）。一级子进程 fork 出二级子进程之后必须立刻"
            f"退出：os._exit(0){P3_ZH}。",
        )
    adopted = {p.pid for p in outcome.escaped}
    if pid not in adopted:
        why_en, why_zh = _why_not_running(seen)
        fail(
            en=f"spawn_detached returned pid {pid}, but that was not a running orphan adopted "
            f"by the judge (it adopted: {probe.describe_all(outcome.escaped)}). {why_en}"
            f"{P3_EN}",
            zh=f"spawn_detached 返回了 pid {pid}，但它并不是被评测程序收养、仍在运行的孤儿进程"
            f"（被收养的有：{probe.describe_all(outcome.escaped)}）。{why_zh}{P3_ZH}",
        )


@pytest.mark.points(2)
def test_detached_leaves_no_child_behind(student):
    outcome, seen = _detach(student)
    _check_os_exit(outcome, f" {P3_EN}", P3_ZH)
    adopted = {p.pid for p in outcome.escaped}
    check(
        seen["pid"] in adopted,
        en=f"spawn_detached returned pid {seen['pid']}, and the judge adopted no such running "
        f"process (it adopted: {probe.describe_all(outcome.escaped)}): there was no detached "
        "grandchild to leave behind. Fork the middle child, fork the grandchild in it, and "
        f"return the grandchild's pid {P3_EN}.",
        zh=f"spawn_detached 返回了 pid {seen['pid']}，可评测程序并没有收养这样一个仍在运行的进程"
        f"（被收养的有：{probe.describe_all(outcome.escaped)}）：根本没有脱离出去的二级子进程。"
        f"先 fork 一级子进程，在它里面再 fork 二级子进程，返回二级子进程的 pid{P3_ZH}。",
    )
    check(
        not outcome.zombies,
        en=f"when spawn_detached returned, the caller had {len(outcome.zombies)} zombie "
        f"child(ren): {probe.describe_all(outcome.zombies)}. That is the middle child: it "
        "exited at once, as it should, but nobody collected it, so the double fork swapped one "
        "zombie for another. Wait for it: os.waitpid(middle_pid, 0) returns almost at once, "
        f"because the middle child exits right after its fork {P3_EN}.",
        zh=f"spawn_detached 返回时，调用者有 {len(outcome.zombies)} 个僵尸子进程："
        f"{probe.describe_all(outcome.zombies)}。这就是一级子进程：它按要求立刻退出了，却没有人"
        "回收它，于是二级子进程这一招只是用一个僵尸换了另一个僵尸。要等待它："
        f"os.waitpid(middle_pid, 0) 几乎马上就会返回，因为一级子进程 fork 完就退出了{P3_ZH}。",
    )
    check(
        not outcome.descendants,
        en=f"when spawn_detached returned, these processes were still below the caller: "
        f"{probe.describe_all(outcome.descendants)}. Only the grandchild may go on running, and "
        "it must not be below the caller: the middle child forks it and exits at once, and the "
        f"caller reaps the middle child {P3_EN}.",
        zh="spawn_detached 返回时，调用者下面还有这些进程："
        f"{probe.describe_all(outcome.descendants)}。只有二级子进程可以继续运行，"
        "而且它不能在调用者下面：一级子进程 fork 出它之后立刻退出，"
        f"调用者回收一级子进程{P3_ZH}。",
    )


@pytest.mark.points(1)
def test_detached_grandchild_does_its_task(student):
    outcome, seen = _detach(student)
    pid = seen["pid"]
    adopted = {p.pid for p in outcome.escaped}
    # At the end only: a child the kernel reaps itself (SIGCHLD ignored) can be caught as a
    # zombie by one sample during the microseconds before it is released.
    own = [life for life in outcome.timeline.at_end() if life.ppid == pid and "Z" in life.states]
    if pid not in adopted or not own:
        why_en, why_zh = _why_not_running(seen)
        fail(
            en=f"the task was to run in pid {pid}, which you returned, once spawn_detached had "
            "returned: there it forks a child of its own, lets it end without reaping it, and "
            "keeps running. When spawn_detached returned, the judge saw "
            f"{'no' if not own else 'an'} unreaped child of pid {pid}, and pid {pid} was "
            f"{'not ' if pid not in adopted else ''}running at the end. {why_en}{P3_EN}",
            zh=f"任务应当在你返回的 pid {pid} 里、在 spawn_detached 返回之后运行：它会 fork 一个"
            f"自己的子进程，让它结束但不回收，然后继续运行。spawn_detached 返回时，评测程序"
            f"{'没有' if not own else ''}看到 pid {pid} 下面有尚未回收的子进程，最后 pid {pid} "
            f"{'也没有' if pid not in adopted else ''}在运行。{why_zh}{P3_ZH}",
        )
    if not _task_ran(seen):
        why_en, why_zh = _why_not_running(seen)
        fail(
            en=f"pid {pid}, which you returned, was a running orphan with an unreaped child of "
            "its own, as the task leaves it, but the task was not what ran there: the task "
            "reports, from the process it runs in, once it got the go sent after "
            f"spawn_detached returned, and no such report came from pid {pid}. The grandchild "
            f"must call task() itself, not imitate what the task does. {why_en}{P3_EN}",
            zh=f"你返回的 pid {pid} 是一个仍在运行的孤儿进程，下面也有一个尚未回收的子进程，和任务"
            "留下的样子一样，可是在那里运行的并不是任务：任务在 spawn_detached 返回后收到 go 信号，"
            f"会从它所在的进程报告一次，而 pid {pid} 并没有发出这样的报告。二级子进程必须自己调用 "
            f"task()，而不是模仿任务的行为。{why_zh}{P3_ZH}",
        )


@pytest.mark.points(1)
def test_detached_task_that_raises(student):
    outcome, seen = _detach(student, raising=True)
    pid = seen["pid"]
    detached = {life.pid for life in outcome.timeline.lives if life.ppid != outcome.pid}
    if pid not in detached or not _task_ran(seen):
        why_en, why_zh = _why_not_running(seen)
        fail(
            en=f"the task was to run, and raise, in pid {pid}, which you returned: a grandchild "
            f"of the caller, not its child. {why_en}{P3_EN}",
            zh=f"任务应当在你返回的 pid {pid} 里运行并抛出异常，这个进程应当是调用者的二级子进程，"
            f"而不是它的子进程。{why_zh}{P3_ZH}",
        )
    _check_os_exit(outcome, f" {RAISE_EN} {P3_EN}", RAISE_ZH + P3_ZH)
    left = outcome.zombies + outcome.descendants
    check(
        not left,
        en=f"when spawn_detached returned, these processes were still below the caller: "
        f"{probe.describe_all(left)}. Reap the middle child, and let only the grandchild run "
        f"the task {P3_EN}.",
        zh=f"spawn_detached 返回时，调用者下面还有这些进程：{probe.describe_all(left)}。要回收"
        f"一级子进程，任务只在二级子进程里运行{P3_ZH}。",
    )


def _linger() -> None:
    """A task that keeps running, like a daemon, until the judge ends it."""
    time.sleep(LINGER_S)


def _detach_many_scenario(module: ModuleType, calls: int, room: int) -> dict[str, object] | None:
    """Scenario: spawn_detached ``calls`` times with ``room`` file descriptors to spare (each
    task keeps running, so each returned pid must be a running orphan at the end), then check
    that the caller can still wait for a child of its own (SIGCHLD not left ignored)."""
    caller = os.getpid()
    in_use = len(os.listdir("/proc/self/fd"))
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + room, hard))
    pids: list[object] = []
    error = None
    for number in range(1, calls + 1):
        try:
            pid = module.spawn_detached(_linger)
        except OSError as exc:
            error = f"call {number} raised {type(exc).__name__}: {exc}"
            break
        if os.getpid() != caller:
            return None
        pids.append(pid if type(pid) is int else repr(pid))
    own = os.fork()
    if own == 0:
        os._exit(7)
    try:
        _, status = os.waitpid(own, 0)
        waited: object = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        waited = "ChildProcessError"
    return {"pids": pids, "error": error, "waited": waited}


@pytest.mark.points(1)
def test_detached_leaks_nothing(student):
    outcome = student.options(label=f"spawn_detached(task) x {CALLS}").run_scenario(
        _detach_many_scenario, CALLS, FD_ROOM
    )
    _check_os_exit(outcome, f" {P3_EN}", P3_ZH)
    seen = outcome.value_or_raise()
    check(
        seen["error"] is None,
        en=f"spawn_detached was called {CALLS} times with {FD_ROOM} file descriptors to spare, "
        f"and {seen['error']}. Each call opens a pipe, two descriptors: close both ends in "
        "every process that holds them — the caller closes the write end at once and the read "
        f"end once it has read the pid {P3_EN}.",
        zh=f"在只剩 {FD_ROOM} 个文件描述符余量的情况下调用 spawn_detached {CALLS} 次，结果"
        f"{seen['error']}。每次调用都要打开一个管道，也就是两个描述符：每个持有它们的进程都要把两端"
        f"关掉——调用者立刻关掉写端，读出 pid 以后再关掉读端{P3_ZH}。",
    )
    pids = seen["pids"]
    adopted = {p.pid for p in outcome.escaped}
    wrong = [pid for pid in pids if pid not in adopted]
    check(
        len(pids) == CALLS and not wrong and len(set(pids)) == CALLS,
        en=f"the {CALLS} tasks keep running, like daemons, and of the pids spawn_detached "
        f"returned for them, {len(wrong)} ({wrong[:5]}) name no running orphan the judge "
        f"adopted: each call must return the pid of its own new grandchild {P3_EN}.",
        zh=f"这 {CALLS} 个任务会像守护进程一样一直运行；spawn_detached 为它们返回的 pid 里，"
        f"有 {len(wrong)} 个（{wrong[:5]}）不是被评测程序收养、仍在运行的孤儿进程："
        f"每次调用都要返回它自己新建的二级子进程的 pid{P3_ZH}。",
    )
    check(
        seen["waited"] == 7,
        en=f"after the calls to spawn_detached, the caller forked a child that exits with 7 and "
        f"waited for it: os.waitpid gave {seen['waited']!r}. SIGCHLD was left ignored: the "
        "kernel reaps every child of the caller at once, so nothing can wait for one any more. "
        "If you set SIGCHLD to SIG_IGN, put the old disposition back before returning "
        f"{P3_EN}.",
        zh=f"调用完 spawn_detached 之后，调用者 fork 了一个以 7 退出的子进程并等待它："
        f"os.waitpid 得到的是 {seen['waited']!r}。SIGCHLD 一直处于忽略状态：内核会立即回收调用者的"
        "每一个子进程，于是再也没法等待任何子进程了。如果你把 SIGCHLD 设成了 SIG_IGN，返回之前"
        f"要把原来的处理方式恢复回去{P3_ZH}。",
    )
    left = outcome.zombies + outcome.descendants
    check(
        not left,
        en=f"after {CALLS} calls to spawn_detached, these processes were still below the "
        f"caller: {probe.describe_all(left)}. Reap every middle child {P3_EN}.",
        zh=f"调用 {CALLS} 次 spawn_detached 之后，调用者下面还有这些进程："
        f"{probe.describe_all(left)}。每个一级子进程都要回收{P3_ZH}。",
    )
