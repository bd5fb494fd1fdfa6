"""Spec for exercise 05 — a SIGCHLD reaper. Run it with `grader check sigchld_reaper`.

The judge observes; the sandbox only acts. Every run is a started scenario in a sandbox
process, the *parent*; the judge holds the other end of every conversation:

* a channel (``grader.spec.channel``, a Unix socket the judge holds) that the parent and each
  of its children connect to. The kernel names the process at the other end of each
  connection (``SO_PEERCRED``); the judge reads that process in /proc when it accepts it, and
  never believes a pid it is told. The parent speaks one line per connection (``talk``) and
  the judge's answer is its next order: the parent answers the judge's work requests (sums
  only computing them produces). Each child says hello and then waits for the judge's word:
  it ends only when the judge tells it to, with the exit code the judge chose. So the judge
  decides when children end, alone or in a burst, and which exit status each one has. A line
  from a process that is not who it must be (the parent is the sandbox process; a child is a
  child of it that has not said hello before), or a second line on one connection (written by
  another process that inherited it), fails the test;
* the process table (``probe``): a child is *reaped* when it is gone from the table, a zombie
  while it shows state Z; the parent's SIGCHLD disposition is read from
  ``/proc/<pid>/status`` (``SigCgt`` / ``SigIgn``), not asked of the parent;
* a burst that really comes together: the judge stops the parent (SIGSTOP), ends several
  children, waits until each of them has ended, then lets the parent go on (SIGCONT). The
  children's SIGCHLD signals, all sent while the parent was stopped, are one pending signal:
  the parent's handler runs once for all of them, every time, on any machine;
* the parent's wake-ups, as the kernel counts them (``probe.voluntary_switches``: one each
  time it goes to sleep). Before a child of a one-at-a-time series ends, the judge waits
  until the parent sleeps in its wait for the judge, watches it QUIET_S with no child ending,
  ends the child, and waits until it is reaped and the parent sleeps again: a parent that
  reaps in its SIGCHLD handler has slept once more (none with SIG_IGN), one that a timer
  wakes to poll at least twice (a tick in the quiet window, or the tick that reaps after the
  SIGCHLD's own wake-up).

The only values the parent reports that a verdict reads are the exit statuses it collected,
which the judge chose and imposed itself. Nothing waits with a sleep.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
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
    holds_within,
    probe,
    syscalls,
    wait_until,
)

GIVE_UP_S = 12.0  # a parent or child that hears nothing from the judge for this long gives up
ANSWER_S = 4.0  # how long the judge waits for the parent to answer or ask
REAPED_S = 3.0  # how long the judge waits for an ended child to leave the process table
STOPPED_S = 3.0  # how long the judge waits for the stopped parent, or a child, to get there
QUIET_S = 0.15  # how long the judge watches the parent wait, no child ending, before it ends one
WORK_SPAN = (20_000, 40_000)  # a work request: the size of the sum the parent computes

# README references (checked by `grader verify` against the headings of both READMEs).
P1_EN = "(README: 'Part 1 — a reaper in a SIGCHLD handler')"
P1_ZH = "（README.zh-CN:「第一部分：在 SIGCHLD 处理函数里回收」）"
LOOP_EN = "(README: 'Signals do not queue: loop in the handler')"
LOOP_ZH = "（README.zh-CN:「信号不排队：在处理函数里循环」）"
BLOCK_EN = "(README: 'Never block in the handler')"
BLOCK_ZH = "（README.zh-CN:「处理函数里不能阻塞」）"
STATUS_EN = "(README: 'Exit statuses')"
STATUS_ZH = "（README.zh-CN:「退出状态」）"
RESTORE_EN = "(README: 'Put the old disposition back')"
RESTORE_ZH = "（README.zh-CN:「恢复原来的处理方式」）"
P2_EN = "(README: 'Part 2 — a parent that keeps serving')"
P2_ZH = "（README.zh-CN:「第二部分：一直干活的父进程」）"
IGN_EN = "(README: 'SIG_IGN: let the kernel reap')"
IGN_ZH = "（README.zh-CN:「SIG_IGN：让内核来回收」）"
EXIT_EN = "(README: 'End every child with `os._exit`')"
EXIT_ZH = "（README.zh-CN:「每个子进程都用 `os._exit` 结束」）"


def _work(n: int) -> int:
    """The parent's other work, one request of it: a sum only computing it produces."""
    return sum(i * i % 97 for i in range(n))


# -- the sandbox side: the parent's and the children's ends of the conversation -------------


def _say(address: str, line: str) -> str | None:
    """Say one line to the judge on a connection of its own; its answer, or None when the
    judge is gone or silent for GIVE_UP_S.

    A signal handler that raises (ChildProcessError from a wait...) raises out of here: it
    interrupted this wait, as it would interrupt any code of the program.
    """
    try:
        answer = channel.talk(address, line, timeout=GIVE_UP_S)
    except (TimeoutError, ConnectionError):  # silent, or gone (not ChildProcessError)
        return None
    return answer or None


def _obey(address: str, line: str) -> str | None:
    """Say ``line``, then answer the judge's work requests; the first other order (or None)."""
    order = _say(address, line)
    while order is not None and order.startswith("work "):
        order = _say(address, f"done {_work(int(order.split()[1]))}")
    return order


def _child_life(address: str) -> int:
    """A child's whole life: say hello to the judge, wait for its word, return its exit code.

    The judge answers ``exit <code>``; a child that hears nothing for GIVE_UP_S ends with 99.
    The pid in the hello is only a cross-check: the judge asks the kernel who connected.
    """
    try:
        order = _say(address, f"child {os.getpid()}")
    except OSError:
        return 99
    if order is None or not order.startswith("exit "):
        return 99
    return int(order.split()[1])


def _describe(statuses: object) -> str:
    """What the parent's dict holds, as JSON (a dict of str(pid) -> code), or its repr."""
    if isinstance(statuses, dict) and all(
        type(k) is int and type(v) is int for k, v in statuses.items()
    ):
        return json.dumps({str(k): v for k, v in statuses.items()})
    return json.dumps(repr(statuses)[:300])


def _reaper_scenario(module: ModuleType, address: str, before: str) -> object:
    """Scenario, Part 1: the judge's program around ``install_reaper``.

    Sets SIGCHLD to ``before`` ("default" or "ignore"), installs the student's reaper with a
    fresh dict, then obeys the judge: ``fork N`` (N children that live as the judge says),
    ``work N``, ``statuses``, ``restore``, ``bye``. Each line it says is answered with the
    next order.
    """
    caller = os.getpid()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN if before == "ignore" else signal.SIG_DFL)
    statuses: dict[int, int] = {}
    restore = module.install_reaper(statuses)
    if os.getpid() != caller:
        return None
    say = "installed"
    while True:
        order = _obey(address, say)
        if order is None:
            return None
        word, _, arg = order.partition(" ")
        if word == "fork":
            for _ in range(int(arg)):
                if os.fork() == 0:
                    code = 99
                    try:
                        code = _child_life(address)
                    finally:
                        os._exit(code)
            say = "forked"
        elif word == "statuses":
            say = f"statuses {_describe(statuses)}"
        elif word == "restore":
            restore()
            if os.getpid() != caller:
                return None
            say = "restored"
        elif word == "bye":
            return "bye"
        else:
            return None


def _serve_scenario(module: ModuleType, address: str) -> object:
    """Scenario, Part 2: ``serve(next_job)`` where each job is a child's life the judge rules.

    ``next_job()`` says ``next`` to the judge, answers its work requests, and returns a job on
    ``job`` (the job waits for the judge's word and returns), None on ``end``. After serve
    returns, the parent says ``returned <value>`` and waits for ``bye``.
    """
    caller = os.getpid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def job() -> None:
        _child_life(address)

    def next_job():
        if os.getpid() != caller:
            return None  # a child running the parent's loop gets no job
        return job if _obey(address, "next") == "job" else None

    value = module.serve(next_job)
    if os.getpid() != caller:
        return None
    shown = json.dumps(value) if type(value) is int else json.dumps(repr(value))
    _obey(address, f"returned {shown}")  # then answers work until the judge says bye
    return value


# -- the judge's side ---------------------------------------------------------------------------


def _disposition(pid: int) -> str:
    """The SIGCHLD disposition of ``pid`` as the kernel holds it: handler, ignored or default."""
    return probe.disposition(pid, signal.SIGCHLD)


DISPOSITION_EN = {
    "handler": "a handler",
    "ignored": "SIG_IGN",
    "default": "SIG_DFL",
    "gone": "unknown: the process had ended",
}
DISPOSITION_ZH = {
    "handler": "一个处理函数",
    "ignored": "SIG_IGN",
    "default": "SIG_DFL",
    "gone": "未知：进程已经结束",
}


class _Judge:
    """The judge's end of every conversation: a channel the parent and every child connect to.

    The test owns the channel and closes it (every connection with it) in :meth:`close`.
    Nothing of it runs in a thread: :meth:`pump` accepts and reads whatever came, with a
    deadline. Who said a line is what the kernel says (``peer.pid``) and what /proc showed at
    the accept (``peer.row``): the parent is the sandbox process (``running.pid``); a child is
    a process whose parent it is, saying hello once. Anything else is an impostor, and the
    test fails on it.
    """

    def __init__(self, where: tuple[str, str]) -> None:
        self.channel = channel.Channel("05")
        self.address = self.channel.address
        self.where = where  # the README section the run is about: (en, zh)
        self.running: Running | None = None
        self.lines: list[channel.Said] = []  # the parent's lines, not yet taken
        self.asking: channel.Peer | None = None  # the parent's connection awaiting an order
        self.children: dict[int, channel.Peer] = {}  # pid -> its connection
        self.order: list[int] = []  # children in the order they said hello

    def close(self) -> None:
        self.channel.close()

    def pump(self, timeout: float) -> None:
        """Accept and read what came within ``timeout`` seconds; judge who said each line."""
        assert self.running is not None
        caller = self.running.pid
        for said in self.channel.new_lines(max(0.0, timeout)):
            peer = said.peer
            if len(peer.lines) > 1:
                self._second_line(peer, caller)
            if said.text.startswith("child"):
                self._hello(peer, said.text, caller)
            elif peer.pid == caller:
                self.lines.append(said)
            else:
                self._not_the_parent(peer, said.text, caller)

    def _second_line(self, peer: channel.Peer, caller: int) -> None:
        en_where, zh_where = self.where
        first, second = peer.lines[0][:60], peer.lines[1][:60]
        fail(
            en=f"a second line came on one connection to the judge: pid {peer.pid} opened it "
            f"to say {first!r}, then {second!r} came on it. Here every line has a connection "
            "of its own, and the judge's answer to it is the next order: a second line was "
            "written by another process, one that inherited the connection (a child forked "
            "while the parent waited on it), speaking for the parent. The judge asks the "
            "kernel who connected (SO_PEERCRED), not who writes: only the parent answers for "
            "the parent. If it is stuck (a handler that blocks in os.waitpid(-1, 0)), a "
            f"stand-in does not unstick it {BLOCK_EN}{en_where}.",
            zh=f"评测程序的一个连接上来了第二行：pid {peer.pid} 建立这个连接说了 {first!r}，"
            f"随后这个连接上又来了 {second!r}。这里每一行都有自己的连接，评测程序对它的回答就是"
            "下一条指令：第二行是另一个进程写的——它继承了这个连接（父进程在这个连接上等待时"
            "fork 出来的子进程），在替父进程说话。评测程序问的是内核谁建立了连接（SO_PEERCRED），"
            "而不是谁在写：父进程的话只能由父进程自己说。父进程如果卡住了（处理函数阻塞在 "
            f"os.waitpid(-1, 0) 里），找个替身也解决不了问题{BLOCK_ZH}{zh_where}。",
        )

    def _not_the_parent(self, peer: channel.Peer, text: str, caller: int) -> None:
        en_where, zh_where = self.where
        who = peer.row.describe() if peer.row is not None else f"pid {peer.pid}"
        fail(
            en=f"the judge heard {text[:60]!r} from {who}, not from the parent (pid "
            f"{caller}, your function's process): the kernel names the process that connects "
            "(SO_PEERCRED). Another process spoke for the parent; only the parent itself "
            f"answers the judge, and only a child it forked for a job says hello{en_where}.",
            zh=f"评测程序收到的 {text[:60]!r} 来自 {who}，而不是父进程（pid {caller}，"
            "也就是你的函数所在的进程）：连接是哪个进程建立的，内核会告诉评测程序（SO_PEERCRED）。"
            "有别的进程在替父进程说话；只有父进程自己能回应评测程序，也只有它为任务 fork 出来的"
            f"子进程才会来打招呼{zh_where}。",
        )

    def _hello(self, peer: channel.Peer, text: str, caller: int) -> None:
        en_where, zh_where = self.where
        row = peer.row
        if row is None or row.ppid != caller or row.zombie:
            what = "the parent itself" if peer.pid == caller else "not a child of the parent"
            zh_what = "就是父进程本身" if peer.pid == caller else "并不是父进程的子进程"
            fail(
                en=f"a job said hello from pid {peer.pid}, which was {what} (pid {caller}; the "
                "kernel named the process that connected, and /proc its parent): run each "
                "job in a child you fork, where os.fork() returned 0, never in the parent or "
                f"in a thread{en_where}.",
                zh=f"有任务是从 pid {peer.pid} 里发来问候的，它{zh_what}（父进程的 pid 是 "
                f"{caller}；连接是哪个进程建立的由内核告诉评测程序，它的父进程由 /proc 给出）：每个"
                "任务都要在你 fork 出来的子进程里运行（os.fork() 返回 0 的那一边），不能在父进程"
                f"里或线程里运行{zh_where}。",
            )
        if text != f"child {peer.pid}":
            fail(
                en=f"a job in pid {peer.pid}, a child of the parent, said hello as "
                f"{text[:40]!r}: its os.getpid() did not name its own process (a thread id, or "
                "os.getpid replaced). The judge asks the kernel which process connected "
                "(SO_PEERCRED), and that process is the job's child: run each job in a child "
                f"of its own, and leave os.getpid alone{en_where}.",
                zh=f"pid {peer.pid}（父进程的一个子进程）里的任务打招呼时说的是 {text[:40]!r}："
                "它的 os.getpid() 给出的不是它自己的进程号（是线程号，或者 os.getpid 被替换了）。"
                "评测程序问的是内核哪个进程建立了连接（SO_PEERCRED），那个进程才是这个任务的"
                f"子进程：每个任务都要有自己的子进程，也不要去动 os.getpid{zh_where}。",
            )
        if peer.pid in self.children:
            fail(
                en=f"pid {peer.pid}, a child of the parent, said hello for a second job: one "
                "process ran two jobs. The judge counts the processes that connect (the "
                "kernel names each one), not the hellos: fork a child for every job, and "
                f"end it with os._exit when its job is done{en_where}.",
                zh=f"pid {peer.pid}（父进程的一个子进程）为第二个任务又打了一次招呼：一个进程"
                "跑了两个任务。评测程序数的是建立连接的进程（每一个都由内核说出是谁），而不是"
                f"招呼：每个任务 fork 一个子进程，任务完成后用 os._exit 结束它{zh_where}。",
            )
        self.children[peer.pid] = peer
        self.order.append(peer.pid)

    def wait(self, condition, timeout: float) -> bool:
        """Pump until ``condition()`` holds (True) or ``timeout`` passes, or the run ends."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0 or (self.running is not None and self.running.finished()):
                self.pump(0)
                return bool(condition())
            self.pump(min(left, 0.05))
        return True

    def send(self, line: str) -> None:
        """The judge's next order: the answer to what the parent said last."""
        if self.asking is not None:
            self.asking.answer(line)
            self.asking = None

    def tell(self, pid: int, code: int) -> None:
        """Tell child ``pid`` to end now with exit code ``code``."""
        self.children[pid].answer(f"exit {code}")

    def next_line(self, timeout: float) -> str | None:
        if self.wait(lambda: bool(self.lines), timeout):
            said = self.lines.pop(0)
            self.asking = said.peer
            return said.text
        return None


def _start(student, scenario, *args) -> tuple[_Judge, Running]:
    part1 = scenario is _reaper_scenario
    judge = _Judge((f" {P1_EN}", P1_ZH) if part1 else (f" {P2_EN}", P2_ZH))
    label = "install_reaper(statuses)" if part1 else "serve(next_job)"
    try:
        running = student.options(label=label).start_scenario(scenario, judge.address, *args)
    except BaseException:
        judge.close()
        raise
    judge.running = running
    return judge, running


def _ended_run(running: Running) -> None:
    """The parent's run ended (or broke its connection) when the judge expected more: say why."""
    outcome = running.stop()
    check_every_child_used_os_exit(outcome.fell_through, Msg(f" {EXIT_EN}", EXIT_ZH))
    if outcome.raised("ChildProcessError") and not outcome.error.todo:
        fail(
            en=f"{running.label}: ChildProcessError came out of the program, in the middle of "
            "its work:\n"
            f"{outcome.error.traceback}\nOnce the last child is reaped, the next "
            "os.waitpid(-1, os.WNOHANG) raises ChildProcessError (no child at all). An "
            "exception that leaves a signal handler comes out of whatever line the program "
            f"was running: catch it in the handler and return {BLOCK_EN}.",
            zh=f"{running.label}：程序在干活的时候冒出了 ChildProcessError：\n"
            f"{outcome.error.traceback}\n最后一个子进程被回收以后，下一次 "
            "os.waitpid(-1, os.WNOHANG) 会抛出 ChildProcessError（一个子进程都没有了）。从信号处理"
            "函数里跑出来的异常，会从程序当时正在执行的那一行冒出来：要在处理函数里捕获它，然后返回"
            f"{BLOCK_ZH}。",
        )
    if outcome.error is not None or not outcome.returned:
        raise outcome.as_problem()
    fail(
        en=f"{running.label} ended its conversation with the judge early (the scenario "
        f"returned {outcome.value!r}).",
        zh=f"{running.label} 提前结束了与评测程序的对话（场景返回了 {outcome.value!r}）。",
    )


def _expect(judge: _Judge, running: Running, word: str, en: str, zh: str) -> str:
    """The parent's next line, which must start with ``word``; else fail with en/zh."""
    line = judge.next_line(ANSWER_S)
    if line is None:
        if running.finished():
            _ended_run(running)
        running.time_out()
        fail(en=en, zh=zh)
    if line.split(" ")[0] != word:
        fail(
            en=f"{running.label}: the judge expected '{word}' from the parent and got "
            f"{line[:80]!r}. {en}",
            zh=f"{running.label}：评测程序等的是父进程的 '{word}'，收到的却是 {line[:80]!r}。{zh}",
        )
    return line


def _work_answered(judge: _Judge, running: Running, alive: int, en_where: str, zh_where: str):
    """Send one work request; the parent must answer it, right, while children live."""
    n = random.randint(*WORK_SPAN)
    judge.send(f"work {n}")
    line = _expect(
        judge,
        running,
        "done",
        en=f"the parent did not answer a work request within {ANSWER_S:g} s, while "
        f"{alive} of its children were still running. It was stuck: a handler that waits "
        "with os.wait() or os.waitpid(pid, 0) blocks until the next child ends, and the "
        "program it interrupted stops until then. Wait with os.waitpid(-1, os.WNOHANG): it "
        f"returns (0, 0) at once when no child has ended {BLOCK_EN}{en_where}.",
        zh=f"父进程在 {ANSWER_S:g} 秒内没有回应评测程序的工作请求，而当时它还有 {alive} 个子进程"
        "在运行。父进程卡住了：处理函数里用 os.wait() 或 os.waitpid(pid, 0) 等待，"
        "会一直阻塞到下一个子进程结束，被它打断的主程序也就跟着停在那里。"
        "要用 os.waitpid(-1, os.WNOHANG)：没有子进程"
        f"结束时它立即返回 (0, 0){BLOCK_ZH}{zh_where}。",
    )
    check(
        line == f"done {_work(n)}",
        en=f"the parent answered a work request with {line!r}, not 'done {_work(n)}'.",
        zh=f"父进程对工作请求的回答是 {line!r}，而不是 'done {_work(n)}'。",
    )


def _ended(pid: int, parent: int) -> bool:
    """True once child ``pid`` has ended: a zombie, or gone from the table (reaped)."""
    row = probe.read(pid)
    return row is None or row.ppid != parent or row.zombie


def _reaped(pid: int, parent: int) -> bool:
    row = probe.read(pid)
    return row is None or row.ppid != parent


def _zombies_of(pids: list[int], parent: int) -> list[probe.Proc]:
    rows = [probe.read(pid) for pid in pids]
    return [r for r in rows if r is not None and r.ppid == parent and r.zombie]


def _children(
    judge: _Judge, running: Running, have: int, count: int, en_where: str, zh_where: str
) -> list[int]:
    """Wait until ``count`` children more than ``have`` have said hello; their pids, in order."""
    if not judge.wait(lambda: len(judge.order) >= have + count, ANSWER_S):
        if running.finished():
            _ended_run(running)
        fail(
            en=f"the judge waited {ANSWER_S:g} s for {count - have} more child(ren) to start "
            f"and saw {len(judge.order) - have} {en_where}.",
            zh=f"评测程序等了 {ANSWER_S:g} 秒，等 {count - have} 个子进程启动，只看到了 "
            f"{len(judge.order) - have} 个{zh_where}。",
        )
    return judge.order[have : have + count]


_WAIT_CALLS = ("wait4", "waitid")


def _thread_doing(pid: int, tid: str) -> tuple[str, str]:
    """What thread ``tid`` of ``pid`` is doing, as the kernel says (for the message only)."""
    wchan = probe.wait_channel(pid, int(tid))
    try:
        calls = {c.tid: c.name for c in syscalls.threads(pid) or []}
    except syscalls.Hidden:
        calls = {}
    call = calls.get(int(tid), "")
    if not wchan and not call:  # gone, or the judge may not read it
        return f"thread {tid}", f"线程 {tid}"
    if wchan == "do_wait" or call in _WAIT_CALLS:
        name = call if call in _WAIT_CALLS else "wait"
        return (
            f"thread {tid} (blocked in {name}: waiting for a child)",
            f"线程 {tid}（阻塞在 {name} 里：在等子进程）",
        )
    return f"thread {tid} ({wchan or 'running'})", f"线程 {tid}（{wchan or '在运行'}）"


def _check_one_thread(running: Running, en_where: str, zh_where: str) -> None:
    """While children live and the parent waits for the judge, the parent has one thread:
    only its SIGCHLD handler, run in that thread, can reap. A second thread (one that waits
    for children beside a handler that does nothing) is not the handler reaping."""
    parent = running.pid
    try:
        tids = sorted(os.listdir(f"/proc/{parent}/task"), key=int)
    except OSError:
        return  # gone: the caller of this check sees why
    others = [tid for tid in tids if tid != str(parent)]
    if not others:
        return
    doing = [_thread_doing(parent, tid) for tid in others]
    seen, seen_zh = "; ".join(en for en, _ in doing), "；".join(zh for _, zh in doing)
    if P1_EN in en_where:
        en_where, zh_where = "", ""  # named below
    fail(
        en=f"while children of the parent ran and it waited for the judge, the parent (pid "
        f"{parent}) had {len(tids)} threads, not one (the judge read /proc/{parent}/task): "
        f"{seen}. Here the reaping is the SIGCHLD handler's job (or, in serve, the kernel's "
        "with SIG_IGN): the handler runs in the parent's main thread when a child ends and "
        "collects it with os.waitpid(-1, os.WNOHANG). A thread that waits for children in "
        "the background reaps them, but not in the handler, and a handler that does nothing "
        f"reaps nothing {P1_EN}{en_where}.",
        zh=f"父进程的子进程在运行、父进程在等评测程序的时候，父进程（pid {parent}）有 "
        f"{len(tids)} 个线程，而不是一个（评测程序读的是 /proc/{parent}/task）：{seen_zh}。"
        "这里回收是 SIGCHLD 处理函数的事（在 serve 里也可以用 SIG_IGN 交给内核）：子进程结束时，"
        "处理函数在父进程的主线程里运行，"
        "用 os.waitpid(-1, os.WNOHANG) 把它回收。在后台等待子进程的线程虽然也能回收，"
        f"但那不是在处理函数里回收；什么都不做的处理函数什么也回收不了{P1_ZH}{zh_where}。",
    )


# The calls the parent waits for the judge's answer in (``channel.read_line``: a select).
_JUDGE_WAITS = syscalls.SELECTS | syscalls.POLLS | syscalls.EPOLLS | set(syscalls.RECEIVES)


def _asleep(pid: int) -> bool:
    """True while ``pid`` sleeps in the kernel waiting for the judge's answer (state S, in a
    select or a receive where the kernel says which call; state S alone where it does not)."""
    row = probe.read(pid)
    if row is None or row.state != "S":
        return False
    try:
        calls = syscalls.threads(pid)
    except syscalls.Hidden:
        return True
    if not calls:
        return True  # the judge cannot tell which call: the state is what it has
    return calls[0].blocked and calls[0].name in _JUDGE_WAITS


def _sleeping_count(running: Running, en_where: str, zh_where: str) -> int | None:
    """The parent's voluntary context switches, read once it sleeps waiting for the judge
    (each sleep it enters adds one); None where the kernel does not say."""
    parent = running.pid
    if not holds_within(lambda: _asleep(parent), ANSWER_S):
        if running.finished() or probe.read(parent) is None:
            _ended_run(running)
        if P1_EN in en_where:
            en_where, zh_where = "", ""  # named below
        fail(
            en=f"the parent (pid {parent}) waited for the judge's answer and the judge never "
            f"saw it asleep in {ANSWER_S:g} s (state S, blocked in the select of the "
            "judge's program, read in /proc): it kept running. While no child ends, a parent "
            "has nothing to do: its SIGCHLD handler runs only when the kernel sends SIGCHLD, "
            f"and nothing of yours runs in between {P1_EN}{en_where}.",
            zh=f"父进程（pid {parent}）在等评测程序回答，可评测程序在 {ANSWER_S:g} 秒内一次也没有"
            "看到它睡着（状态 S，阻塞在评测程序那段代码的 select 里，从 /proc 读到）：它一直在"
            "运行。没有子进程结束的时候，父进程无事可做：SIGCHLD 处理函数只在内核发来 SIGCHLD "
            f"时才运行，其余时间你的代码一行也不该运行{P1_ZH}{zh_where}。",
        )
    return probe.voluntary_switches(parent)


def _check_woken_once(before: int | None, after: int | None, en_where: str, zh_where: str):
    """Between a look at the sleeping parent, a quiet QUIET_S, one child's end and its reaping,
    the parent may have slept once more, no more: the SIGCHLD woke it, its handler reaped,
    and it went back to waiting (none with SIG_IGN: the kernel reaps, nobody wakes)."""
    if before is None or after is None or after - before <= 1:
        return
    woke = after - before
    if P1_EN in en_where:
        en_where, zh_where = "", ""  # named below
    fail(
        en=f"the judge watched the parent wait for {QUIET_S:g} s while no child ended, then "
        f"ended one child; until that child was reaped and the parent slept again, the parent "
        f"had woken {woke} times (the kernel counts each sleep it goes into: "
        "voluntary_ctxt_switches in /proc/<pid>/task/*/status). A parent that reaps in its "
        "SIGCHLD handler wakes once: the SIGCHLD interrupts its wait, the handler collects "
        "the child, it waits again. More wake-ups are something else waking it: a timer "
        "(signal.setitimer, signal.alarm) or a loop that polls os.waitpid(-1, os.WNOHANG) "
        "every so often, which reaps late and keeps an idle parent busy. Reap in the SIGCHLD "
        f"handler itself, and set no timer {P1_EN}{en_where}.",
        zh=f"评测程序先看着父进程等了 {QUIET_S:g} 秒（这期间没有子进程结束），然后结束了一个子"
        f"进程；直到那个子进程被回收、父进程重新睡下，父进程一共醒了 {woke} 次（内核会数它"
        "每一次进入睡眠：/proc/<pid>/task/*/status 里的 voluntary_ctxt_switches）。在 SIGCHLD "
        "处理函数里回收的父进程只会醒一次：SIGCHLD 打断它的等待，处理函数回收子进程，它接着等。"
        "多出来的唤醒是别的东西叫醒了它：定时器（signal.setitimer、signal.alarm），或者隔一会儿"
        "就用 os.waitpid(-1, os.WNOHANG) 轮询一次的循环——回收得晚，还让空闲的父进程忙个不停。"
        f"要在 SIGCHLD 处理函数里直接回收，不要设定时器{P1_ZH}{zh_where}。",
    )


def _one_by_one(judge, running, pids, codes, en_where, zh_where) -> None:
    """End the children one at a time; each must be reaped, and work answered, before the next.

    Before each child ends, the judge reads the sleeping parent's wake-ups and watches it
    wait QUIET_S with no child ending; after the child is reaped and the parent sleeps again,
    it may have woken once (the SIGCHLD), no more (a timer that polls wakes every tick)."""
    parent = running.pid
    for k, (pid, code) in enumerate(zip(pids, codes, strict=True)):
        _check_one_thread(running, en_where, zh_where)  # the child lives, the parent waits
        before = _sleeping_count(running, en_where, zh_where)
        # A quiet window: no child ends, so nothing should wake the parent; it ends early
        # when something does (a timer's tick), and the count below shows it.
        holds_within(
            lambda before=before: probe.voluntary_switches(parent) != before,
            QUIET_S,
            max_interval=0.01,
        )
        judge.tell(pid, code)
        if not holds_within(lambda pid=pid: _reaped(pid, parent), REAPED_S):
            row = probe.read(pid)
            state = row.describe() if row is not None else f"pid {pid}"
            fail(
                en=f"the judge ended one child of the parent ({state}) and it was still "
                f"not reaped {REAPED_S:g} s later, while the parent ran. Nobody collected its "
                "exit status: the SIGCHLD handler did not run, or did not wait for it. Install "
                "a handler with signal.signal(signal.SIGCHLD, handler) and, in it, collect "
                f"every ended child with os.waitpid(-1, os.WNOHANG) {en_where}.",
                zh=f"评测程序结束了父进程的一个子进程（{state}），"
                f"{REAPED_S:g} 秒后它仍然没有被回收，"
                "而父进程一直在运行。没有人取走它的退出状态：SIGCHLD 处理函数没有运行，或者没有"
                "等待它。用 signal.signal(signal.SIGCHLD, handler) 安装处理函数，在函数里用 "
                f"os.waitpid(-1, os.WNOHANG) 回收每一个已经结束的子进程{zh_where}。",
            )
        after = _sleeping_count(running, en_where, zh_where)
        _check_woken_once(before, after, en_where, zh_where)
        _work_answered(judge, running, len(pids) - k - 1, en_where, zh_where)


def _burst(judge: _Judge, running: Running, pids: list[int], codes: list[int]) -> None:
    """End ``pids`` together while the parent is stopped: one SIGCHLD for all of them."""
    parent = running.pid
    _check_one_thread(running, *judge.where)  # the children live, the parent waits
    running.send_signal(signal.SIGSTOP)
    try:
        wait_until(
            lambda: (row := probe.read(parent)) is None or row.state in "Tt",
            STOPPED_S,
            "the parent did not stop on SIGSTOP",
        )
        for pid, code in zip(pids, codes, strict=True):
            judge.tell(pid, code)
        wait_until(
            lambda: all(_ended(pid, parent) for pid in pids),
            STOPPED_S,
            "the children of the burst did not end",
        )
    finally:
        running.send_signal(signal.SIGCONT)


def _check_burst_reaped(running: Running, pids: list[int], en_where: str, zh_where: str) -> None:
    parent = running.pid
    if holds_within(lambda: not _zombies_of(pids, parent), REAPED_S):
        return
    left = _zombies_of(pids, parent)
    fail(
        en=f"{len(pids)} children ended together while the parent could not run; when it "
        f"went on, {len(left)} of them stayed zombies: {probe.describe_all(left)}. Signals "
        "of one kind do not queue up: while one SIGCHLD is pending, more children ending add "
        "nothing, so one SIGCHLD may stand for many ended children. A handler that calls "
        "waitpid once per signal collects one and leaves the rest. Loop in the handler: "
        "os.waitpid(-1, os.WNOHANG) until it returns (0, 0) or raises ChildProcessError "
        f"{LOOP_EN}{en_where}.",
        zh=f"父进程无法运行的时候，{len(pids)} 个子进程一起结束了；父进程继续运行以后，其中 "
        f"{len(left)} 个一直是僵尸：{probe.describe_all(left)}。同一种信号不会排队：一个 SIGCHLD "
        "还没处理时，再有子进程结束也不会多出新的信号，所以一个 SIGCHLD 可能代表好几个已经结束的"
        "子进程。处理函数每收到一次信号只 waitpid 一次，就只能回收一个，剩下的都成了僵尸。要在"
        "处理函数里循环：反复调用 os.waitpid(-1, os.WNOHANG)，直到它返回 (0, 0) 或抛出 "
        f"ChildProcessError{LOOP_ZH}{zh_where}。",
    )


def _finish(judge: _Judge, running: Running) -> Outcome:
    judge.send("bye")
    holds_within(running.finished, ANSWER_S)
    outcome = running.stop()
    check_every_child_used_os_exit(outcome.fell_through, Msg(f" {EXIT_EN}", EXIT_ZH))
    if outcome.error is not None:
        raise outcome.as_problem()
    return outcome


def _codes(rng: random.Random, n: int) -> list[int]:
    """n distinct exit codes the judge chooses: 0 and 1..255 drawn at random."""
    return [0, *rng.sample(range(1, 256), n - 1)]


# -- Part 1: install_reaper ---------------------------------------------------------------------


def _installed(student, before: str = "default") -> tuple[_Judge, Running]:
    """Start Part 1 and wait until install_reaper has returned; the handler must be there."""
    judge, running = _start(student, _reaper_scenario, before)
    _expect(
        judge,
        running,
        "installed",
        en=f"install_reaper(statuses) did not return within {ANSWER_S:g} s. It installs "
        f"the handler and returns at once {P1_EN}.",
        zh=f"install_reaper(statuses) 没有在 {ANSWER_S:g} 秒内返回。它只需要安装处理函数，然后立刻"
        f"返回{P1_ZH}。",
    )
    now = _disposition(running.pid)
    check(
        now == "handler",
        en=f"after install_reaper returned, the parent's SIGCHLD disposition was "
        f"{DISPOSITION_EN[now]}, not a handler (the judge read it in /proc/{running.pid}/status). "
        "install_reaper must collect exit statuses, so it needs a function of its own to run "
        "when a child ends: signal.signal(signal.SIGCHLD, handler). A thread that waits, or "
        "SIG_IGN, is not that (SIG_IGN throws the statuses away) "
        f"{P1_EN}.",
        zh=f"install_reaper 返回以后，父进程对 SIGCHLD 的处理方式是{DISPOSITION_ZH[now]}，"
        f"而不是处理函数（评测程序是从 /proc/{running.pid}/status 里读到的）。install_reaper 要收集"
        "退出状态，所以子进程结束时必须运行你自己的函数：signal.signal(signal.SIGCHLD, handler)。"
        f"用线程去等待或者设成 SIG_IGN 都不行（SIG_IGN 会把退出状态直接丢掉）{P1_ZH}。",
    )
    return judge, running


def _fork(judge: _Judge, running: Running, n: int) -> list[int]:
    have = len(judge.order)
    judge.send(f"fork {n}")
    _expect(judge, running, "forked", en="the parent did not fork.", zh="父进程没有 fork。")
    return _children(judge, running, have, n, P1_EN, P1_ZH)


def _statuses(judge: _Judge, running: Running) -> object:
    judge.send("statuses")
    line = _expect(
        judge,
        running,
        "statuses",
        en="the parent did not answer.",
        zh="父进程没有回应。",
    )
    return json.loads(line.partition(" ")[2])


@pytest.mark.points(2)
def test_handler_reaps_each_child_while_the_parent_works(student):
    judge, running = _installed(student)
    try:
        pids = _fork(judge, running, 3)
        _work_answered(judge, running, 3, f" {P1_EN}", P1_ZH)
        _one_by_one(judge, running, pids, _codes(random.Random(), 3), f" {P1_EN}", P1_ZH)
        _finish(judge, running)
    finally:
        judge.close()


@pytest.mark.points(3)
def test_handler_reaps_a_whole_burst(student):
    judge, running = _installed(student)
    try:
        pids = _fork(judge, running, 6)
        burst, last = pids[:5], pids[5]
        _burst(judge, running, burst, _codes(random.Random(), 5))
        _work_answered(judge, running, 1, f" {LOOP_EN}", LOOP_ZH)
        _check_burst_reaped(running, burst, f" {P1_EN}", P1_ZH)
        _one_by_one(judge, running, [last], [3], f" {P1_EN}", P1_ZH)
        _finish(judge, running)
    finally:
        judge.close()


@pytest.mark.points(2)
def test_exit_statuses_are_the_ones_the_judge_chose(student):
    rng = random.Random()
    judge, running = _installed(student)
    try:
        pids = _fork(judge, running, 6)
        codes = _codes(rng, 4)
        killed = {pids[4]: signal.SIGKILL, pids[5]: signal.SIGTERM}
        expected = {str(pid): code for pid, code in zip(pids, codes, strict=False)}
        expected.update({str(pid): -int(sig) for pid, sig in killed.items()})
        _burst(judge, running, pids[:2], codes[:2])
        _work_answered(judge, running, 4, f" {P1_EN}", P1_ZH)
        _check_burst_reaped(running, pids[:2], f" {STATUS_EN}", STATUS_ZH)
        _one_by_one(judge, running, pids[2:4], codes[2:4], f" {P1_EN}", P1_ZH)
        for pid, sig in killed.items():
            os.kill(pid, sig)  # the judge itself ends these two: killed by a signal
        wait_until(
            lambda: all(_reaped(pid, running.pid) for pid in killed),
            REAPED_S,
            "the children killed by the judge were not reaped",
        )
        got = _statuses(judge, running)
        shown = {int(k): v for k, v in expected.items()}
        if isinstance(got, dict) and set(got) == set(expected):
            raw = [p for p, c in expected.items() if c > 0 and got[p] == c << 8]
            check(
                not raw,
                en=f"the judge chose the exit codes {shown} (pid: code) and the statuses held "
                f"{ {int(k): v for k, v in got.items()} }: for pids {raw} you stored the raw "
                "wait status, where the exit code sits in the second byte (code << 8). "
                f"Decode it with os.waitstatus_to_exitcode(status) {STATUS_EN}.",
                zh=f"评测程序选定的退出码是 {shown}（pid: 退出码），statuses 里存的却是 "
                f"{ {int(k): v for k, v in got.items()} }：对 pid {raw} 你存的是原始的等待状态，"
                "退出码在它的第二个字节里（code << 8）。要用 os.waitstatus_to_exitcode(status) "
                f"解码{STATUS_ZH}。",
            )
        check(
            got == expected,
            en=f"the judge chose how each child ended: {shown} (pid: exit code, minus the "
            f"signal for the two it killed itself with SIGKILL and SIGTERM). After they were all "
            f"reaped, the statuses dict held {got}. Store statuses[pid] = "
            "os.waitstatus_to_exitcode(status) for every child the handler reaps, in the very "
            f"dict install_reaper was given (not a copy, not a new one) {STATUS_EN}.",
            zh=f"每个子进程怎么结束是评测程序决定的：{shown}（pid: 退出码；评测程序亲手用 "
            f"SIGKILL 和 SIGTERM 杀死的两个，是负的信号编号）。它们全部被回收以后，statuses "
            f"字典里是 {got}。处理函数每回收一个子进程，就要在传给 install_reaper 的那个字典里"
            "（不是副本，也不是新建的字典）记下 "
            f"statuses[pid] = os.waitstatus_to_exitcode(status){STATUS_ZH}。",
        )
        _finish(judge, running)
    finally:
        judge.close()


@pytest.mark.points(2)
def test_restore_puts_the_old_disposition_back(student):
    for before in ("ignore", "default"):
        judge, running = _installed(student, before)
        try:
            pids = _fork(judge, running, 2)
            _one_by_one(judge, running, pids, [5, 6], f" {P1_EN}", P1_ZH)
            judge.send("restore")
            _expect(
                judge,
                running,
                "restored",
                en=f"restore() did not return within {ANSWER_S:g} s {RESTORE_EN}.",
                zh=f"restore() 没有在 {ANSWER_S:g} 秒内返回{RESTORE_ZH}。",
            )
            want = "ignored" if before == "ignore" else "default"
            now = _disposition(running.pid)
            check(
                now == want,
                en=f"before install_reaper, SIGCHLD was {DISPOSITION_EN[want]}; after "
                f"restore() it was {DISPOSITION_EN[now]} (the judge read it in "
                f"/proc/{running.pid}/status). restore() must put back exactly what was there "
                "before: keep what signal.signal(...) returned when you installed the handler, "
                f"and hand it to signal.signal again {RESTORE_EN}.",
                zh=f"调用 install_reaper 之前，SIGCHLD 的处理方式是{DISPOSITION_ZH[want]}；调用 "
                f"restore() 之后却是{DISPOSITION_ZH[now]}（评测程序是从 /proc/{running.pid}/status "
                "里读到的）。restore() 必须把原来的处理方式原样放回去：安装处理函数时把 "
                "signal.signal(...) 的返回值保存下来，恢复时再把它交给 "
                f"signal.signal{RESTORE_ZH}。",
            )
            _finish(judge, running)
        finally:
            judge.close()


# -- Part 2: serve ------------------------------------------------------------------------------


def _serving(student) -> tuple[_Judge, Running]:
    return _start(student, _serve_scenario)


NEXT_EN = (
    f"the parent did not ask for the next job within {ANSWER_S:g} s after it was given one, "
    "while that job's child was still running. serve() must go straight back to next_job() "
    "after the fork: a parent that waits for its child (os.wait(), os.waitpid(pid, 0)) in "
    "its loop serves one job at a time. Let SIGCHLD do the reaping "
    f"{P2_EN}."
)
NEXT_ZH = (
    f"父进程拿到一个任务以后，{ANSWER_S:g} 秒内没有再来要下一个任务，而那个任务的子进程还在运行。"
    "serve() 在 fork 之后要马上回去调用 next_job()：如果在循环里等待子进程（os.wait()、"
    f"os.waitpid(pid, 0)），一次就只能服务一个任务。回收的事交给 SIGCHLD{P2_ZH}。"
)


def _give_jobs(judge: _Judge, running: Running, n: int) -> list[int]:
    """Hand out ``n`` jobs; after each, the parent must ask again while the child runs."""
    _expect(
        judge,
        running,
        "next",
        en=f"serve(next_job) did not call next_job() within {ANSWER_S:g} s {P2_EN}.",
        zh=f"serve(next_job) 在 {ANSWER_S:g} 秒内没有调用 next_job(){P2_ZH}。",
    )
    pids = []
    for _ in range(n):
        have = len(judge.order)
        judge.send("job")
        pids += _children(judge, running, have, 1, P2_EN, P2_ZH)
        _expect(judge, running, "next", en=NEXT_EN, zh=NEXT_ZH)
    return pids


def _end_serve(judge: _Judge, running: Running, jobs: int) -> Outcome:
    judge.send("end")
    line = _expect(
        judge,
        running,
        "returned",
        en=f"serve(next_job) did not return within {ANSWER_S:g} s after next_job() returned "
        f"None, though every child had ended {P2_EN}.",
        zh=f"next_job() 返回 None 之后，serve(next_job) 在 {ANSWER_S:g} 秒内没有返回，而此时所有"
        f"子进程都已经结束了{P2_ZH}。",
    )
    value = json.loads(line.partition(" ")[2])
    check(
        value == jobs,
        en=f"serve returned {value!r} after running {jobs} jobs: return how many jobs it "
        f"started {P2_EN}.",
        zh=f"serve 运行了 {jobs} 个任务，却返回了 {value!r}：要返回它启动的任务个数{P2_ZH}。",
    )
    now = _disposition(running.pid)
    check(
        now == "default",
        en=f"before serve, SIGCHLD was SIG_DFL; after serve returned it was "
        f"{DISPOSITION_EN[now]} (the judge read it in /proc/{running.pid}/status). Put back "
        "what signal.signal(...) returned when you changed it, in a finally "
        f"{RESTORE_EN} {P2_EN}.",
        zh=f"调用 serve 之前 SIGCHLD 是 SIG_DFL；serve 返回以后却是{DISPOSITION_ZH[now]}"
        f"（评测程序是从 /proc/{running.pid}/status 里读到的）。修改时把 "
        f"signal.signal(...) 的返回值保存下来，在 finally 里恢复{RESTORE_ZH}{P2_ZH}。",
    )
    # One reading of the process table (zombies included): a child that turns into a
    # zombie between two readings would be in neither.
    left = probe.descendants(running.pid)
    check(
        not left,
        en=f"after serve returned, these processes were left: {probe.describe_all(left)} {P2_EN}.",
        zh=f"serve 返回以后，还剩下这些进程：{probe.describe_all(left)}{P2_ZH}。",
    )
    return _finish(judge, running)


@pytest.mark.points(2)
def test_serve_runs_each_job_in_its_own_child(student):
    judge, running = _serving(student)
    try:
        pids = _give_jobs(judge, running, 4)
        alive = [pid for pid in pids if not _ended(pid, running.pid)]
        check(
            len(alive) == 4,
            en=f"the judge held every job's child running, yet only {len(alive)} of the 4 "
            f"were alive below the parent {P2_EN}.",
            zh=f"评测程序让每个任务的子进程一直运行，可父进程下面只有 {len(alive)} 个（共 4 个）"
            f"还活着{P2_ZH}。",
        )
        _one_by_one(judge, running, pids, [0, 0, 0, 0], f" {P2_EN}", P2_ZH)
        _end_serve(judge, running, 4)
    finally:
        judge.close()


@pytest.mark.points(3)
def test_serve_reaps_while_it_waits_for_work(student):
    judge, running = _serving(student)
    try:
        pids = _give_jobs(judge, running, 3)
        # The parent is inside next_job() now, waiting for the judge: only SIGCHLD can reap.
        _one_by_one(judge, running, pids, [0, 0, 0], f" {P2_EN} {IGN_EN}", P2_ZH + IGN_ZH)
        _end_serve(judge, running, 3)
    finally:
        judge.close()


@pytest.mark.points(3)
def test_serve_reaps_a_whole_burst(student):
    judge, running = _serving(student)
    try:
        pids = _give_jobs(judge, running, 6)
        _burst(judge, running, pids[:5], [0] * 5)
        _work_answered(judge, running, 1, f" {P2_EN}", P2_ZH)
        _check_burst_reaped(running, pids[:5], f" {P2_EN} {IGN_EN}", P2_ZH + IGN_ZH)
        _one_by_one(judge, running, pids[5:], [0], f" {P2_EN}", P2_ZH)
        _end_serve(judge, running, 6)
    finally:
        judge.close()
