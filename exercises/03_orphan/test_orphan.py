"""Spec for exercise 03 — orphans. Run it with `grader check orphan`.

The judge observes; the sandbox only acts. ``make_orphan(report)`` runs in a sandbox process,
the *caller*, which is the parent that leaves: it forks the child and ends. The judge (this
test process) is a child subreaper, so the orphan is adopted by the judge itself, and every
verdict rests on what the judge sees of it:

* the process table, read by the judge: the caller's child while the caller still runs, and
  the same process, its parent now the judge, while it waits for the judge's answer to its
  report (so it is surely still running when the judge looks);
* the caller's end, collected by the judge with ``waitpid`` (it is the judge's child), and the
  orphan's end, collected by the judge with ``waitpid`` too: only a process's parent can wait
  for it, so this status proves the orphan was adopted, and tells how it ended;
* the report itself arrives on the channel the judge holds (``grader.spec.channel``); the
  kernel tells the judge which process connected (``SO_PEERCRED``, ``peer.pid``) and the judge
  read that process in /proc as it accepted it (``peer.row``), so a report sent by another
  process is seen as such. What the report says (the old and the new parent pid) is only
  compared with what the judge saw;
* ``Running.fell_through()``: a forked child that left the student's function.

How the judge provokes the classic mistakes: a trusted scenario registers fork hooks in the
caller. In most runs the caller's first fork says so on the channel and waits there, in the
caller, until the judge answers, which it does once it has seen the child asleep and
SHORT_HOLD_S has passed: a child that reports without waiting for its parent to leave is
caught in the act, its parent still there. In the test of waiting the hold is a time drawn at
random from LONG_HOLD_S, every part of it longer than REPORT_S, and every run's report must
come within REPORT_S of its parent's end: a child that sleeps any fixed time instead of
waiting for the change reports while its parent is held there, or too late in the test where
the parent leaves at once. Only the caller's own connection (``peer.pid``) counts as its
fork, and a caller that forked yet ended before the judge let it go was not held (its fork ran
no hook): that is failed too, never taken as a child that waited. In one test the caller is not held
but the child is, until its parent is gone: a child that asks ``os.getppid()`` after the fork
for its parent's pid gets its new parent's. "The caller has ended" is the judge's own look at
its child (a zombie, or reaped), never the arrival of its result. Nothing waits with a sleep:
the hooks and the judge poll with deadlines.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from grader.spec import (
    ExitStatus,
    Msg,
    Outcome,
    channel,
    check,
    check_every_child_used_os_exit,
    fail,
    holds_within,
    probe,
)

# README references (checked by `grader verify` against the headings of both READMEs).
PARENT_EN = "(README: 'The parent leaves first')"
PARENT_ZH = "（README.zh-CN:「父进程先退出」）"
WAIT_EN = "(README: 'The orphan waits for the change')"
WAIT_ZH = "（README.zh-CN:「孤儿进程等待父进程变化」）"
REPORT_EN = "(README: 'The orphan reports, then ends')"
REPORT_ZH = "（README.zh-CN:「孤儿进程先报告，再结束」）"
EXIT_EN = "(README: 'End every child with `os._exit`')"
EXIT_ZH = "（README.zh-CN:「每个子进程都用 `os._exit` 结束」）"
ADOPT_EN = "(README: 'Who adopts an orphan')"
ADOPT_ZH = "（README.zh-CN:「谁来收养孤儿进程」）"
WAIT_ADOPT_EN = "(README: 'The orphan waits for the change' and 'Who adopts an orphan')"
WAIT_ADOPT_ZH = "（README.zh-CN:「孤儿进程等待父进程变化」和「谁来收养孤儿进程」）"
REPORT_ADOPT_EN = "(README: 'The orphan reports, then ends' and 'Who adopts an orphan')"
REPORT_ADOPT_ZH = "（README.zh-CN:「孤儿进程先报告，再结束」和「谁来收养孤儿进程」）"

LABEL = "make_orphan(report)"
SHORT_HOLD_S = 0.1  # the held runs: the caller is held at least this long after its fork ...
HOLD_MAX_S = 2.0  # ... and until the judge has seen the child asleep (at most this long)
REPORT_S = 3.0  # the longest the judge waits for the orphan's report once the caller has ended
# test_the_orphan_waits_for_the_change holds the caller for a time drawn from this range: a
# child that sleeps a fixed time shorter than the hold reports while its parent is there, and
# one that sleeps longer than REPORT_S misses its report in test_a_parent_that_leaves_at_once.
LONG_HOLD_S = (REPORT_S + 0.5, REPORT_S + 1.5)
GATE_S = 12.0  # the longest a fork hook in the sandbox waits for the judge (it always answers)
SEE_S = 4.0  # the longest the judge waits for the caller's child to show up
LEAVE_S = 3.0  # ... for the caller to end once it is let go
LINE_S = 2.0  # ... for a report's line once a process has connected
END_S = 3.0  # ... for the orphan to end once its report is answered
ANSWER_S = 8.0  # the longest the report waits for the judge's answer (in the orphan)
POLL_S = 0.002  # how often the child's hook looks for its parent's end
FORKED, GO, OK = "forked", "go", "ok"  # the fork hook says; the judge answers it, and a report

HOLD, QUICK = "hold", "quick"


# -- the sandbox side: a trusted scenario that only acts --------------------------------------


def _reporter(address: str):
    """The ``report(old, new)`` the student's orphan calls: one line on the judge's channel,
    then wait for the judge's answer (so that the orphan is still there when the judge looks).
    """

    def report(old: object, new: object) -> None:
        conn = channel.connect(address, f"{old!r} {new!r}"[:200], timeout=ANSWER_S)
        try:
            channel.read_line(conn)
        except OSError:
            pass
        finally:
            conn.close()

    return report


def _scenario(module: ModuleType, address: str, mode: str, hold: bool) -> object:
    """Scenario: ``make_orphan(report)`` in the caller, with fork hooks.

    With ``hold``: the caller's first fork says FORKED on the channel and waits, in the
    caller, until the judge answers. With ``mode == QUICK``: the caller's first child waits,
    before its own code runs, until its parent (the caller) is gone.
    """
    caller = os.getpid()
    state = {"forker": 0, "forks": 0}

    def before() -> None:
        state["forker"] = os.getpid()

    def in_parent() -> None:
        if os.getpid() != caller:
            return
        state["forks"] += 1
        if hold and state["forks"] == 1:
            try:
                channel.talk(address, FORKED, timeout=GATE_S)  # held until the judge answers
            except OSError:
                pass

    def in_child() -> None:
        if mode == QUICK and state["forker"] == caller and state["forks"] == 0:
            holds_within(lambda: os.getppid() != caller, GATE_S, POLL_S)

    os.register_at_fork(before=before, after_in_parent=in_parent, after_in_child=in_child)
    module.make_orphan(_reporter(address))
    if os.getpid() != caller:
        return None  # a child came back out of make_orphan: the sandbox reports it
    return "returned in the parent"


# -- the judge's side ---------------------------------------------------------------------------


@dataclass
class Seen:
    """What the judge saw of one run of make_orphan."""

    caller: int
    judge: int
    mode: str
    children: list[int] = field(default_factory=list)  # the caller's children, as first seen
    asleep: bool = False  # the first child was seen asleep while its parent was held
    forks: list[channel.Peer] = field(default_factory=list)  # the caller's fork hook, held
    let_go: bool = False  # the judge has answered the caller's fork (or would have)
    unheld: bool = False  # when the judge came to let the caller go, it had not been held
    left: bool = False  # the caller ended (the judge collected its status) in time
    orphans: list[probe.Proc] = field(default_factory=list)  # adopted by the judge, then
    caller_ran: list[bool] = field(default_factory=list)  # per peer: the caller ran as it came
    reporter: int | None = None  # the pid that sent the report (peer.pid: from the kernel)
    reporter_row: probe.Proc | None = None  # that process, as the judge accepted it
    caller_running: bool = False  # the caller had not ended when the report came
    line: str | None = None  # what the report said
    status: int | None = None  # the orphan's wait status, collected by the judge
    waited_for: int | None = None  # the pid the judge waited for
    not_mine: bool = False  # the judge could not wait for it: not its child
    outcome: Outcome | None = None

    @property
    def child(self) -> int | None:
        """The orphan: the caller's first child, or (not held) the process the judge adopted."""
        if self.children:
            return self.children[0]
        return self.orphans[0].pid if self.orphans else None


def _gone(pid: int) -> bool:
    """The judge's child ``pid`` has ended (a zombie, or reaped), looked at without reaping it.

    Not ``Running.finished()``, which is true as soon as the result frame is in: a caller that
    leaves with sys.exit() sends its frame before its process ends and its child is adopted.
    A process is a zombie only once its children have been given to their new parent.
    """
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True  # already reaped (by Running.finished())


def _is_fork(seen: Seen, peer: channel.Peer) -> bool:
    """The caller's fork hook (the kernel names the caller; what it says only names the line)."""
    return peer.pid == seen.caller and peer.line == FORKED


def _look(chan: channel.Channel, seen: Seen) -> bool:
    """Read the channel: note whether the caller still ran as each new process connected,
    answer the caller's fork hook once the judge lets it go, and take the first report (any
    other process's first line, or its silence for LINE_S), answering it (so the reporter is
    still there, and still as it was, while the judge looks). True once a report is taken."""
    chan.poll(0)
    if len(seen.caller_ran) < len(chan.peers):
        running = not _gone(seen.caller)
        seen.caller_ran.extend([running] * (len(chan.peers) - len(seen.caller_ran)))
    for peer in chan.peers:
        if _is_fork(seen, peer) and peer not in seen.forks:
            seen.forks.append(peer)
            if seen.let_go:
                peer.answer(GO)
    if seen.reporter is not None:
        return True
    for index, peer in enumerate(chan.peers):
        if _is_fork(seen, peer):
            continue
        if not peer.lines and not peer.ended and chan.now() - peer.at < LINE_S:
            return False  # its line is on its way: the first report is decided in order
        seen.reporter = peer.pid
        seen.reporter_row = peer.row  # read as it connected, then it waits for the answer
        seen.caller_running = seen.caller_ran[index]
        seen.line = peer.line.strip()
        peer.answer(OK)  # report() returns; the reporter may end now
        return True
    return False


def _let_go(chan: channel.Channel, seen: Seen) -> None:
    """Answer the caller's fork hook; in a held run, note a caller that was not held then:
    one that never said it forked, or had already ended (its fork ran no hook)."""
    _look(chan, seen)
    if seen.mode == HOLD:
        seen.unheld = not seen.forks or _gone(seen.caller)
    seen.let_go = True
    for peer in seen.forks:
        peer.answer(GO)


def _watch(student, mode: str, hold_s: float = 0.0) -> Seen:
    """Run make_orphan once and watch the caller, its child and the report.

    ``mode == HOLD``: the caller is held after its fork until the judge has seen the child,
    and, with ``hold_s``, until the child has been asleep and ``hold_s`` has passed (at most
    HOLD_MAX_S, or ``hold_s`` if that is longer). ``mode == QUICK``: the caller is not held,
    the child is held until its parent is gone.
    """
    judge = os.getpid()
    before = {p.pid for p in probe.children(judge)}
    with channel.Channel("03") as chan:
        running = student.options(label=LABEL).start_scenario(
            _scenario, chan.address, mode, mode == HOLD
        )
        seen = Seen(caller=running.pid, judge=judge, mode=mode)
        if mode == HOLD:

            def children_seen() -> bool:
                if running.finished():
                    return True
                _look(chan, seen)
                kids = probe.children(seen.caller)  # zombies included: the caller is held
                seen.children = [p.pid for p in sorted(kids, key=lambda p: p.start)]
                return bool(kids)

            chan.wait_for(children_seen, SEE_S)
            if seen.children:
                first = chan.now()
                most = max(hold_s, HOLD_MAX_S)

                def held_long_enough() -> bool:
                    if _look(chan, seen):
                        return True  # it reported while its parent was held
                    row = probe.read(seen.children[0])
                    if row is None or row.zombie:
                        return True  # it ended while its parent was held
                    seen.asleep = seen.asleep or row.state == "S"
                    held = chan.now() - first
                    return (held >= hold_s and seen.asleep) or held >= most

                chan.wait_for(held_long_enough, 2 * most)
                _look(chan, seen)  # the last look before letting it go
                for kid in probe.children(seen.caller):
                    if kid.pid not in seen.children:
                        seen.children.append(kid.pid)
        _let_go(chan, seen)

        def caller_gone() -> bool:
            _look(chan, seen)
            return _gone(seen.caller)

        seen.left = bool(chan.wait_for(caller_gone, LEAVE_S))
        if seen.left:
            seen.orphans = [
                p for p in probe.children(judge) if p.pid not in before and p.pid != seen.caller
            ]
        if seen.left and (seen.children or seen.orphans):
            chan.wait_for(lambda: _look(chan, seen), REPORT_S)
        target = seen.reporter if seen.reporter is not None else seen.child
        if seen.left and target is not None:
            seen.waited_for = target

            def reaped() -> bool:
                try:
                    done, status = os.waitpid(target, os.WNOHANG)
                except ChildProcessError:
                    seen.not_mine = True
                    return True
                if done:
                    seen.status = status
                return bool(done)

            holds_within(reaped, END_S if seen.reporter is not None else 0.0, POLL_S)
        seen.outcome = running.stop(grace=0.5)
        return seen


# -- the judge's verdicts -----------------------------------------------------------------------


def _describe(row: probe.Proc | None) -> str:
    return row.describe() if row is not None else "gone"


def _check_parent(seen: Seen) -> None:
    """The caller forked a child and then ended in make_orphan, without waiting for it."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None and outcome.error.type != "SystemExit":
        raise outcome.as_problem()  # not written yet, or it raised in the parent
    if seen.left and outcome.returned:
        fail(
            en=f"{LABEL} returned in the parent (it returned {outcome.value!r}). The parent "
            "is to leave first: after the fork it ends its process at once with os._exit(0), "
            "without waiting for the child; the function never returns there "
            f"{PARENT_EN}.",
            zh=f"{LABEL} 在父进程里返回了（返回值 {outcome.value!r}）。父进程应当先退出："
            "fork 之后立刻用 os._exit(0) 结束自己的进程，不等待子进程；这个函数在父进程里"
            f"永远不会返回{PARENT_ZH}。",
        )
    if not seen.left:
        child = seen.child
        forked_en = f"forked pid {child} and then " if child is not None else ""
        forked_zh = f"fork 出 pid {child} 之后，" if child is not None else ""
        fail(
            en=f"the caller (pid {seen.caller}) {forked_en}did not end within {LEAVE_S:g} s. "
            "An orphan is made by its parent leaving first: does the parent wait for the child "
            "(os.wait / os.waitpid)? The child waits for its parent to leave, so both wait "
            f"forever. After the fork the parent ends at once: os._exit(0) {PARENT_EN}.",
            zh=f"调用者（pid {seen.caller}）{forked_zh}{LEAVE_S:g} 秒内都没有结束。"
            "孤儿进程是因为父进程先退出才产生的：父进程是不是在等待子进程（os.wait / "
            "os.waitpid）？子进程在等父进程离开，父进程又在等子进程，两边就永远等下去了。"
            f"fork 之后父进程要立刻结束：os._exit(0){PARENT_ZH}。",
        )
    if not seen.children and not seen.orphans:
        fail(
            en=f"the judge watched the caller (pid {seen.caller}), and it ended without a "
            "child: no process was forked, or none was left to adopt. make_orphan forks one "
            "child, which keeps running after its parent (the caller) has ended "
            f"{PARENT_EN}.",
            zh=f"评测程序一直在看调用者（pid {seen.caller}），它结束时没有任何子进程：要么根本没有"
            "fork，要么没有留下可以收养的进程。make_orphan 要 fork 一个子进程，在父进程（调用者）"
            f"结束之后它还要继续运行{PARENT_ZH}。",
        )


def _check_held(seen: Seen) -> None:
    """In a held run, the caller was held after its fork until the judge let it go."""
    if seen.mode != HOLD or not seen.unheld:
        return
    child = seen.child
    fail(
        en=f"the caller (pid {seen.caller}) forked pid {child}, but the judge never held it: "
        "the judge keeps the caller alive for a while after its fork (a hook of os.fork) to see "
        "whether the child waits for its parent to leave, and this caller had ended, or never "
        "said it forked, when the judge came to let it go. Its fork ran no hook: fork with "
        "os.fork(), and let the child wait for os.getppid() to change, whatever the parent "
        f"does {WAIT_EN}.",
        zh=f"调用者（pid {seen.caller}）fork 出了 pid {child}，可评测程序根本没能拦住它：评测程序"
        "会在 fork 之后让调用者多活一会儿（通过 os.fork 的钩子），看子进程是否等父进程离开；"
        "而评测程序要放行时，这个调用者已经结束，或者从来没有报告过自己 fork 了。它的 fork "
        "没有经过钩子：请用 os.fork() 创建子进程，并让子进程等待 os.getppid() 发生变化，"
        f"不管父进程怎么做{WAIT_ZH}。",
    )


def _check_report_came(seen: Seen) -> None:
    """A report arrived, from the caller's child."""
    child = seen.child
    if seen.reporter is None:
        how = _how_it_ended(seen)
        quick_en = quick_zh = ""
        if seen.mode == QUICK:
            quick_en = (
                "Here the parent left before the child's code ran: a child that asks "
                "os.getppid() after the fork for its parent's pid already gets the new parent, "
                "and waits for a change that has happened. Take the parent's pid with "
                "os.getpid() BEFORE the fork. "
            )
            quick_zh = (
                "这次父进程在子进程的代码运行之前就退出了：子进程如果在 fork 之后才用 "
                "os.getppid() 获取父进程的 pid，拿到的已经是新的父进程，于是会一直等一个早已"
                "发生过的变化。要在 fork 之前用 os.getpid() 记下父进程的 pid。"
            )
        fail(
            en=f"the caller (pid {seen.caller}) ended, and its child pid {child}, now an orphan "
            f"adopted by the judge (pid {seen.judge}), never called report() within "
            f"{REPORT_S:g} s ({how[0]}). Once os.getppid() is no longer the pid of the parent "
            f"that forked it, the orphan calls report(old_ppid, new_ppid): a child that polls "
            "os.getppid() sees the change within milliseconds, one that sleeps a fixed time "
            f"instead reports too late, or too early. {quick_en}Do not wait for "
            "os.getppid() == 1: the orphan is adopted by the nearest subreaper, here the judge, "
            f"not by init {WAIT_ADOPT_EN}.",
            zh=f"调用者（pid {seen.caller}）已经结束，它的子进程 pid {child} 成了孤儿、被评测程序"
            f"（pid {seen.judge}）收养，可在 {REPORT_S:g} 秒内始终没有调用 report()（{how[1]}）。"
            "一旦 os.getppid() 不再是 fork 出它的那个父进程的 pid，孤儿进程就要调用 "
            "report(old_ppid, new_ppid)：不停查看 os.getppid() 的子进程几毫秒之内就能发现变化，"
            f"而 sleep 一段固定时间的子进程，不是报告得太晚，就是太早。{quick_zh}"
            "不要等 os.getppid() == 1："
            "收养孤儿进程的是离它最近的 subreaper，这里就是评测程序，而不是 init"
            f"{WAIT_ADOPT_ZH}。",
        )
    if seen.reporter != child:
        fail(
            en=f"report() was called by pid {seen.reporter}, but the caller's child was pid "
            f"{child} (the caller itself is pid {seen.caller}). The kernel tells the judge who "
            "sends a report: only the orphan itself, the child the caller forked, calls "
            f"report(), after its parent has ended {REPORT_EN}.",
            zh=f"调用 report() 的是 pid {seen.reporter}，而调用者的子进程是 pid {child}"
            f"（调用者自己是 pid {seen.caller}）。是谁发出的报告，内核会告诉评测程序：只有孤儿"
            f"进程自己，也就是调用者 fork 出来的那个子进程，才能在父进程结束之后调用 report()"
            f"{REPORT_ZH}。",
        )


def _how_it_ended(seen: Seen) -> tuple[str, str]:
    """How the orphan had ended when the judge looked (for messages)."""
    if seen.status is not None:
        status = ExitStatus.from_wait(seen.status)
        return (
            f"it had {status.describe()} without reporting",
            f"它没有报告就{status.describe('zh')}了",
        )
    return ("it was still running", "它还在运行")


def _check_adopted_while_running(seen: Seen) -> None:
    """When the report came, the orphan's parent was the judge, and it was running."""
    row = seen.reporter_row
    if seen.caller_running or (row is not None and row.ppid == seen.caller):
        fail(
            en=f"pid {seen.reporter} called report() while its parent, the caller pid "
            f"{seen.caller}, was still running (the judge held the caller after its fork). "
            "At that moment it was not an orphan yet. The child must wait until its parent "
            "has really ended, which it sees as os.getppid() no longer returning the pid of "
            "the process that forked it; only then does it call report(). A sleep of a fixed "
            "time is only a guess: on a busy machine the parent can outlive it "
            f"{WAIT_EN}.",
            zh=f"pid {seen.reporter} 调用 report() 的时候，它的父进程、也就是调用者 pid "
            f"{seen.caller}，还在运行（评测程序在 fork 之后把调用者拦住了一会儿）。那时它还"
            "不是孤儿进程。子进程必须等到父进程真正结束——表现为 os.getppid() 不再返回 fork 出"
            "它的那个进程的 pid——然后才能调用 report()。sleep 一段固定的时间只是在猜："
            f"机器一忙，父进程完全可能比这段时间活得更久{WAIT_ZH}。",
        )
    if row is None or row.zombie or row.ppid != seen.judge:
        fail(
            en=f"when pid {seen.reporter} called report() and waited for the judge's answer, "
            f"the judge found it {_describe(row)}"
            + (f" with parent pid {row.ppid}" if row is not None else "")
            + f", not running as the judge's adopted child (pid {seen.judge}). The orphan "
            "keeps running after its parent has ended, and report() returns once the judge "
            f"has answered {REPORT_ADOPT_EN}.",
            zh=f"pid {seen.reporter} 调用 report() 并等待评测程序回复时，评测程序看到它是 "
            f"{_describe(row)}"
            + (f"，父进程 pid {row.ppid}" if row is not None else "")
            + f"，而不是作为评测程序（pid {seen.judge}）收养的子进程在运行。父进程结束以后，"
            f"孤儿进程还要继续运行；评测程序回复之后 report() 才会返回{REPORT_ADOPT_ZH}。",
        )


def _check_report_says(seen: Seen) -> None:
    """The report names the old parent (the caller) and the new one (the judge)."""
    want = f"{seen.caller} {seen.judge}"
    if seen.line == want:
        return
    parts = (seen.line or "").split()
    old = parts[0] if parts else "?"
    new = parts[1] if len(parts) > 1 else "?"
    if new == old == str(seen.judge):
        fail(
            en=f"the orphan reported report({old}, {new}), the same pid twice: its new parent "
            f"(the judge, pid {seen.judge}) as the old one too. Here the parent left before "
            "the child's code ran, so a child that asks os.getppid() after the fork already "
            "gets its new parent. Take the parent's pid with os.getpid() BEFORE the fork: the "
            f"child gets a copy of that variable {WAIT_EN}.",
            zh=f"孤儿进程报告的是 report({old}, {new})，两次是同一个 pid：把新的父进程（评测程序，"
            f"pid {seen.judge}）也当成了原来的父进程。这次父进程在子进程的代码运行之前就退出了，"
            "所以子进程在 fork 之后再调用 os.getppid()，拿到的已经是新的父进程。要在 fork "
            f"之前用 os.getpid() 记下父进程的 pid：子进程会得到这个变量的一份副本{WAIT_ZH}。",
        )
    fail(
        en=f"the orphan reported report({old}, {new}); the judge saw its parent change from "
        f"pid {seen.caller} (the caller, which forked it) to pid {seen.judge} (the judge, "
        f"which adopted it): report({seen.caller}, {seen.judge}). The old pid is the parent's, "
        "taken before the fork; the new one is what os.getppid() returns once it has changed "
        f"{REPORT_EN}.",
        zh=f"孤儿进程报告的是 report({old}, {new})；评测程序看到它的父进程从 pid {seen.caller}"
        f"（fork 出它的调用者）变成了 pid {seen.judge}（收养它的评测程序），应当是 "
        f"report({seen.caller}, {seen.judge})。原来的 pid 是父进程的 pid，在 fork 之前记下；新的 "
        f"pid 是 os.getppid() 变化之后返回的值{REPORT_ZH}。",
    )


def _run(student, mode: str = HOLD, hold_s: float = 0.0) -> Seen:
    """One run, with the checks every test makes first."""
    seen = _watch(student, mode, hold_s)
    assert seen.outcome is not None
    see = Msg(f" {EXIT_EN}", EXIT_ZH)
    check_every_child_used_os_exit(seen.outcome.fell_through, see, "make_orphan")
    _check_parent(seen)
    _check_held(seen)
    _check_report_came(seen)
    return seen


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_the_child_outlives_its_parent(student):
    seen = _run(student, HOLD, SHORT_HOLD_S)
    _check_adopted_while_running(seen)


@pytest.mark.points(2)
def test_the_orphan_waits_for_the_change(student):
    seen = _run(student, HOLD, random.uniform(*LONG_HOLD_S))
    _check_adopted_while_running(seen)
    _check_report_says(seen)


@pytest.mark.points(2)
def test_a_parent_that_leaves_at_once(student):
    seen = _run(student, QUICK)
    _check_adopted_while_running(seen)
    _check_report_says(seen)


@pytest.mark.points(2)
def test_the_orphan_ends_cleanly(student):
    seen = _run(student, HOLD, SHORT_HOLD_S)
    _check_adopted_while_running(seen)
    pid = seen.reporter
    if seen.not_mine:
        fail(
            en=f"the judge could not wait for pid {pid}: it was not the judge's child. Only "
            "an orphan's new parent collects its exit status; the child the caller forked "
            f"is adopted when the caller ends {ADOPT_EN}.",
            zh=f"评测程序没法等待 pid {pid}：它不是评测程序的子进程。只有孤儿进程的新父进程才会"
            f"回收它的退出状态；调用者结束时，它 fork 出的子进程就会被收养{ADOPT_ZH}。",
        )
    if seen.status is None:
        fail(
            en=f"the orphan (pid {pid}) was still running {END_S:g} s after report() had "
            "returned. Its work is done: end it right after the report with os._exit(0), "
            f"in a finally. An orphan that never ends is a process nobody asked for {REPORT_EN}.",
            zh=f"report() 返回 {END_S:g} 秒之后，孤儿进程（pid {pid}）还在运行。它的活已经干完了："
            "报告之后立刻用 os._exit(0) 结束它，放在 finally 里。一个永远不结束的孤儿进程，"
            f"就是一个没人要的进程{REPORT_ZH}。",
        )
    status = ExitStatus.from_wait(seen.status)
    check(
        status.code == 0,
        en=f"the judge, the orphan's new parent, collected its exit status: it "
        f"{status.describe()}. After a report that went well, the orphan ends with "
        f"os._exit(0) {REPORT_EN}.",
        zh=f"评测程序作为孤儿进程的新父进程，回收了它的退出状态：它{status.describe('zh')}。"
        f"报告顺利完成之后，孤儿进程应当以 os._exit(0) 结束{REPORT_ZH}。",
    )
