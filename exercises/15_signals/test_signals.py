"""Spec for exercise 15 — signals. Run it with `grader check signals`.

The judge observes; the sandbox only acts. Every run is a started scenario in a sandbox
process (the *program*) that connects to a channel the judge holds (``grader.spec.channel``)
and obeys the judge's words, one line at a time. The judge itself:

* knows who speaks: the kernel names the process at the other end of each connection
  (``SO_PEERCRED``). The program's connection is the one its pid made; a connection from any
  other process (a helper the student's code forked, say), or a second one from the program,
  fails the test: nobody but the test's own code speaks for the program;

* takes the time on its own clock (``judge.now()``): before it says "go", and when it read
  the answer (``Said.at``) or the end of the connection (``Peer.closed_at``), so a deadline
  met too early (nothing was waited for) or too late shows; the callables the program runs
  never end by themselves (they block on the judge's channel, or burn CPU);
* reads ``/proc/<pid>/status`` itself: a signal's disposition (``SigCgt`` / ``SigIgn``),
  whether it is blocked (``SigBlk``) or pending (``SigPnd`` / ``ShdPnd``), the threads;
* reads how long the program was running or queued to run from ``/proc/<pid>/schedstat``
  (a busy loop is, the whole time, however loaded the machine; a sleeping wait is not),
  falling back to its CPU time in ``/proc/<pid>/stat``;
* reads, while ``signal_and_wait`` waits, the system call each thread sleeps in
  (``/proc/<pid>/task/<tid>/syscall``) between two reads of the masks, and how often the
  program woke up (voluntary context switches): a wait the answer cannot end (``time.sleep``
  with the answer blocked and no handler), or a loop that sleeps and looks again, shows;
  so does what the wait waits for: the signal set of a ``rt_sigtimedwait`` (read from the
  program's memory) must hold the answer, and with the answer blocked in every thread
  (``/proc/<pid>/task/*/status``) a wait on descriptors must be on a signalfd whose mask
  holds it (``/proc/<pid>/fdinfo``): no handler runs, so no wakeup byte and no other
  descriptor can end that wait (a pipe nobody writes). Where a handler can run, what it
  writes to is not visible from outside: a wait on any descriptor passes there;
* has the blocked and the busy ``func`` of Part 1 wait and compute in C functions the spec
  bound before the student's module was imported (``recv`` of the C socket type, ``pow``):
  no patch of the student's reaches them and no Python-level hook (``sys.settrace``) runs
  inside them, so only a signal ends them at the deadline;
* sends the signals itself (SIGUSR1, SIGTERM, SIGUSR2) at moments it chooses, and collects
  the program's wait status: a timer that was put back ends the program with SIGALRM at the
  time the judge set it for;
* sees the child the student's code signals in the process table and reads its pending
  signals: the signal was really sent, not just reported.

The values the program reports that a verdict reads are the results of work the judge asked
for and can check, and "returned" / "timeout" lines whose time the judge takes. Nothing
waits with a sleep. Linux only (``/proc``, ``sigtimedwait``).
"""

from __future__ import annotations

import _socket
import json
import os
import random
import select
import signal
import threading
from collections import deque
from dataclasses import dataclass
from types import ModuleType

import pytest

from grader.spec import Running, channel, check, fail, holds_within, probe, syscalls, wait_until

GIVE_UP_S = 12.0  # a program that hears nothing from the judge for this long gives up
ANSWER_S = 3.0  # how long the judge waits for the program to answer
LATE_S = 2.5  # how late after its deadline an answer may come on a loaded machine
RELEASE_S = 0.6  # after this, the judge lets a blocked callable go: the deadline never came
HOLD_S = 0.35  # how long the judge watches a program wait for an answer before it sends it
WAKES = 3  # times a waiting program may wake up in HOLD_S (a wait in the kernel: none)
TICKS = os.sysconf("SC_CLK_TCK")
# Bound when the spec is imported, before any student module: the C functions a blocked or
# busy func runs, which no patch of the student's (select.select, socket.socket.recv) reaches,
# and in which no Python-level hook (sys.settrace) runs. Only a signal ends them early.
_RECV = _socket.socket.recv
_POW = pow
_MODULUS = (1 << 2203) - 1  # a big-integer pow modulo this checks for signals as it goes
_BUSY_BITS = 10**7  # bits of the exponent: about two minutes of pow() here

# README references (checked by `grader verify` against the headings of both READMEs).
P1_EN = "(README: 'Part 1 — a deadline')"
P1_ZH = "（README.zh-CN:「第一部分：限时运行」）"
SUB_EN = "(README: 'Sub-second deadlines: setitimer, not alarm')"
SUB_ZH = "（README.zh-CN:「不到一秒的时限：用 setitimer，不用 alarm」）"
PUT_EN = "(README: 'Put back what you changed')"
PUT_ZH = "（README.zh-CN:「改了什么，就恢复什么」）"
P2_EN = "(README: 'Part 2 — handlers that set a flag')"
P2_ZH = "（README.zh-CN:「第二部分：只设标志的处理函数」）"
SAFE_EN = "(README: 'Why the handler only sets a flag')"
SAFE_ZH = "（README.zh-CN:「为什么处理函数只设一个标志」）"
P3_EN = "(README: 'Part 3 — signal a child, wait for its answer')"
P3_ZH = "（README.zh-CN:「第三部分：给子进程发信号，等它回答」）"
RACE_EN = "(README: 'Block first, then ask, then wait')"
RACE_ZH = "（README.zh-CN:「先屏蔽，再发信号，再等待」）"
GRADED_EN = "(README: 'What is graded')"
GRADED_ZH = "（README.zh-CN:「评分标准」）"


def _work(n: int) -> int:
    """A result only computing it produces."""
    return sum(i * i % 97 for i in range(n))


# -- the program's side --------------------------------------------------------------------------


class _GiveUp(Exception):
    """The judge is gone or silent: the program ends."""


class _Link:
    """The program's connection to the judge's channel, a line at a time; ``first`` is the
    first line it says.

    Waits with select(), never with a socket timeout: a TimeoutError raised by the student's
    SIGALRM handler must come out of a blocked read exactly as it would out of any code (and
    none may come from the grader's own waiting: channel.read_line raises one).
    """

    def __init__(self, address: str, first: str) -> None:
        self.sock = channel.connect(address, first, timeout=GIVE_UP_S)
        self.sock.settimeout(None)  # blocking again: select() does the waiting
        self.buf = b""

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\n")

    def read(self) -> str:
        while b"\n" not in self.buf:
            ready, _, _ = select.select([self.sock], [], [], GIVE_UP_S)
            if not ready:
                raise _GiveUp
            chunk = self.sock.recv(4096)
            if not chunk:
                raise _GiveUp
            self.buf += chunk
        return self._line()

    def read_in_the_kernel(self) -> str:
        """The next line, waited for in blocking ``recv`` calls of the C socket type: no
        select(), no Python code while it waits. Only a signal ends this wait early (the
        judge's channel closing ends it too)."""
        while b"\n" not in self.buf:
            chunk = _RECV(self.sock, 4096)
            if not chunk:
                raise _GiveUp
            self.buf += chunk
        return self._line()

    def _line(self) -> str:
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()


def _plain(value: object) -> str:
    if value is None or type(value) in (bool, int, str):
        return json.dumps(value)
    return json.dumps(repr(value)[:200])


def _deadline_scenario(module: ModuleType, address: str, before: str) -> object:
    """Part 1: SIGALRM set to ``before`` ("ignore" or "default"), then the judge's words.

    ``arm S`` sets the program's own timer; ``call KIND SECONDS N`` runs
    ``run_with_deadline(func, SECONDS)`` where func returns ``_work(N)`` (quick), blocks in
    ``recv`` until the judge says ``release`` (block), or burns CPU for minutes in one C call,
    ``pow`` (busy); ``bye`` ends. A blocked or busy func runs no Python code a hook could
    interrupt (``sys.settrace``) and calls nothing the student's code could patch: only a
    signal whose handler raises ends it at the deadline.
    """
    signal.signal(signal.SIGALRM, signal.SIG_IGN if before == "ignore" else signal.SIG_DFL)
    link = _Link(address, "ready")
    try:
        while True:
            word, *args = link.read().split()
            if word == "bye":
                return "bye"
            if word == "arm":
                signal.setitimer(signal.ITIMER_REAL, float(args[0]))
                link.send("armed")
                continue
            kind, seconds, n = args[0], float(args[1]), int(args[2])

            def func(kind: str = kind, n: int = n) -> object:
                if kind == "quick":
                    return _work(n)
                if kind == "block":
                    link.send("blocked")
                    return link.read_in_the_kernel()
                exponent = (1 << _BUSY_BITS) - 1
                link.send("busy")
                return _POW(3, exponent, _MODULUS)

            try:
                value = module.run_with_deadline(func, seconds)
            except TimeoutError:
                link.send("timeout")
                continue
            link.send(f"returned {_plain(value)}")
    except _GiveUp:
        return None


def _loop_scenario(module: ModuleType, address: str) -> object:
    """Part 2: ``serve_until_stopped(step, report)``; SIGUSR1 ignored and SIGTERM default before.

    ``step()`` holds a lock while it tells the judge ``step`` and waits for its ``go``;
    ``report()`` takes the same lock and tells the judge ``report``. A report() called from a
    handler that interrupted step() waits for that lock for ever, like print() in a handler
    that interrupted a print().
    """
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    lock = threading.Lock()
    link = _Link(address, "ready")

    def step() -> None:
        with lock:
            link.send("step")
            if link.read() != "go":
                raise _GiveUp

    def report() -> None:
        with lock:
            link.send("report")

    try:
        value = module.serve_until_stopped(step, report)
        link.send(f"returned {_plain(value)}")
        link.read()  # bye
    except _GiveUp:
        return None
    return value


def _ask_scenario(module: ModuleType, address: str, early: bool, seconds: float) -> object:
    """Part 3: a child that keeps SIGUSR1 blocked (the judge sees it pending there), then
    ``signal_and_wait(child, SIGUSR1, SIGUSR2, seconds)`` on the judge's ``go``.

    With ``early`` the program blocks SIGUSR2 itself first and the judge sends it before the
    call: an answer that came before the wait began.
    """
    signal.signal(signal.SIGUSR2, signal.SIG_DFL)
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    child = os.fork()
    if child == 0:
        try:
            while True:
                signal.pause()  # SIGUSR1 stays pending here; the program kills us at the end
        finally:
            os._exit(0)
    signal.pthread_sigmask(signal.SIG_SETMASK, old)
    try:
        if early:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
        link = _Link(address, "ready")  # after the fork: the child holds no copy of it
        if link.read() != "go":
            return None
        got = module.signal_and_wait(child, signal.SIGUSR1, signal.SIGUSR2, seconds)
        link.send(f"returned {_plain(got)}")
        link.read()  # bye
        return got
    except _GiveUp:
        return None
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


# -- the judge's side ------------------------------------------------------------------------------


def _bit(sig: int) -> int:
    return 1 << (sig - 1)


def _pending(pid: int, sig: int) -> bool:
    masks = probe.signal_masks(pid)
    return bool((masks.get("SigPnd", 0) | masks.get("ShdPnd", 0)) & _bit(sig))


def _blocked(pid: int, sig: int) -> bool:
    return bool(probe.signal_masks(pid).get("SigBlk", 0) & _bit(sig))


def _cpu_s(pid: int) -> float:
    row = probe.read(pid)
    return row.cpu / TICKS if row is not None else 0.0


def _busy_s(pid: int) -> float | None:
    """Seconds ``pid`` has spent on a CPU or waiting in the run queue, from
    ``/proc/<pid>/schedstat``; None where the kernel does not keep it."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            on_cpu, queued, _ = f.read().split()
        return (int(on_cpu) + int(queued)) / 1e9
    except (OSError, ValueError):
        return None


def _switches(pid: int) -> int:
    """How many times the threads of ``pid`` went to sleep so far (their voluntary context
    switches): a wait in the kernel is one, a polling loop one a turn."""
    return probe.voluntary_switches(pid) or 0


# -- what the waiting program is blocked in (/proc/<pid>/task/<tid>/syscall) --------------------

# The calls a waiting program's threads may sit in; a look at a thread in any other call (a
# write, an accept) is not a look at a wait. Their numbers are grader.syscalls'.
_WAITS = {"read", "poll", "select", "pause", "nanosleep", "recvfrom", "recvmsg", "wait4",
          "rt_sigtimedwait", "rt_sigsuspend", "futex", "clock_nanosleep", "epoll_wait",
          "waitid", "pselect6", "ppoll", "epoll_pwait", "epoll_pwait2"}  # fmt: skip
_SLEEP_EN = "time.sleep() or a select() on no descriptor"  # time.sleep() before 3.11
_SLEEP_ZH = "time.sleep() 或不等任何描述符的 select()"
_PYTHON = {  # how Python code gets into a call that no blocked signal ends (en, zh)
    "nanosleep": ("time.sleep()", "time.sleep()"),
    "clock_nanosleep": ("time.sleep()", "time.sleep()"),
    "select": (_SLEEP_EN, _SLEEP_ZH),
    "pselect6": (_SLEEP_EN, _SLEEP_ZH),
    "poll": ("a poll() on no descriptor", "不等任何描述符的 poll()"),
    "ppoll": ("a poll() on no descriptor", "不等任何描述符的 poll()"),
    "pause": ("signal.pause()", "signal.pause()"),
    "futex": ("a lock, an Event or a join()", "锁、Event 或 join()"),
}  # fmt: skip


@dataclass(frozen=True)
class _Wait:
    """What the program was blocked in at one look, and what the answer could do to it."""

    call: str  # the main thread's system call
    fds: dict[int, str]  # the descriptors it waits to read: number -> what /proc/<pid>/fd names
    takes: bool  # a thread waits in a call the answer itself ends: rt_sigtimedwait for a set
    # that holds it, a signalfd whose mask holds it (or one whose set the judge cannot read)
    waited: frozenset[int] | None  # the signals the main thread's rt_sigtimedwait waits for
    blocked: bool  # the main thread blocks the answer (SigBlk)
    caught: bool  # the answer has a handler (SigCgt)
    let_through: bool  # some thread of the program does not block the answer

    def problem(self) -> str | None:
        """None when the answer would end this wait; "unguarded" when it would kill the
        program; "other signals" when it waits in sigtimedwait for a set without it;
        "descriptor" when it waits on descriptors the answer cannot make readable; "sleep"
        when it could not end the sleep (blocked, and no wait takes it)."""
        if self.takes or (self.caught and not self.blocked):
            return None
        if not self.blocked and not self.caught:
            return "unguarded"
        if self.waited is not None:
            return "other signals"
        if not self.fds:
            return "sleep"
        # A handler that a thread lets the answer through to may write a byte to any
        # descriptor (signal.set_wakeup_fd): the judge cannot tell that pipe from another.
        # Blocked in every thread, the answer runs no handler: only a signalfd takes it.
        return None if self.caught and self.let_through else "descriptor"


def _blocked_calls(pid: int) -> dict[int, syscalls.Call] | None:
    """Each thread of ``pid`` blocked in one of the waits in ``_WAITS``: tid -> its call (the
    line compares the arguments, stack and instruction pointers too). None where the judge
    may not read them."""
    try:
        calls = syscalls.threads(pid)
    except syscalls.Hidden:
        return None
    if calls is None:
        return None
    return {c.tid: c for c in calls if c.blocked and c.name in _WAITS}


def _input_fds(pid: int, call: syscalls.Call) -> frozenset[int] | None:
    """The descriptors ``call`` waits to read (a peek too); empty for a call on none (a sleep);
    None where the judge cannot read them."""
    if call.name in syscalls.RECEIVES:
        return frozenset({call.args[0]})
    if not call.waits_for_input:
        return frozenset()
    return syscalls.input_fds(pid, call)


def _signalfd_takes(pid: int, fd: int, answer: int) -> bool | None:
    """Whether descriptor ``fd`` of ``pid`` is a signalfd whose mask holds ``answer`` (its
    ``/proc/<pid>/fdinfo`` has a ``sigmask:`` line, signal n at bit n - 1); None where the
    judge cannot read it."""
    try:
        with probe.owner_rights(pid), open(f"/proc/{pid}/fdinfo/{fd}") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == "sigmask":
            try:
                return bool(int(value.strip(), 16) & _bit(answer))
            except ValueError:
                return None
    return False


def _thread_blocks(pid: int, tid: int, answer: int) -> bool | None:
    """Whether thread ``tid`` of ``pid`` blocks ``answer`` now (SigBlk of
    ``/proc/<pid>/task/<tid>/status``); None where the judge cannot read it."""
    blocked = probe.status_field(f"{pid}/task/{tid}", "SigBlk")
    try:
        return None if blocked is None else bool(int(blocked, 16) & _bit(answer))
    except ValueError:
        return None


def _takes(pid: int, call: syscalls.Call, answer: int, caught: bool) -> bool:
    """Whether the answer itself ends ``call``, the wait of a thread of ``pid``: a
    rt_sigtimedwait whose set holds it; a rt_sigsuspend whose mask lets it through to its
    handler (Python has no sigsuspend, ``ctypes`` gets there: the kernel shows the thread's
    SigBlk as that mask while it waits); a wait for a signalfd whose mask holds it. True
    where the judge cannot read the set, the mask or the descriptors: it fails only what it
    saw."""
    if call.name == "rt_sigsuspend":
        return caught and _thread_blocks(pid, call.tid, answer) is not True
    if call.name == "rt_sigtimedwait":
        waited = syscalls.signals_waited(pid, call)
        return waited is None or answer in waited
    fds = _input_fds(pid, call)
    if fds is None:
        return True
    return any(_signalfd_takes(pid, fd, answer) is not False for fd in fds)


def _let_through(pid: int, answer: int) -> bool:
    """Some thread of ``pid`` does not block ``answer`` (its ``/proc/<pid>/task/<tid>/status``
    SigBlk): a handler may run there. True where the judge cannot read them."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True
    return any(_thread_blocks(pid, int(tid), answer) is not True for tid in tids)


def _fd_names(pid: int, fds: frozenset[int]) -> dict[int, str]:
    links = probe.fd_links(pid)
    return {fd: links.get(fd, "?") for fd in sorted(fds)}


def _look(pid: int, answer: int) -> _Wait | None:
    """One look at the program: the calls its threads are blocked in, its signal masks, what
    the calls wait for (the signal sets of rt_sigtimedwait, the descriptors and what they
    are), the calls again. A look counts only when the main thread stayed in the same
    blocked call (same arguments, same stack) the whole time, so that everything was read
    during it. None: it was running or between calls, or the judge cannot read calls here
    (another architecture, a kernel or policy that hides them)."""
    before = _blocked_calls(pid)
    if not before or pid not in before:
        return None
    masks = probe.signal_masks(pid)
    if not masks:
        return None
    main = before[pid]
    caught = bool(masks["SigCgt"] & _bit(answer))
    takes = any(_takes(pid, call, answer, caught) for call in before.values())
    waited = syscalls.signals_waited(pid, main)
    fds = _input_fds(pid, main)
    let_through = _let_through(pid, answer)
    names = _fd_names(pid, fds or frozenset())
    if before != _blocked_calls(pid):
        return None
    return _Wait(
        call=main.name,
        fds=names,
        takes=takes,
        waited=waited,
        blocked=bool(masks["SigBlk"] & _bit(answer)),
        caught=caught,
        let_through=let_through,
    )


def _watch_the_wait(judge: _Judge, answer: int, until: float) -> _Wait | None:
    """Look at the program while ``signal_and_wait`` waits: from when its child was asked
    (the caller checked that) until ``until`` or the program's next line. The first look
    that shows it blocked in a named call, taken before the program said anything more (its
    own code waits in select() for the judge once it has said "returned"). None: no such
    look (a loaded machine kept the judge away the whole time, or the judge cannot tell)."""
    pid = judge.running.pid
    while judge.now() < until:
        seen = _look(pid, answer)
        judge._poll(0)
        if judge.heard or judge.eof:
            return None  # it may have been the program's own wait, after the call
        if seen is not None:
            return seen
        judge._poll(0.002)
        if judge.heard or judge.eof:
            return None
    return None


def _names(signals: frozenset[int]) -> str:
    shown = []
    for n in sorted(signals):
        try:
            shown.append(signal.Signals(n).name)
        except ValueError:
            shown.append(str(n))
    return "{" + ", ".join(shown) + "}"


def _check_the_wait(judge: _Judge, seen: _Wait | None, answer: int) -> None:
    """Fail when the wait ``_watch_the_wait`` saw is one the answer could not end."""
    problem = seen.problem() if seen is not None else None
    if problem is None:
        return
    pid = judge.running.pid
    name = signal.Signals(answer).name
    call = seen.call
    if problem == "unguarded":
        fail(
            en=f"while signal_and_wait waited (in {call}(), the judge read "
            f"/proc/{pid}/syscall), the answer {name} was neither blocked nor handled "
            f"(/proc/{pid}/status): had it come then, its default action would have killed the "
            "program, and nothing was waiting for it. Block the answer before you ask, then "
            f"wait for it with signal.sigtimedwait({{answer}}, seconds) {RACE_EN}.",
            zh=f"signal_and_wait 等待的时候（在 {call}() 里，评测程序读的是 /proc/{pid}/syscall），"
            f"回答的信号 {name} 既没有被屏蔽，也没有处理函数（/proc/{pid}/status）：它要是这时"
            "到来，默认动作会杀死程序，也根本没有谁在等它。要在发信号之前先屏蔽回答的信号，再用 "
            f"signal.sigtimedwait({{answer}}, seconds) 等它{RACE_ZH}。",
        )
    if problem == "other signals":
        waited = _names(seen.waited)
        fail(
            en=f"while signal_and_wait waited, the program slept in rt_sigtimedwait for the "
            f"signals {waited}, and the answer {name} is not one of them (the judge read "
            f"/proc/{pid}/syscall and the set in the program's memory). sigtimedwait returns "
            "when a signal of its set is pending; the answer, blocked, stays pending and ends "
            "nothing: the call sleeps to the end of its time. Wait for the answer itself: "
            f"signal.sigtimedwait({{answer}}, seconds) {P3_EN}.",
            zh=f"signal_and_wait 等待的时候，程序睡在 rt_sigtimedwait 里，等的是信号 {waited}，"
            f"回答的信号 {name} 不在其中（评测程序读的是 /proc/{pid}/syscall "
            "和程序内存里的信号集）。"
            "sigtimedwait 只在它那个集合里的信号未决时返回；回答被屏蔽了，只会一直未决，结束不了"
            "任何东西：这个调用会睡到时间用完。要等的是回答本身："
            f"signal.sigtimedwait({{answer}}, seconds){P3_ZH}。",
        )
    if problem == "descriptor":
        fds = ", ".join(f"{fd} ({what})" for fd, what in seen.fds.items())
        fail(
            en=f"while signal_and_wait waited, the program slept in {call}() on descriptor(s) "
            f"{fds}, with the answer {name} blocked in every thread (the judge read "
            f"/proc/{pid}/syscall, /proc/{pid}/fd, /proc/{pid}/fdinfo and "
            f"/proc/{pid}/task/*/status). A blocked signal runs no handler, so no wakeup byte "
            "is written (signal.set_wakeup_fd), and it writes to no pipe: it stays pending, and "
            "only sigtimedwait, or a signalfd whose mask holds it, takes it. That descriptor "
            "is none of those: the call sleeps to the end of its time. Wait with "
            "signal.sigtimedwait({answer}, seconds); or let a handler catch the answer, not "
            f"blocked, and wait on its wakeup fd {P3_EN}.",
            zh=f"signal_and_wait 等待的时候，程序睡在 {call}() 里，等的是描述符 {fds}，"
            f"而回答的信号 {name} 在每个线程里都被屏蔽了（评测程序读的是 /proc/{pid}/syscall、"
            f"/proc/{pid}/fd、/proc/{pid}/fdinfo 和 /proc/{pid}/task/*/status）。"
            "被屏蔽的信号不会运行处理函数，也就不会写唤醒字节（signal.set_wakeup_fd），更不会往哪个管道里写：它只会一直未决，"
            "只有 sigtimedwait 或者屏蔽字里有它的 signalfd 才能取走它。这个描述符两者都不是："
            "这个调用会睡到时间用完。要用 signal.sigtimedwait({answer}, seconds) 等待；"
            f"或者让处理函数接住回答（不屏蔽它），再在它的唤醒描述符上等待{P3_ZH}。",
        )
    how, how_zh = _PYTHON.get(call, (f"{call}()", f"{call}()"))
    fail(
        en=f"while signal_and_wait waited, the program slept in {call}() ({how}) with the answer "
        f"{name} blocked and no handler for it (the judge read /proc/{pid}/syscall and "
        f"/proc/{pid}/status). A blocked signal does not end such a sleep: the answer can only "
        "be noticed when the sleep is over, by asking again, and that is the loop the README "
        "warns of. Wait in the call that the answer ends: signal.sigtimedwait({answer}, "
        f"seconds) sleeps in the kernel until it is pending {P3_EN}.",
        zh=f"signal_and_wait 等待的时候，程序睡在 {call}() 里（{how_zh}），回答的信号 {name} "
        f"被屏蔽了，也没有处理函数（评测程序读的是 /proc/{pid}/syscall 和 "
        f"/proc/{pid}/status）。被屏蔽的信号不会结束这样的睡眠：只有睡完了再去问一次，"
        "才能发现回答来了——这正是 README 里说的那种循环。要在回答能结束的调用里等待："
        f"signal.sigtimedwait({{answer}}, seconds) 会在内核里一直睡到它未决{P3_ZH}。",
    )


SHOWN_EN = {
    "handler": "a handler",
    "ignored": "SIG_IGN",
    "default": "SIG_DFL",
    "gone": "unknown: the program had ended",
}
SHOWN_ZH = {
    "handler": "一个处理函数",
    "ignored": "SIG_IGN",
    "default": "SIG_DFL",
    "gone": "未知：程序已经结束",
}


class _Judge:
    """The judge's end of one program's conversation, on a channel the test process holds and
    closes in :meth:`close`; nothing here runs in a thread.

    The program is the process the judge started: its connection is the one the kernel says
    that pid made. Any other connection fails the test (:meth:`_intruder`), whoever made it.
    Every time is on the channel's clock: :meth:`now`, and when the judge read a line.
    """

    def __init__(self) -> None:
        self.channel = channel.Channel("15")
        self.peer: channel.Peer | None = None  # the program's one connection
        self.running: Running | None = None
        self.heard: deque[channel.Said] = deque()  # the program's lines not yet taken

    def now(self) -> float:
        return self.channel.now()

    @property
    def eof(self) -> bool:
        """The program's end of the connection is closed (it closed it, or ended)."""
        return self.peer is not None and self.peer.ended

    def close(self) -> None:
        """A last look, then close every connection. A connection that should not be there
        fails the test here even if the test failed already: it explains what went wrong."""
        try:
            if self.running is not None:
                self._poll(0)
        finally:
            self.channel.close()

    def _program(self) -> channel.Peer | None:
        """The first connection the program's own process made, as the kernel says."""
        pid = self.running.pid
        return next((p for p in self.channel.peers if p.pid == pid), None)

    def start(self, student, label: str, scenario, *args) -> Running:
        self.running = running = student.options(label=label).start_scenario(
            scenario, self.channel.address, *args
        )
        self.channel.wait_for(lambda: self._program() is not None or running.finished(), ANSWER_S)
        self.peer = self._program()
        if self.peer is None:
            raise running.stop().as_problem()
        self._poll(0)
        return running

    def _poll(self, wait: float) -> None:
        """Read what arrived: the program's lines are kept; anyone else fails the test."""
        for said in self.channel.new_lines(wait):
            if said.peer is self.peer:
                self.heard.append(said)
        for peer in self.channel.peers:
            if peer is not self.peer:
                self._intruder(peer)

    def _intruder(self, peer: channel.Peer) -> None:
        pid = self.running.pid
        said = f" and said {peer.line!r}" if peer.lines else ""
        said_zh = f"，还说了 {peer.line!r}" if peer.lines else ""
        if peer.pid == pid:
            fail(
                en=f"the program (pid {pid}) connected to the judge's channel a second "
                f"time{said}. The one connection the judge talks to is opened by the test's own "
                "code; the code you write must never connect to the judge or speak for the "
                f"program {GRADED_EN}.",
                zh=f"程序（pid {pid}）第二次连接了评测程序的通道{said_zh}。评测程序只和测试自己的"
                "代码打开的那一个连接对话；你写的代码绝不能去连接评测程序，也不能替程序说话"
                f"{GRADED_ZH}。",
            )
        row = peer.row
        who = f"process {peer.pid}"
        who_zh = f"进程 {peer.pid}"
        if row is not None:
            who += f" ({row.name!r}, child of {row.ppid})"
            who_zh += f"（{row.name!r}，父进程 {row.ppid}）"
        fail(
            en=f"{who} connected to the judge's channel{said}, but the program the judge "
            f"started is pid {pid}. The kernel tells the judge which process is at the other end "
            "of every connection (SO_PEERCRED), so no other process can speak for the program: "
            f"the code you write must never connect to the judge {GRADED_EN}.",
            zh=f"{who_zh}连接了评测程序的通道{said_zh}，可评测程序启动的程序是 pid {pid}。"
            "每个连接的另一端是哪个进程，内核都会告诉评测程序（SO_PEERCRED），所以别的进程"
            f"没法替程序说话：你写的代码绝不能去连接评测程序{GRADED_ZH}。",
        )

    def send(self, line: str) -> None:
        self.peer.answer(line)  # False when the program is gone: its end shows that

    def line(self, timeout: float) -> tuple[str | None, float]:
        """The program's next line and when the judge read it (``now()``'s clock); (None, t)
        after ``timeout`` or at the end of the connection (then ``eof`` is True)."""
        end = self.now() + timeout
        while not self.heard:
            left = end - self.now()
            if self.eof or left <= 0:
                return None, self.now()
            self._poll(min(left, 0.05))
        said = self.heard.popleft()
        return said.text, said.at

    def expect(self, word: str, en: str, zh: str, timeout: float = ANSWER_S) -> tuple[str, float]:
        """The next line, which must start with ``word``; fail with why it did not come."""
        line, at = self.line(timeout)
        if line is not None and line.split(" ", 1)[0] == word:
            return line, at
        self._unexpected(line, en, zh)
        raise AssertionError  # not reached

    def _unexpected(self, line: str | None, en: str, zh: str) -> None:
        running = self.running
        if line is not None:
            fail(
                en=f"{en} Instead the program said {line!r} to the judge.",
                zh=f"{zh}程序却告诉评测程序：{line!r}。",
            )
        if self.eof or running.finished():
            running.wait(ANSWER_S)  # EOF comes a moment before the end
            outcome = running.stop()
            if outcome.error is not None:
                raise outcome.as_problem()
            fail(
                en=f"{en} Instead the program ended: {outcome.exit.describe('en')}.",
                zh=f"{zh}程序却结束了：{outcome.exit.describe('zh')}。",
            )
        running.time_out()
        fail(
            en=f"{en} The program said nothing for {ANSWER_S:g} s.",
            zh=f"{zh}程序在 {ANSWER_S:g} 秒内什么都没有说。",
        )

    def finish(self) -> None:
        self.send("bye")
        self.running.wait(ANSWER_S)
        self._poll(0)  # a last look: nobody else spoke for the program
        outcome = self.running.stop()
        if outcome.error is not None:
            raise outcome.as_problem()


# -- Part 1: run_with_deadline ------------------------------------------------------------------


def _deadline_run(student, before: str) -> _Judge:
    judge = _Judge()
    judge.start(student, "run_with_deadline(func, seconds)", _deadline_scenario, before)
    judge.expect("ready", en="The program did not start.", zh="程序没有启动。")
    return judge


def _quick(judge: _Judge, seconds: float) -> None:
    """A callable that returns at once: its value must come back."""
    n = random.randint(20_000, 40_000)
    judge.send(f"call quick {seconds} {n}")
    line, _ = judge.expect(
        "returned",
        en=f"run_with_deadline(func, {seconds}) with a func that returns at once did not "
        f"return func's value {P1_EN}.",
        zh=f"run_with_deadline(func, {seconds}) 里的 func 立刻就返回了，可是 "
        f"run_with_deadline 没有把 func 的返回值交回来{P1_ZH}。",
    )
    got = json.loads(line.partition(" ")[2])
    check(
        got == _work(n),
        en=f"func returned {_work(n)} at once; run_with_deadline(func, {seconds}) returned "
        f"{got!r}. Return what func() returned {P1_EN}.",
        zh=f"func 立刻返回了 {_work(n)}；run_with_deadline(func, {seconds}) 却返回了 "
        f"{got!r}。要把 func() 的返回值原样返回{P1_ZH}。",
    )


NO_DEADLINE_EN = (
    "func blocked (it waits on a socket for ever) and run_with_deadline(func, {s}) had not "
    "raised TimeoutError {late:g} s after the call began, so the judge let func go. The "
    "deadline never interrupted it. signal.alarm() takes whole seconds: alarm(int({s})) is "
    "alarm(0), which cancels instead of arming, and rounding up makes it 1 s. Arm "
    "signal.setitimer(signal.ITIMER_REAL, seconds) with a SIGALRM handler that raises "
    "TimeoutError; measuring the time and raising afterwards interrupts nothing, and neither "
    "does a hook that checks the clock from Python code (sys.settrace) or a patched "
    "select(): func waits in recv() inside the kernel, where no Python code runs "
    f"{SUB_EN} {P1_EN}."
)
NO_DEADLINE_ZH = (
    "func 阻塞了（它在一个套接字上永远等下去），run_with_deadline(func, {s}) 开始 {late:g} 秒后"
    "仍然没有抛出 TimeoutError，评测程序只好放行 func。时限根本没有打断它。signal.alarm() 只接受"
    "整数秒：alarm(int({s})) 就是 alarm(0)，那是取消闹钟而不是设置闹钟；向上取整又变成了 1 秒。"
    "要用 signal.setitimer(signal.ITIMER_REAL, seconds)，再配一个抛出 TimeoutError 的 SIGALRM "
    "处理函数；先量时间、事后再抛异常，什么也打断不了；在 Python 代码里看钟的钩子（sys.settrace）"
    "或者改写过的 select() 也打断不了：func 是在内核里的 recv() 中等待，那里不运行任何 Python 代码"
    f"{SUB_ZH}{P1_ZH}。"
)


def _blocked_call(judge: _Judge, seconds: float, baseline_threads: int) -> float:
    """A callable that blocks until the judge releases it: the deadline must interrupt it.

    Returns the time the call took on the judge's clock (from before the judge said go).
    """
    started = judge.now()
    judge.send(f"call block {seconds} 0")
    _, blocked_at = judge.expect(
        "blocked",
        en=f"run_with_deadline(func, {seconds}) did not call func {P1_EN}.",
        zh=f"run_with_deadline(func, {seconds}) 没有调用 func{P1_ZH}。",
    )
    late = max(RELEASE_S, seconds + RELEASE_S - (blocked_at - started))
    line, at = judge.line(late)
    if line is None and not judge.eof:
        # Whatever comes now (func's value, or a TimeoutError decided after the fact) came
        # only because the judge let func go: the deadline interrupted nothing.
        judge.send("release")
        judge.line(ANSWER_S)
        fail(
            en=NO_DEADLINE_EN.format(s=seconds, late=seconds + RELEASE_S),
            zh=NO_DEADLINE_ZH.format(s=seconds, late=seconds + RELEASE_S),
        )
    if line != "timeout":
        judge._unexpected(
            line,
            en=f"run_with_deadline(func, {seconds}) with a func that blocks must raise "
            f"TimeoutError after {seconds} s {P1_EN}.",
            zh=f"func 阻塞时，run_with_deadline(func, {seconds}) 应当在 {seconds} 秒后抛出 "
            f"TimeoutError{P1_ZH}。",
        )
    took = at - started
    check(
        took >= seconds - 0.005,
        en=f"run_with_deadline(func, {seconds}) raised TimeoutError {took:.3f} s after the "
        f"judge started it, before the deadline: the time was not waited for, only claimed. "
        f"Let a timer interrupt func at the deadline {P1_EN}.",
        zh=f"评测程序开始计时后仅 {took:.3f} 秒，run_with_deadline(func, {seconds}) 就抛出了 "
        f"TimeoutError，比时限还早：时间根本没有等够，只是声称超时了。要让定时器在时限到达时打断 "
        f"func{P1_ZH}。",
    )
    _no_thread_left(judge, baseline_threads)
    return took


def _no_thread_left(judge: _Judge, baseline: int) -> None:
    now = probe.thread_count(judge.running.pid)
    check(
        now <= baseline,
        en=f"after run_with_deadline raised TimeoutError the program had {now} threads, "
        f"{baseline} before the call: func is still running in a thread nobody can stop. A "
        "thread that waits with join(timeout) gives up waiting; it does not interrupt "
        f"anything. A SIGALRM handler that raises interrupts func itself {P1_EN}.",
        zh=f"run_with_deadline 抛出 TimeoutError 之后，程序里有 {now} 个线程，调用之前只有 "
        f"{baseline} 个：func 还在一个谁也停不下来的线程里运行。join(timeout) 只是不再等了，"
        f"并没有打断任何东西。只有抛出异常的 SIGALRM 处理函数才能打断 func 本身{P1_ZH}。",
    )


def _check_disposition(judge: _Judge, want: str, when: str, when_zh: str) -> None:
    pid = judge.running.pid
    now = probe.disposition(pid, signal.SIGALRM)
    check(
        now == want,
        en=f"before run_with_deadline, SIGALRM was {SHOWN_EN[want]}; after {when} it was "
        f"{SHOWN_EN[now]} (the judge read /proc/{pid}/status). Keep what "
        "signal.signal(signal.SIGALRM, handler) returned and hand it back to signal.signal in "
        f"a finally {PUT_EN}.",
        zh=f"调用 run_with_deadline 之前，SIGALRM 的处理方式是{SHOWN_ZH[want]}；{when_zh}之后却是"
        f"{SHOWN_ZH[now]}（评测程序读的是 /proc/{pid}/status）。把 "
        "signal.signal(signal.SIGALRM, handler) 的返回值保存下来，在 finally 里再交给 "
        f"signal.signal{PUT_ZH}。",
    )


@pytest.mark.points(2)
def test_value_comes_back_and_the_handler_is_put_back(student):
    for before, kind in (("ignore", "quick"), ("default", "block")):
        judge = _deadline_run(student, before)
        try:
            want = "ignored" if before == "ignore" else "default"
            if kind == "quick":
                _quick(judge, 0.3)
                _check_disposition(judge, want, "it returned func's value", "它返回 func 的值")
            else:
                _blocked_call(judge, 0.2, probe.thread_count(judge.running.pid))
                _check_disposition(judge, want, "it raised TimeoutError", "它抛出 TimeoutError")
            judge.finish()
        finally:
            judge.close()


@pytest.mark.points(3)
def test_a_blocked_call_ends_at_a_sub_second_deadline(student):
    judge = _deadline_run(student, "ignore")
    try:
        threads = probe.thread_count(judge.running.pid)
        for seconds in (0.2, 0.3):
            _blocked_call(judge, seconds, threads)
        judge.finish()
    finally:
        judge.close()


@pytest.mark.points(2)
def test_a_busy_call_ends_at_the_deadline(student):
    judge = _deadline_run(student, "ignore")
    try:
        pid = judge.running.pid
        threads = probe.thread_count(pid)
        seconds = 0.25
        busy_before, cpu_before = _busy_s(pid), _cpu_s(pid)
        started = judge.now()
        judge.send(f"call busy {seconds} 0")
        judge.expect(
            "busy",
            en=f"run_with_deadline(func, {seconds}) did not call func {P1_EN}.",
            zh=f"run_with_deadline(func, {seconds}) 没有调用 func{P1_ZH}。",
        )
        _, at = judge.expect(
            "timeout",
            en=f"func burns CPU for minutes in one long computation in C (a huge pow()); "
            f"run_with_deadline(func, {seconds}) must raise TimeoutError at the deadline (the "
            f"judge waited {seconds + LATE_S:g} s). A SIGALRM handler that raises interrupts "
            "it: Python runs handlers between any two steps of Python code, and a long "
            "big-integer computation stops now and then to let them run. A hook that checks "
            "the clock from Python code (sys.settrace) never runs inside pow() "
            f"{P1_EN}.",
            zh=f"func 在一次很长的 C 计算里（一个巨大的 pow()）占用 CPU 好几分钟；"
            f"run_with_deadline(func, {seconds}) 应当在时限到达时抛出 TimeoutError（评测程序等了 "
            f"{seconds + LATE_S:g} 秒）。抛出异常的 SIGALRM 处理函数能打断它：Python 在任意两步 "
            "Python 代码之间都会运行处理函数，很长的大整数计算也会时不时停下来让处理函数运行。"
            f"在 Python 代码里看钟的钩子（sys.settrace）在 pow() 里面根本不会运行{P1_ZH}。",
            timeout=seconds + LATE_S,
        )
        took = at - started
        check(
            took >= seconds - 0.005,
            en=f"TimeoutError came {took:.3f} s after the judge started the call, before the "
            f"{seconds} s deadline {P1_EN}.",
            zh=f"评测程序开始计时后仅 {took:.3f} 秒就来了 TimeoutError，比 {seconds} 秒的时限"
            f"还早{P1_ZH}。",
        )
        # func ran: a busy loop is on a CPU or queued for one the whole time (schedstat),
        # however loaded the machine is; without schedstats, it got some CPU at least.
        busy_after, worked = _busy_s(pid), _cpu_s(pid) - cpu_before
        if busy_before is not None and busy_after is not None:
            busy, least, source = busy_after - busy_before, seconds / 2, "schedstat"
        else:
            busy, least, source = worked, 0.01, "stat"
        check(
            busy >= least,
            en=f"func burns CPU until it is interrupted, yet in the {took:.2f} s of the call "
            f"the program was running or ready to run for only {busy:.2f} s (the judge read "
            f"/proc/{pid}/{source}): func did not run until the deadline {P1_EN}.",
            zh=f"func 在被打断之前一直占用 CPU，可是在这次调用的 {took:.2f} 秒里，程序只有 "
            f"{busy:.2f} 秒在运行或等着运行（评测程序读的是 /proc/{pid}/{source}）：func 并没有"
            f"一直运行到时限{P1_ZH}。",
        )
        _no_thread_left(judge, threads)
        judge.finish()
    finally:
        judge.close()


@pytest.mark.points(3)
def test_the_callers_timer_is_put_back(student):
    judge = _deadline_run(student, "default")
    try:
        timer = 0.6
        armed = judge.now()
        judge.send(f"arm {timer}")
        judge.expect("armed", en="The program did not arm its timer.", zh="程序没有设置定时器。")
        _quick(judge, 0.3)
        _blocked_call(judge, 0.2, probe.thread_count(judge.running.pid))
        # The caller's own timer, with SIGALRM back at SIG_DFL, must now end the program
        # when it falls due: not earlier (a timer of run_with_deadline left armed), not never.
        line, _ = judge.line(timer + LATE_S)
        ended = (judge.peer.closed_at if judge.eof else judge.now()) - armed
        if line is not None:
            judge._unexpected(line, en="The program said more than expected.", zh="程序多说了话。")
        if not judge.eof:
            judge.running.time_out()
            fail(
                en=f"the program had armed its own timer (setitimer, {timer} s) and SIGALRM was "
                f"SIG_DFL; after two calls of run_with_deadline the timer never fired: the judge "
                f"waited {timer + LATE_S:g} s. setitimer returns what was left of the timer it "
                "replaces: after the call, arm it again with that time minus the time the call "
                f"took {PUT_EN}.",
                zh=f"程序自己设了一个 {timer} 秒的定时器（setitimer），SIGALRM 是 SIG_DFL；"
                "调用两次 "
                f"run_with_deadline 之后，这个定时器再也没有触发：评测程序等了 {timer + LATE_S:g} "
                "秒。setitimer 会返回被它替换掉的定时器还剩多少时间：调用结束后，用这个时间减去调用"
                f"花掉的时间，把定时器重新设上{PUT_ZH}。",
            )
        judge.running.wait(ANSWER_S)  # EOF comes a moment before the end
        outcome = judge.running.stop()
        if outcome.error is not None:
            raise outcome.as_problem()
        check(
            outcome.exit is not None and outcome.exit.killed_by(signal.SIGALRM),
            en=f"the program's own timer should have ended it with SIGALRM (its disposition "
            f"was SIG_DFL); it ended: {outcome.exit.describe('en') if outcome.exit else '?'} "
            f"{PUT_EN}.",
            zh=f"程序自己的定时器本应以 SIGALRM 结束它（处理方式是 SIG_DFL）；它却是这样结束的："
            f"{outcome.exit.describe('zh') if outcome.exit else '?'}{PUT_ZH}。",
        )
        check(
            ended >= timer - 0.1,
            en=f"the program had armed a {timer} s timer before calling run_with_deadline; a "
            f"SIGALRM ended it after {ended:.2f} s, too early: the timer of run_with_deadline "
            "was still armed after it returned (and SIGALRM was SIG_DFL again, which kills). "
            "Cancel your timer with signal.setitimer(signal.ITIMER_REAL, 0) in a finally, "
            f"before you put the old handler and the old timer back {PUT_EN}.",
            zh=f"程序在调用 run_with_deadline 之前设了一个 {timer} 秒的定时器；SIGALRM 却在 "
            f"{ended:.2f} 秒时就结束了它，太早了：run_with_deadline 返回以后，它自己的定时器还没有"
            "取消（而 SIGALRM 又变回了会杀死进程的 SIG_DFL）。要在 finally 里用 "
            "signal.setitimer(signal.ITIMER_REAL, 0) 取消自己的定时器，再恢复原来的处理函数和"
            f"定时器{PUT_ZH}。",
        )
    finally:
        judge.close()


# -- Part 2: serve_until_stopped -------------------------------------------------------------------


def _loop_run(student) -> _Judge:
    judge = _Judge()
    judge.start(student, "serve_until_stopped(step, report)", _loop_scenario)
    judge.expect("ready", en="The program did not start.", zh="程序没有启动。")
    return judge


def _step(judge: _Judge, after: str = "") -> None:
    judge.expect(
        "step",
        en=f"serve_until_stopped(step, report) did not call step(){after} {P2_EN}.",
        zh=f"serve_until_stopped(step, report) 没有调用 step(){after}{P2_ZH}。",
    )


def _signal_during_step(judge: _Judge, sig: int) -> None:
    """Send ``sig`` while step() holds its lock, and wait until the kernel delivered it."""
    pid = judge.running.pid
    now = probe.disposition(pid, sig)
    name = signal.Signals(sig).name
    check(
        now == "handler",
        en=f"while step() ran, {name} was {SHOWN_EN[now]}, not a handler (the judge read "
        f"/proc/{pid}/status): install handlers for SIGUSR1 and SIGTERM before the loop "
        f"{P2_EN}.",
        zh=f"step() 运行时，{name} 的处理方式是{SHOWN_ZH[now]}，而不是处理函数（评测程序读的是 "
        f"/proc/{pid}/status）：要在循环开始之前给 SIGUSR1 和 SIGTERM 装好处理函数{P2_ZH}。",
    )
    judge.running.send_signal(sig)
    # Delivered: the program's step() is interrupted and its handler runs before step() goes on.
    wait_until(lambda: not _pending(pid, sig), ANSWER_S, f"{name} stayed pending")


DEADLOCK_EN = (
    "the judge sent SIGUSR1 while step() held a lock, then let step() go on; report() "
    "never came (the judge waited {s:g} s). report() takes the same lock: called from the "
    "handler, which runs in the middle of step(), it waits for a lock its own program holds, "
    "for ever, as print() in a handler that interrupted a print() does. The handler must only "
    "set a flag; the loop calls report() after step() has returned "
    f"{SAFE_EN}."
)
DEADLOCK_ZH = (
    "评测程序在 step() 持有锁的时候发出 SIGUSR1，然后让 step() 继续；report() 却一直没有来"
    "（评测程序等了 {s:g} 秒）。report() 要拿同一把锁：在处理函数里调用它时，处理函数正插在 "
    "step() 中间运行，它等的锁正被自己的程序拿着，只能永远等下去——就像在打断了 print() 的处理函数里"
    "再调用 print()。处理函数只应该设一个标志；等 step() 返回以后，再由循环调用 report()"
    f"{SAFE_ZH}。"
)


def _expect_report(judge: _Judge) -> None:
    line, _ = judge.line(ANSWER_S)
    if line == "report":
        return
    if line is None and not judge.eof:
        judge.running.time_out()
        fail(en=DEADLOCK_EN.format(s=ANSWER_S), zh=DEADLOCK_ZH.format(s=ANSWER_S))
    judge._unexpected(
        line,
        en=f"after a SIGUSR1 that came during step(), the loop must call report() once step() "
        f"has returned, before the next step() {P2_EN}.",
        zh=f"step() 运行期间来了一个 SIGUSR1，那么 step() 返回以后、下一次 step() 之前，循环要调用"
        f"一次 report(){P2_ZH}。",
    )


@pytest.mark.points(3)
def test_report_runs_in_the_loop_not_in_the_handler(student):
    judge = _loop_run(student)
    try:
        _step(judge)
        for _ in range(2):
            _signal_during_step(judge, signal.SIGUSR1)
            judge.send("go")
            _expect_report(judge)
            _step(judge, " again after report()")
        judge.send("go")  # a step with no signal: no report
        line, _ = judge.line(ANSWER_S)
        check(
            line != "report",
            en="report() ran after a step() during which no SIGUSR1 came: clear the flag "
            f"before you call report() {P2_EN}.",
            zh=f"这一次 step() 期间没有来 SIGUSR1，report() 却又运行了：调用 report() 之前要先把"
            f"标志清掉{P2_ZH}。",
        )
        if line != "step":
            judge._unexpected(
                line,
                en=f"the loop must go on calling step() {P2_EN}.",
                zh=f"循环应当继续调用 step(){P2_ZH}。",
            )
    finally:
        judge.close()


@pytest.mark.points(2)
def test_sigterm_ends_the_loop_and_the_handlers_are_put_back(student):
    judge = _loop_run(student)
    try:
        steps = random.randint(2, 4)
        for k in range(steps):
            _step(judge)
            if k == steps - 1:
                _signal_during_step(judge, signal.SIGTERM)
            judge.send("go")
        line, _ = judge.expect(
            "returned",
            en=f"the judge sent SIGTERM during step() number {steps}; when that step() returned "
            f"the loop must end and serve_until_stopped return {P2_EN}.",
            zh=f"评测程序在第 {steps} 次 step() 期间发出了 SIGTERM；"
            "这次 step() 返回以后，循环就应当"
            f"结束，serve_until_stopped 返回{P2_ZH}。",
        )
        got = json.loads(line.partition(" ")[2])
        check(
            got == steps,
            en=f"step() returned {steps} times, the last after SIGTERM came; "
            f"serve_until_stopped returned {got!r}: return how many steps were done {P2_EN}.",
            zh=f"step() 一共返回了 {steps} 次，最后一次是在 SIGTERM 到来之后；serve_until_stopped "
            f"却返回了 {got!r}：要返回完成了多少次 step(){P2_ZH}。",
        )
        pid = judge.running.pid
        for sig, want in ((signal.SIGUSR1, "ignored"), (signal.SIGTERM, "default")):
            now = probe.disposition(pid, sig)
            name = signal.Signals(sig).name
            check(
                now == want,
                en=f"before serve_until_stopped, {name} was {SHOWN_EN[want]}; after it returned, "
                f"{SHOWN_EN[now]} (the judge read /proc/{pid}/status). Put back what "
                f"signal.signal returned, in a finally {PUT_EN}.",
                zh=f"调用 serve_until_stopped 之前，{name} 的处理方式是{SHOWN_ZH[want]}；它返回以后"
                f"却是{SHOWN_ZH[now]}（评测程序读的是 /proc/{pid}/status）。在 finally 里把 "
                f"signal.signal 的返回值交还给 signal.signal{PUT_ZH}。",
            )
        judge.finish()
    finally:
        judge.close()


# -- Part 3: signal_and_wait -----------------------------------------------------------------------


def _ask_run(student, early: bool, seconds: float) -> tuple[_Judge, int]:
    judge = _Judge()
    label = f"signal_and_wait(child, SIGUSR1, SIGUSR2, {seconds})"
    judge.start(student, label, _ask_scenario, early, seconds)
    judge.expect("ready", en="The program did not start.", zh="程序没有启动。")
    kids = probe.children(judge.running.pid)
    if len(kids) != 1:
        fail(en="The program's child did not start.", zh="程序的子进程没有启动。")
    return judge, kids[0].pid


def _check_asked(judge: _Judge, child: int) -> None:
    asked = _pending(child, signal.SIGUSR1)
    if not asked and judge.running.finished():
        judge._unexpected(
            None, en=f"The child was not asked {P3_EN}.", zh=f"子进程没有收到请求{P3_ZH}。"
        )
    check(
        asked,
        en=f"the child {child} never got SIGUSR1 (it keeps SIGUSR1 blocked; the judge read its "
        f"pending signals in /proc/{child}/status): send it with os.kill(pid, ask) {P3_EN}.",
        zh=f"子进程 {child} 一直没有收到 SIGUSR1（它屏蔽了 SIGUSR1，"
        f"评测程序从 /proc/{child}/status "
        f"里读它的未决信号）：要用 os.kill(pid, ask) 把信号发出去{P3_ZH}。",
    )


def _returned(judge: _Judge, seconds: float, what_en: str, what_zh: str) -> tuple[object, float]:
    line, at = judge.expect(
        "returned",
        en=f"signal_and_wait(child, SIGUSR1, SIGUSR2, {seconds}) did not return {what_en} {P3_EN}.",
        zh=f"signal_and_wait(child, SIGUSR1, SIGUSR2, {seconds}) 没有{what_zh}返回{P3_ZH}。",
        timeout=seconds + LATE_S,
    )
    return json.loads(line.partition(" ")[2]), at


def _mask_put_back(judge: _Judge, blocked_before: bool) -> None:
    pid = judge.running.pid
    blocked = _blocked(pid, signal.SIGUSR2)
    now = probe.disposition(pid, signal.SIGUSR2)
    want_en = "blocked" if blocked_before else "not blocked"
    want_zh = "屏蔽" if blocked_before else "不屏蔽"
    check(
        blocked == blocked_before and now == "default",
        en=f"before the call SIGUSR2 was SIG_DFL and {want_en}; after it returned, SIGUSR2 was "
        f"{SHOWN_EN[now]} and {'blocked' if blocked else 'not blocked'} (the judge read "
        f"/proc/{pid}/status). Keep the mask pthread_sigmask returned and set it back with "
        f"SIG_SETMASK, and any handler you installed {PUT_EN}.",
        zh=f"调用之前 SIGUSR2 是 SIG_DFL、{want_zh}；返回以后 SIGUSR2 却是{SHOWN_ZH[now]}、"
        f"{'屏蔽' if blocked else '不屏蔽'}（评测程序读的是 /proc/{pid}/status）。把 "
        "pthread_sigmask 返回的旧屏蔽字保存下来，最后用 SIG_SETMASK 设回去；装过的处理函数也要恢复"
        f"{PUT_ZH}。",
    )


@pytest.mark.points(3)
def test_waits_for_the_answer_without_spinning(student):
    seconds = 5.0
    judge, child = _ask_run(student, False, seconds)
    try:
        pid = judge.running.pid
        judge.send("go")
        holds_within(lambda: _pending(child, signal.SIGUSR1), ANSWER_S, max_interval=0.002)
        _check_asked(judge, child)
        # A busy loop is on a CPU or queued for one all the time, however loaded the machine
        # is; a process asleep in the kernel is neither. /proc/<pid>/schedstat holds both
        # times; without it (a kernel without schedstats) the CPU time the loop got. A loop
        # that sleeps between its looks burns little, but it wakes up once a turn (voluntary
        # context switches), and it sleeps in a call the blocked answer cannot end.
        busy_before, cpu_before, woke_before = _busy_s(pid), _cpu_s(pid), _switches(pid)
        window = judge.now()
        seen = _watch_the_wait(judge, signal.SIGUSR2, window + HOLD_S)
        line, _ = judge.line(max(0.0, window + HOLD_S - judge.now()))
        window = judge.now() - window
        if line is not None:
            judge._unexpected(
                line,
                en=f"the child had not answered yet, so signal_and_wait(..., {seconds}) must "
                f"still be waiting {P3_EN}.",
                zh=f"子进程还没有回答，signal_and_wait(..., {seconds}) 应当还在等待{P3_ZH}。",
            )
        busy_after, burnt = _busy_s(pid), _cpu_s(pid) - cpu_before
        woke = _switches(pid) - woke_before
        if busy_before is not None and busy_after is not None:
            busy, limit, source = busy_after - busy_before, window / 4, "schedstat"
        else:
            busy, limit, source = burnt, 0.03, "stat"
        check(
            busy < limit,
            en=f"while it waited for the answer, the program was running or ready to run for "
            f"{busy:.2f} s of {window:.2f} s (the judge read /proc/{pid}/{source}): a busy loop "
            "that checks again and again. Wait in the kernel: "
            "signal.sigtimedwait({answer}, seconds) sleeps until the signal is pending "
            f"{P3_EN}.",
            zh=f"等待回答的 {window:.2f} 秒里，程序有 {busy:.2f} 秒在运行或等着运行"
            "（评测程序读的是 "
            f"/proc/{pid}/{source}）：这是一个反复检查的忙等循环。要让内核来等："
            f"signal.sigtimedwait({{answer}}, seconds) 会一直睡到信号到来{P3_ZH}。",
        )
        check(
            woke <= WAKES,
            en=f"while it waited for the answer, the program woke up {woke} times in "
            f"{window:.2f} s (its voluntary context switches, /proc/{pid}/task/*/status): a "
            "loop that sleeps a little, then asks again whether the answer has come. Let the "
            "kernel wake it once, when the answer is there: signal.sigtimedwait({answer}, "
            f"seconds) {P3_EN}.",
            zh=f"等待回答的 {window:.2f} 秒里，程序醒来了 {woke} 次（它的主动上下文切换次数，"
            f"/proc/{pid}/task/*/status）：这是一个睡一小会儿、再问一次回答来了没有的循环。要让"
            f"内核只在回答到来时叫醒它一次：signal.sigtimedwait({{answer}}, seconds){P3_ZH}。",
        )
        _check_the_wait(judge, seen, signal.SIGUSR2)
        judge.running.send_signal(signal.SIGUSR2)  # the child's answer, sent by the judge
        answered = judge.now()
        got, at = _returned(judge, seconds, "after the answer came", "在回答到来之后")
        check(
            got is True,
            en=f"the answer (SIGUSR2) came {window:.1f} s into a {seconds:g} s wait; "
            f"signal_and_wait returned {got!r}, not True {P3_EN}.",
            zh=f"等待 {seconds:g} 秒，第 {window:.1f} 秒时回答（SIGUSR2）就来了；signal_and_wait "
            f"却返回了 {got!r}，而不是 True{P3_ZH}。",
        )
        check(
            at - answered < LATE_S,
            en=f"the answer (SIGUSR2) came {window:.1f} s into a {seconds:g} s wait; "
            f"signal_and_wait returned True only {at - answered:.2f} s later: it did not wait "
            "for the answer, it slept and looked afterwards. A wait for a signal ends when the "
            f"signal comes: signal.sigtimedwait returns at once {P3_EN}.",
            zh=f"等待 {seconds:g} 秒，第 {window:.1f} 秒时回答（SIGUSR2）就来了；signal_and_wait "
            f"却在 {at - answered:.2f} 秒之后才返回 True：它没有在等回答，而是先睡完再去看。"
            f"等信号的调用在信号到来时就该结束：signal.sigtimedwait 会立刻返回{P3_ZH}。",
        )
        _mask_put_back(judge, False)
        judge.finish()
    finally:
        judge.close()


@pytest.mark.points(2)
def test_no_answer_means_false_after_the_deadline(student):
    seconds = 0.5
    judge, child = _ask_run(student, False, seconds)
    try:
        started = judge.now()
        judge.send("go")
        seen = None
        if holds_within(lambda: _pending(child, signal.SIGUSR1), seconds, max_interval=0.002):
            seen = _watch_the_wait(judge, signal.SIGUSR2, started + seconds + LATE_S)
        got, at = _returned(judge, seconds, f"within {seconds + LATE_S:g} s", "按时")
        took = at - started
        check(
            got is False and took >= seconds - 0.005,
            en=f"no answer ever came; signal_and_wait(..., {seconds}) returned {got!r} after "
            f"{took:.2f} s. It must wait the whole {seconds} s, then return False {P3_EN}.",
            zh=f"回答一直没有来；signal_and_wait(..., {seconds}) 在 {took:.2f} 秒后返回了 {got!r}。"
            f"它应当等满 {seconds} 秒，然后返回 False{P3_ZH}。",
        )
        _check_asked(judge, child)
        _check_the_wait(judge, seen, signal.SIGUSR2)
        _mask_put_back(judge, False)
        judge.finish()
    finally:
        judge.close()


@pytest.mark.points(3)
def test_an_answer_that_came_first_is_not_lost(student):
    seconds = 2.0
    judge, child = _ask_run(student, True, seconds)
    try:
        pid = judge.running.pid
        judge.running.send_signal(signal.SIGUSR2)  # blocked by the program: it stays pending
        wait_until(lambda: _pending(pid, signal.SIGUSR2), ANSWER_S, "SIGUSR2 was not pending")
        started = judge.now()
        judge.send("go")
        got, at = _returned(judge, seconds, f"within {seconds + LATE_S:g} s", "按时")
        took = at - started
        check(
            got is True and took < seconds,
            en=f"the answer (SIGUSR2) was already pending when signal_and_wait was called (the "
            f"program had it blocked, as a program that waits for it must); the call returned "
            f"{got!r} after {took:.2f} s. A signal that comes before the wait must count: "
            "with a handler and signal.pause(), a signal delivered between your check and "
            "pause() is lost and pause() sleeps for ever. Block the answer first, then ask, "
            f"then signal.sigtimedwait takes a pending signal at once {RACE_EN}.",
            zh="调用 signal_and_wait 时，回答（SIGUSR2）已经在未决状态了"
            "（程序屏蔽了它——要等这个信号的程序本来就该这样做）；"
            f"调用却在 {took:.2f} 秒后返回了 {got!r}。等待开始之前到来的信号"
            "也必须算数：用处理函数加 signal.pause() 时，落在检查标志和 pause() 之间的信号会丢失，"
            "pause() 就会永远睡下去。要先屏蔽回答的信号，再发信号，再用 signal.sigtimedwait 等待，"
            f"它会立刻取走已经未决的信号{RACE_ZH}。",
        )
        check(
            not _pending(pid, signal.SIGUSR2),
            en="after signal_and_wait returned True, the answer was still pending (the judge "
            "read /proc): it was never taken. sigwait / sigtimedwait take the signal they "
            f"return {P3_EN}.",
            zh="signal_and_wait 返回 True 以后，回答的信号仍然处于未决状态"
            "（评测程序读的是 /proc）："
            f"它根本没有被取走。sigwait / sigtimedwait 会取走它们返回的那个信号{P3_ZH}。",
        )
        _check_asked(judge, child)
        _mask_put_back(judge, True)
        judge.finish()
    finally:
        judge.close()
