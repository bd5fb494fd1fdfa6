"""Spec for exercise 01 — process info. Run it with `grader check process_info`.

The judge observes; the sandbox only acts. Every process the student's code is asked about
is made here, in the test process, before the student's code runs: a *family* of processes
in states the judge chose (sleeping, stopped by the judge's SIGSTOP, zombie, busy), with
names, nice values and parents the judge chose, one of them named with ``prctl(PR_SET_NAME)``
so that its name holds spaces and ``)``, one forked by a second thread of its parent. The
family's processes run trusted code of this file; they tell the judge their pids through a
pipe only the judge reads, and the judge checks in ``/proc`` that each one is what it should
be before any student code runs. So every expected answer — states, ppids, nice values,
children, the tree — comes from what the judge made, never from the student's process.

A *churner* (another process of the judge, outside the family) forks short-lived processes
without pause while the student's code scans ``/proc``: a process listed a moment ago is
gone when its file is read, and the student's code must skip it. Nothing waits with a sleep.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import pytest

from grader.spec import Outcome, check, fail, fork_between_samples, holds_within, probe

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="exercise 01 reads /proc: Linux only (README: 'Linux only')",
)

# README references (checked by `grader verify` against the headings of both READMEs).
API_EN = "(README: 'The API')"
API_ZH = "（见 README：「接口」）"
STAT_EN = "(README: 'Reading `/proc/<pid>/stat`')"
STAT_ZH = "（见 README：「读取 `/proc/<pid>/stat`」）"
STATES_EN = "(README: 'State letters')"
STATES_ZH = "（见 README：「状态字母」）"
PPID_EN = "(README: 'Parent and nice value')"
PPID_ZH = "（见 README：「父进程与 nice 值」）"
KIDS_EN = "(README: 'Children')"
KIDS_ZH = "（见 README：「子进程」）"
TREE_EN = "(README: 'The tree')"
TREE_ZH = "（见 README：「进程树」）"
GONE_EN = "(README: 'Processes come and go')"
GONE_ZH = "（见 README：「进程随时会消失」）"

MEANINGS = {
    "R": "running",
    "S": "sleeping",
    "D": "disk sleep",
    "T": "stopped",
    "t": "tracing stop",
    "Z": "zombie",
    "X": "dead",
    "I": "idle",
    "P": "parked",
}
READY_S = 5.0  # how long the judge gives its own family to be built (a few ms when quiet)
ROUNDS = 8  # children() + pstree() calls while the churner runs


# -- the judge's family of processes ----------------------------------------------------------

PR_SET_NAME = 15


@dataclass(frozen=True)
class Member:
    """One process of the family: its name, the state the judge puts it in, its nice value."""

    key: str
    name: str
    state: str  # S (blocked on a pipe), T (the judge's SIGSTOP), Z (ended, not reaped), R (busy)
    nice: int
    parent: str | None  # None: the root, a child of the test process
    by_thread: bool = False  # forked by a second thread of its parent, not the main one


@dataclass(frozen=True)
class Family:
    members: dict[str, Member]
    pids: dict[str, int]
    judge: int  # the test process: the root's parent
    pgrp: int  # the family's process group (the test process's): not anybody's parent here

    def pid(self, key: str) -> int:
        return self.pids[key]

    def ppid(self, key: str) -> int:
        parent = self.members[key].parent
        return self.judge if parent is None else self.pids[parent]

    def kids(self, key: str) -> list[int]:
        return sorted(self.pids[m.key] for m in self.members.values() if m.parent == key)

    def line(self, key: str) -> str:
        m = self.members[key]
        return f"{self.pids[key]} {m.state} {m.name}"

    def tree(self, key: str) -> str:
        """The expected pstree text: depth first, children by pid, the README's connectors."""
        by_pid = {pid: k for k, pid in self.pids.items()}
        lines = [self.line(key)]

        def walk(k: str, prefix: str) -> None:
            kids = self.kids(k)
            for i, pid in enumerate(kids):
                last = i == len(kids) - 1
                lines.append(prefix + ("└── " if last else "├── ") + self.line(by_pid[pid]))
                walk(by_pid[pid], prefix + ("    " if last else "│   "))

        walk(key, "")
        return "\n".join(lines)

    def key_of(self, pid: object) -> str | None:
        return next((k for k, p in self.pids.items() if p == pid), None)


def _plan(rng: random.Random, busy: bool) -> list[Member]:
    """The family, in the order its members are forked (a parent before its children).

    The names are drawn anew for each test, ``odd`` is a name that a split() of the stat line
    reads as another state and another ppid, and the nice values are drawn at or above the
    judge's own (an unprivileged judge may only lower a priority). The ``busy`` member, only
    where a test asks for it, burns a CPU: it gets nice 19, the lowest priority.
    """
    base = os.getpriority(os.PRIO_PROCESS, 0)
    values = list(range(max(base, 1), 20)) or [19]
    nices = [rng.choice(values) for _ in range(12)]
    if len(values) >= 12:
        nices = rng.sample(values, 12)
    tag = rng.randrange(10, 100)
    fake_state = rng.choice("RDT")
    odd = f"{rng.choice('abcxyz')}) {fake_state} {rng.randrange(1, 10)} {rng.randrange(1, 10)} (w"
    spec = [
        ("root", f"family-{tag}", "S", None, False),
        ("sleeper", f"sleeper-{tag}", "S", "root", False),
        ("grandchild", f"grandchild-{tag}", "S", "sleeper", False),
        ("great", f"great-{tag}", "S", "grandchild", False),
        ("dead-kid", f"dead-kid-{tag}", "Z", "sleeper", False),
        ("stopped", f"stopped-{tag}", "T", "root", False),
        ("zombie", f"zombie-{tag}", "Z", "root", False),
        ("busy", f"busy-{tag}", "R", "root", False),  # nice 19, left out unless asked for
        ("odd", odd, "S", "root", False),
        ("threaded", f"thread-born-{tag}", "S", "root", True),
        ("last", f"last-{tag}", "S", "root", False),
        ("last-kid", f"last-kid-{tag}", "S", "last", False),
    ]
    return [
        Member(key, name, state, 19 if key == "busy" else nice, parent, by_thread)
        for (key, name, state, parent, by_thread), nice in zip(spec, nices, strict=True)
        if busy or key != "busy"
    ]


def _set_name(name: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)


def _keep_only(*fds: int) -> None:
    """Close every descriptor but stdin, stdout, stderr and ``fds`` (in a judge's process)."""
    low = 3
    for fd in sorted(fds):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def _live(me: Member, plan: list[Member], hold_r: int, report_w: int) -> None:
    """The life of one family member, in its own process (trusted code); never returns.

    It takes its name, forks its own children (the one marked ``by_thread`` from a second
    thread that stays alive, blocked), reports their pids, then takes its nice value (after
    forking: an unprivileged process can raise its nice value but never lower it back) and
    its state: ends at once (Z), loops (R), or blocks on the hold pipe (S; T once the judge
    stops it). On EOF on the hold pipe (the judge closed it) it reaps its children and ends.
    """
    try:
        _set_name(me.name)
        for kid in (m for m in plan if m.parent == me.key):
            if kid.by_thread:
                forked = threading.Event()

                def from_thread(kid: Member = kid, forked: threading.Event = forked) -> None:
                    pid = fork_between_samples()
                    if pid == 0:
                        _live(kid, plan, hold_r, report_w)
                    os.write(report_w, f"{kid.key} {pid}\n".encode())
                    forked.set()
                    os.read(hold_r, 1)  # this thread stays alive: the child stays its child

                threading.Thread(target=from_thread, daemon=True).start()
                forked.wait(READY_S)
            else:
                pid = fork_between_samples()
                if pid == 0:
                    _live(kid, plan, hold_r, report_w)
                os.write(report_w, f"{kid.key} {pid}\n".encode())
        os.setpriority(os.PRIO_PROCESS, 0, me.nice)
        if me.state == "Z":
            os._exit(0)
        if me.state == "R":
            while True:
                pass
        os.read(hold_r, 1)  # S: asleep until the judge closes the pipe (EOF)
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
    finally:
        os._exit(0)


@contextlib.contextmanager
def family(busy: bool = False) -> Iterator[Family]:
    """Fork the judge's family, wait until /proc shows each member as planned, end it after.

    Forked before any student code runs in the test (so before the grader's sampling thread
    exists); the grader leaves the judge's own children alone during student runs.
    """
    plan = _plan(random.Random(), busy)
    members = {m.key: m for m in plan}
    hold_r, hold_w = os.pipe()
    report_r, report_w = os.pipe()
    root = fork_between_samples()
    if root == 0:  # pragma: no cover - the family's root never returns
        try:
            _keep_only(hold_r, report_w)  # none of the judge's other pipes and files
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            _live(plan[0], plan, hold_r, report_w)
        finally:
            os._exit(0)
    os.close(hold_r)
    os.close(report_w)
    pids = {"root": root}
    try:
        _read_reports(report_r, pids, len(plan))
        fam = Family(members=members, pids=pids, judge=os.getpid(), pgrp=os.getpgrp())
        # Stopped only once it sleeps with its own name and nice: its pid is reported as it
        # is forked, and a process stopped before it ran would keep its parent's name.
        holds_within(lambda: _as_planned(fam, "stopped", state="S"), READY_S)
        os.kill(fam.pid("stopped"), signal.SIGSTOP)
        _wait_until_built(fam)
        yield fam
    finally:
        for key in ("stopped", "busy"):  # they cannot read the EOF
            if key in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pids[key], signal.SIGKILL)
        os.close(hold_w)  # EOF: every sleeper reaps its children and ends
        os.close(report_r)
        if not _reaped(root, 5.0):
            for pid in pids.values():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _reaped(root, 5.0)


def _read_reports(report_r: int, pids: dict[str, int], count: int) -> None:
    buffer = b""
    deadline = time.monotonic() + READY_S
    while len(pids) < count:
        ready, _, _ = select.select([report_r], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise RuntimeError(f"the judge's family was not built in time: {sorted(pids)}")
        chunk = os.read(report_r, 4096)
        if not chunk:
            raise RuntimeError(f"the judge's family ended while being built: {sorted(pids)}")
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            key, pid = line.decode().split()
            pids[key] = int(pid)


def _as_planned(fam: Family, key: str, state: str | None = None) -> bool:
    """/proc shows member ``key`` as planned (in ``state`` instead of its own, if given)."""
    row = probe.read(fam.pid(key))
    m = fam.members[key]
    wanted = state or m.state
    if row is None or row.state != wanted or row.name != m.name or row.ppid != fam.ppid(key):
        return False
    try:
        return os.getpriority(os.PRIO_PROCESS, fam.pid(key)) == m.nice
    except OSError:
        return False


def _wait_until_built(fam: Family) -> None:
    """The judge's own look at /proc: every member has its name, state, parent and nice."""
    if not holds_within(lambda: all(_as_planned(fam, key) for key in fam.members), READY_S):
        rows = {key: probe.read(pid) for key, pid in fam.pids.items()}
        raise RuntimeError(
            "the judge's own family of processes did not reach its planned states: "
            + ", ".join(f"{k}={r.describe() if r else 'gone'}" for k, r in rows.items())
        )


def _reaped(pid: int, timeout: float) -> bool:
    """Wait (polling, with a deadline) until our child ``pid`` has ended; reap it."""
    return holds_within(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, timeout)


@contextlib.contextmanager
def churner() -> Iterator[int]:
    """A process of the judge (not in the family) that forks children that end at once and
    reaps them, without pause, until the judge closes its pipe: processes come and go."""
    stop_r, stop_w = os.pipe()
    pid = fork_between_samples()
    if pid == 0:  # pragma: no cover - never returns
        try:
            _keep_only(stop_r)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            _set_name("churner")
            while not select.select([stop_r], [], [], 0)[0]:
                kid = os.fork()
                if kid == 0:
                    os._exit(0)
                os.waitpid(kid, 0)
        finally:
            os._exit(0)
    os.close(stop_r)
    try:
        yield pid
    finally:
        os.close(stop_w)
        if not _reaped(pid, 5.0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _reaped(pid, 5.0)


def _gone_pid() -> int:
    """The pid of a process that has just ended and been reaped: nothing has it now."""
    pid = fork_between_samples()
    if pid == 0:  # pragma: no cover
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


# -- scenarios: they only act (call the student's functions); every verdict is made here -------


def _each(module: ModuleType, function: str, calls: list[list[object]]) -> list[object]:
    """Scenario: call ``function`` once per argument list, in one sandbox; the values."""
    target = getattr(module, function)
    return [target(*args) for args in calls]


def _meanings(module: ModuleType, letters: str, unknown: str) -> dict[str, object]:
    """Scenario: state_meaning of each letter, then of a letter that is no state."""
    seen: dict[str, object] = {letter: module.state_meaning(letter) for letter in letters}
    try:
        seen["unknown"] = {"returned": module.state_meaning(unknown)}
    except ValueError:
        seen["unknown"] = {"raised": "ValueError"}
    except Exception as exc:
        seen["unknown"] = {"raised": type(exc).__name__}
    return seen


def _rounds(module: ModuleType, root: int, rounds: int) -> dict[str, object]:
    """Scenario: children(root) and pstree(root), ``rounds`` times (while processes churn)."""
    kids: object = None
    tree: object = None
    for _ in range(rounds):
        kids = module.children(root)
        tree = module.pstree(root)
    return {"children": kids, "tree": tree}


def _infos(student, fam: Family, keys: list[str]) -> dict[str, object]:
    label = "process_info(pid) for " + ", ".join(f"{fam.pid(k)}" for k in keys)
    values = student.options(label=label).scenario(
        _each, "process_info", [[fam.pid(k)] for k in keys]
    )
    return dict(zip(keys, values, strict=True))


def _check_info_shape(pid: int, got: object) -> dict[str, object]:
    keys = ("pid", "name", "state", "meaning", "ppid", "nice")
    if not isinstance(got, dict) or any(k not in got for k in keys):
        fail(
            en=f"process_info({pid}) returned {got!r}: return a dict with the keys "
            f"{', '.join(keys)} for a process that exists {API_EN}.",
            zh=f"process_info({pid}) 返回了 {got!r}：对一个存在的进程，要返回一个字典，包含 "
            f"{', '.join(keys)} 这几个键{API_ZH}。",
        )
    check(
        got["pid"] == pid,
        en=f"process_info({pid}) returned pid {got['pid']!r}: the pid asked about, as an int "
        f"{API_EN}.",
        zh=f"process_info({pid}) 返回的 pid 是 {got['pid']!r}：应当就是被查询的那个 pid（整数）"
        f"{API_ZH}。",
    )
    return got


# -- state letters ----------------------------------------------------------------------------


@pytest.mark.points(1)
def test_state_letters_mean_what_the_kernel_says(student):
    unknown = random.choice("qQvV?")
    seen = student.options(label="state_meaning(letter)").scenario(
        _meanings, "".join(MEANINGS), unknown
    )
    for letter, want in MEANINGS.items():
        got = seen[letter]
        if got == want:
            continue
        extra_en, extra_zh = "", ""
        if letter == "D":
            extra_en = (
                " D is a sleep inside the kernel that no signal interrupts (usually waiting for "
                "a disk): 'disk sleep'. The dead one is X, and a dead process that its parent "
                "has not collected yet is Z."
            )
            extra_zh = (
                " D 是在内核里等待、不能被信号打断的睡眠（通常在等磁盘）：'disk sleep'。"
                "死掉的是 X；已经结束、还没被父进程回收的是 Z。"
            )
        if letter == "T":
            extra_en = " T means stopped (SIGSTOP, Ctrl-Z), not terminated: SIGCONT resumes it."
            extra_zh = " T 表示暂停（SIGSTOP、Ctrl-Z），不是终止：收到 SIGCONT 就会继续运行。"
        fail(
            en=f"state_meaning({letter!r}) returned {got!r}, expected {want!r}: the word the "
            f"kernel prints in the State: line of /proc/<pid>/status.{extra_en} {STATES_EN}",
            zh=f"state_meaning({letter!r}) 返回了 {got!r}，应当是 {want!r}：也就是内核在 "
            f"/proc/<pid>/status 的 State: 一行里写的那个词。{extra_zh}{STATES_ZH}",
        )
    check(
        seen["unknown"] == {"raised": "ValueError"},
        en=f"state_meaning({unknown!r}) gave {seen['unknown']}: {unknown!r} is no state "
        f"letter; raise ValueError {STATES_EN}.",
        zh=f"state_meaning({unknown!r}) 的结果是 {seen['unknown']}：{unknown!r} 不是状态字母，"
        f"应当抛出 ValueError{STATES_ZH}。",
    )


# -- one process: state, ppid, nice, name -----------------------------------------------------


@pytest.mark.points(3)
def test_states_of_processes_the_judge_made(student):
    keys = ["sleeper", "stopped", "zombie", "busy"]
    with family(busy=True) as fam:
        infos = _infos(student, fam, keys)
    how = {
        "sleeper": ("is blocked reading a pipe", "阻塞在读管道上"),
        "stopped": ("was stopped by the judge with SIGSTOP", "被评测程序用 SIGSTOP 暂停了"),
        "zombie": ("has ended and its parent has not collected it", "已经结束，父进程还没有回收它"),
        "busy": ("runs a loop on the CPU without pause", "一直在 CPU 上跑循环"),
    }
    states = {}
    for key in keys:
        pid, want = fam.pid(key), fam.members[key].state
        got = _check_info_shape(pid, infos[key])
        states[key] = got["state"]
        en_how, zh_how = how[key]
        check(
            got["state"] == want,
            en=f"pid {pid} {en_how}: /proc/{pid}/stat says state {want} ({MEANINGS[want]}), "
            f"process_info said {got['state']!r}. Read the letter from the process's own stat "
            f"file, the first field after the name {STAT_EN} {STATES_EN}.",
            zh=f"pid {pid} {zh_how}：/proc/{pid}/stat 里它的状态是 {want}（{MEANINGS[want]}），"
            f"process_info 却说是 {got['state']!r}。要从这个进程自己的 stat 文件里读出状态字母，"
            f"也就是名字后面的第一个字段{STAT_ZH}{STATES_ZH}。",
        )
        check(
            got["meaning"] == MEANINGS[want],
            en=f"process_info({pid}) said state {want} means {got['meaning']!r}: it is "
            f"{MEANINGS[want]!r} {STATES_EN}.",
            zh=f"process_info({pid}) 说状态 {want} 的含义是 {got['meaning']!r}：应当是 "
            f"{MEANINGS[want]!r}{STATES_ZH}。",
        )


@pytest.mark.points(2)
def test_parent_and_nice_value(student):
    keys = ["sleeper", "grandchild", "great", "dead-kid", "threaded", "last-kid"]
    with family() as fam:
        infos = _infos(student, fam, keys)
    for key in keys:
        pid, m = fam.pid(key), fam.members[key]
        got = _check_info_shape(pid, infos[key])
        ppid = fam.ppid(key)
        if got["ppid"] != ppid:
            why_en, why_zh = "", ""
            if got["ppid"] == fam.pgrp:
                why_en = (
                    f" {fam.pgrp} is its process group (field 5), not its parent: the parent "
                    "is field 4, the second field after the name."
                )
                why_zh = (
                    f" {fam.pgrp} 是它的进程组号（第 5 个字段），不是父进程：父进程是第 4 个"
                    "字段，也就是名字后面的第二个字段。"
                )
            fail(
                en=f"pid {pid} ({m.name}) is a child of pid {ppid}; process_info said its ppid "
                f"is {got['ppid']!r}.{why_en} {PPID_EN} {STAT_EN}",
                zh=f"pid {pid}（{m.name}）是 pid {ppid} 的子进程；process_info 却说它的 ppid 是 "
                f"{got['ppid']!r}。{why_zh}{PPID_ZH}{STAT_ZH}",
            )
        if got["nice"] != m.nice:
            why_en, why_zh = "", ""
            if got["nice"] == 20 + m.nice:
                why_en = (
                    f" {20 + m.nice} is the priority (field 18, 20 + nice for a normal process): "
                    "the nice value is the next field, 19."
                )
                why_zh = (
                    f" {20 + m.nice} 是优先级 priority（第 18 个字段，普通进程是 20 + nice）："
                    "nice 值是紧接着的第 19 个字段。"
                )
            fail(
                en=f"the judge set the nice value of pid {pid} ({m.name}) to {m.nice} (as `nice "
                f"-n {m.nice}` would); process_info said {got['nice']!r}.{why_en} {PPID_EN}",
                zh=f"评测程序把 pid {pid}（{m.name}）的 nice 值设成了 {m.nice}（相当于 `nice -n "
                f"{m.nice}`）；process_info 却说是 {got['nice']!r}。{why_zh}{PPID_ZH}",
            )


@pytest.mark.points(2)
def test_a_name_with_spaces_and_parentheses(student):
    with family() as fam:
        infos = _infos(student, fam, ["odd"])
    pid, m = fam.pid("odd"), fam.members["odd"]
    got = _check_info_shape(pid, infos["odd"])
    wrong = {
        k: got[k]
        for k, want in (
            ("name", m.name),
            ("state", "S"),
            ("ppid", fam.ppid("odd")),
            ("nice", m.nice),
        )
        if got[k] != want
    }
    check(
        not wrong,
        en=f"the judge named pid {pid} {m.name!r} with prctl(PR_SET_NAME), so its stat line is "
        f"{pid} ({m.name}) S {fam.ppid('odd')} ... Expected name {m.name!r}, state 'S', ppid "
        f"{fam.ppid('odd')}, nice {m.nice}; process_info got {wrong}. A name may hold spaces "
        "and ')': a split() of the whole line, or a cut at the first ')', reads a piece of the "
        "name as the state and the ppid. Take the name between the first '(' and the LAST ')', "
        f"and split only what comes after it {STAT_EN}.",
        zh=f"评测程序用 prctl(PR_SET_NAME) 把 pid {pid} 的名字设成了 {m.name!r}，于是它的 stat "
        f"行是 {pid} ({m.name}) S {fam.ppid('odd')} ……应当得到名字 {m.name!r}、状态 'S'、ppid "
        f"{fam.ppid('odd')}、nice {m.nice}；process_info 却得到 {wrong}。进程名里可以有空格和 "
        "')'：对整行 split()，或者在第一个 ')' 处切开，都会把名字的一部分当成状态和 ppid。"
        f"名字要取第一个 '(' 和最后一个 ')' 之间的部分，只对它后面的内容做 split(){STAT_ZH}。",
    )


# -- children and the tree --------------------------------------------------------------------


def _odd_note(fam: Family) -> tuple[str, str]:
    """Why the process with the odd name goes astray (for messages)."""
    pid, name = fam.pid("odd"), fam.members["odd"].name
    return (
        f"its name is {name!r}, so its stat line is '{pid} ({name}) S {fam.ppid('odd')} ...'. "
        "A split() of the whole line, or a cut at the first ')', reads a piece of the name as "
        "its state and its ppid. Cut at the LAST ')'.",
        f"它的名字是 {name!r}，所以它的 stat 行是 '{pid} ({name}) S {fam.ppid('odd')} ……'。"
        "对整行 split()，或者在第一个 ')' 处切开，都会把名字的一部分当成状态和 ppid。"
        "要在最后一个 ')' 处切开。",
    )


def _children_problem(fam: Family, key: str, got: object) -> None:
    pid, want = fam.pid(key), fam.kids(key)
    if got == want:
        return
    head_en = f"children({pid}) returned {got!r}, expected {want}. "
    head_zh = f"children({pid}) 返回了 {got!r}，应当是 {want}。"
    if not isinstance(got, list) or not all(type(p) is int for p in got):
        fail(
            en=head_en + f"Return a list of ints, in ascending order {KIDS_EN}.",
            zh=head_zh + f"要返回一个整数列表，按从小到大的顺序{KIDS_ZH}。",
        )
    missing, extra = set(want) - set(got), set(got) - set(want)
    if sorted(got) == want:
        fail(
            en=head_en + f"The right pids in the wrong order: sort them {KIDS_EN}.",
            zh=head_zh + f"pid 都对，顺序不对：要排好序{KIDS_ZH}。",
        )
    tasks = set()
    with contextlib.suppress(OSError):
        tasks = {int(t) for t in os.listdir(f"/proc/{pid}/task")} - {pid}
    if extra and extra <= tasks | {pid}:
        fail(
            en=head_en + f"{sorted(extra)} are threads of pid {pid} (the folders of "
            f"/proc/{pid}/task), not processes it forked. Its children are the processes whose "
            f"ppid is {pid} {KIDS_EN}.",
            zh=head_zh + f"{sorted(extra)} 是 pid {pid} 的线程（/proc/{pid}/task 下的目录），"
            f"不是它 fork 出来的进程。它的子进程是那些 ppid 等于 {pid} 的进程{KIDS_ZH}。",
        )
    if fam.pid("odd") in missing:
        fail(
            en=head_en + f"{fam.pid('odd')} is missing: {_odd_note(fam)[0]} {STAT_EN} {KIDS_EN}",
            zh=head_zh + f"少了 {fam.pid('odd')}：{_odd_note(fam)[1]}{STAT_ZH}{KIDS_ZH}",
        )
    for mk in missing:
        m = fam.members[fam.key_of(mk) or ""]
        if m.state == "Z":
            fail(
                en=head_en + f"{mk} ({m.name}) is missing: a zombie. It has ended, but it is "
                f"still a child of {pid} (its ppid is {pid}) until {pid} collects it {KIDS_EN}.",
                zh=head_zh + f"少了 {mk}（{m.name}）：它是个僵尸进程。它虽然已经结束，但在 "
                f"{pid} 回收它之前，它仍然是 {pid} 的子进程（ppid 仍是 {pid}）{KIDS_ZH}。",
            )
        if m.by_thread:
            fail(
                en=head_en + f"{mk} ({m.name}) is missing: it was forked by a second thread "
                f"of {pid}. Its ppid is {pid} all the same, but /proc/{pid}/task/{pid}/children "
                f"lists only the children of the main thread (and that file exists only on "
                f"kernels built with CONFIG_PROC_CHILDREN). Scan every /proc/<n>/stat for ppid "
                f"== {pid} {KIDS_EN}.",
                zh=head_zh + f"少了 {mk}（{m.name}）：它是 {pid} 的另一个线程 fork 出来的。它的 "
                f"ppid 照样是 {pid}，可是 /proc/{pid}/task/{pid}/children 只列出主线程的子进程"
                f"（而且只有编译时打开了 CONFIG_PROC_CHILDREN 的内核才有这个文件）。要扫描每个 "
                f"/proc/<n>/stat，找出 ppid == {pid} 的进程{KIDS_ZH}。",
            )
    fail(
        en=head_en + f"The children of {pid} are exactly the processes whose ppid (field 4 of "
        f"/proc/<n>/stat) is {pid}: list /proc, read each stat, keep those {KIDS_EN}.",
        zh=head_zh + f"{pid} 的子进程，正好就是 ppid（/proc/<n>/stat 的第 4 个字段）等于 {pid} "
        f"的那些进程：列出 /proc，读每个 stat，把它们挑出来{KIDS_ZH}。",
    )


def _no_children_file(outcome: Outcome) -> None:
    err = outcome.error
    if err is not None and err.type == "FileNotFoundError" and "children" in err.message:
        fail(
            en=f"{outcome.label} raised {err.type}: {err.message}. /proc/<pid>/task/<tid>/"
            "children exists only on kernels built with CONFIG_PROC_CHILDREN (not this one), "
            "and it lists the children of one thread only. Find the children by their ppid: "
            f"scan every /proc/<n>/stat {KIDS_EN}.\n{err.traceback}",
            zh=f"{outcome.label} 抛出了 {err.type}: {err.message}。/proc/<pid>/task/<tid>/"
            "children 只有编译时打开了 CONFIG_PROC_CHILDREN 的内核才有（这台机器的内核没有），"
            "而且它只列出一个线程的子进程。要按 ppid 找子进程：扫描每个 /proc/<n>/stat"
            f"{KIDS_ZH}。\n{err.traceback}",
        )


@pytest.mark.points(2)
def test_children_of_a_process(student):
    keys = ["root", "sleeper", "last-kid"]
    with family() as fam:
        label = "children(pid) for " + ", ".join(str(fam.pid(k)) for k in keys)
        outcome = student.options(label=label).run_scenario(
            _each, "children", [[fam.pid(k)] for k in keys]
        )
        _no_children_file(outcome)
        values = outcome.value_or_raise()
        for key, got in zip(keys, values, strict=True):
            _children_problem(fam, key, got)  # while the family lives: its threads are named


def _tree_problem(fam: Family, key: str, got: object) -> None:
    want = fam.tree(key)
    if isinstance(got, str) and got.rstrip("\n") == want:
        return
    pid = fam.pid(key)
    shown = got if isinstance(got, str) else repr(got)
    head_en = f"pstree({pid}) returned\n{shown}\nexpected\n{want}\n"
    head_zh = f"pstree({pid}) 返回了\n{shown}\n应当是\n{want}\n"
    if not isinstance(got, str):
        fail(
            en=head_en + f"Return the tree as one str, one line per process {TREE_EN}.",
            zh=head_zh + f"要把整棵树作为一个字符串返回，每个进程一行{TREE_ZH}。",
        )
    lines = got.rstrip("\n").split("\n")
    wanted = want.split("\n")

    def bare(line: str) -> str:
        return line.lstrip("│├└─ ")

    got_bare, want_bare = [bare(x) for x in lines], [bare(x) for x in wanted]
    lost = [x for x in want_bare if x not in got_bare]
    if lost:
        deep = [x for x in lost if x.split(" ", 1)[0] not in {str(p) for p in fam.kids(key)}]
        en_more = zh_more = ""
        if deep and len(deep) == len(lost):
            en_more = (
                " Only grandchildren and deeper are missing: after the children, go down into "
                "each child's own children, and theirs, to the bottom."
            )
            zh_more = (
                "缺的都是孙进程或更深的后代：列出子进程之后，"
                "还要递归地进入每个子进程的子进程，一直到底。"
            )
        if any(x.startswith(f"{fam.pid('odd')} ") for x in lost):
            en_more, zh_more = (f" {fam.pid('odd')}: {_odd_note(fam)[0]}", _odd_note(fam)[1])
            en_more, zh_more = en_more + f" {STAT_EN}", zh_more + STAT_ZH
        fail(
            en=head_en + f"Missing: {lost}.{en_more} {TREE_EN}",
            zh=head_zh + f"少了：{lost}。{zh_more}{TREE_ZH}",
        )
    if sorted(got_bare) == sorted(want_bare) and got_bare != want_bare:
        fail(
            en=head_en + "Every process is there, in the wrong order. Depth first: each "
            "process's subtree comes right under it, before its next sibling; siblings in "
            f"ascending pid order {TREE_EN}.",
            zh=head_zh + "进程都在，顺序不对。要深度优先：每个进程的整棵子树紧跟在它下面，"
            f"然后才是它的下一个兄弟；兄弟之间按 pid 从小到大排列{TREE_ZH}。",
        )
    fail(
        en=head_en + "Each line is the prefix, then `pid state name`. Below a child that is "
        "not the last one of its parent the prefix goes on with '│   ', below the last one with "
        f"four spaces; the child itself gets '├── ', the last one '└── ' {TREE_EN}.",
        zh=head_zh + "每一行是前缀加上 `pid 状态 名字`。不是父进程最后一个子进程的，它下面各行的"
        "前缀接上 '│   '；最后一个子进程下面各行接上四个空格；子进程本身那一行用 '├── '，最后"
        f"一个用 '└── '{TREE_ZH}。",
    )


@pytest.mark.points(3)
def test_the_tree_of_a_process(student):
    keys = ["root", "last"]
    with family() as fam:
        label = "pstree(pid) for " + ", ".join(str(fam.pid(k)) for k in keys)
        outcome = student.options(label=label).run_scenario(
            _each, "pstree", [[fam.pid(k)] for k in keys]
        )
    _no_children_file(outcome)
    values = outcome.value_or_raise()
    for key, got in zip(keys, values, strict=True):
        _tree_problem(fam, key, got)


# -- processes that are gone ------------------------------------------------------------------


def _gone_scenario(module: ModuleType, gone: int, alive: int, parent: int) -> dict[str, object]:
    """Scenario: each function on a pid that is gone, and on processes that are there."""
    return {
        "info_alive": module.process_info(alive),
        "info_gone": module.process_info(gone),
        "children_alive": module.children(parent),
        "children_gone": module.children(gone),
        "tree_alive": module.pstree(parent),
        "tree_gone": module.pstree(gone),
    }


@pytest.mark.points(1)
def test_a_process_that_is_gone(student):
    with family() as fam:
        gone = _gone_pid()
        alive, parent = fam.pid("sleeper"), fam.pid("last")
        outcome = student.options(
            label=f"process_info / children / pstree of pid {gone}, which has ended"
        ).run_scenario(_gone_scenario, gone, alive, parent)
    if probe.read(gone) is not None:
        pytest.skip("the pid of the ended process was taken again meanwhile")
    err = outcome.error
    if err is not None and err.type in ("FileNotFoundError", "ProcessLookupError"):
        fail(
            en=f"asked about pid {gone}, which has ended and been collected, your code raised "
            f"{err.type}: {err.message}. A pid you were given, or listed a moment ago, may "
            "be gone by the time you open its files: catch FileNotFoundError and "
            "ProcessLookupError there, and answer None, [] and '' "
            f"{GONE_EN}.\n{err.traceback}",
            zh=f"查询 pid {gone}（它已经结束并被回收）时，你的代码抛出了 {err.type}: "
            f"{err.message}。别人给你的 pid，或者刚刚列出来的 pid，等你去打开它的文件时可能已经"
            "不在了：在那里捕获 FileNotFoundError 和 ProcessLookupError，分别回答 None、[] 和 ''"
            f"{GONE_ZH}。\n{err.traceback}",
        )
    _no_children_file(outcome)
    seen = outcome.value_or_raise()
    # First: the functions really work on processes that are there (or None would pass).
    got = _check_info_shape(alive, seen["info_alive"])
    check(
        got["state"] == "S" and got["ppid"] == fam.ppid("sleeper"),
        en=f"process_info({alive}) returned {got!r}: pid {alive} is asleep (S), a child of "
        f"{fam.ppid('sleeper')} {STAT_EN}.",
        zh=f"process_info({alive}) 返回了 {got!r}：pid {alive} 在睡眠（S），是 "
        f"{fam.ppid('sleeper')} 的子进程{STAT_ZH}。",
    )
    _children_problem(fam, "last", seen["children_alive"])
    _tree_problem(fam, "last", seen["tree_alive"])
    for what, want in (("info_gone", None), ("children_gone", []), ("tree_gone", "")):
        call = {"info_gone": "process_info", "children_gone": "children", "tree_gone": "pstree"}
        check(
            seen[what] == want,
            en=f"{call[what]}({gone}) returned {seen[what]!r}: pid {gone} has ended and been "
            f"collected, there is no such process; return {want!r} {GONE_EN}.",
            zh=f"{call[what]}({gone}) 返回了 {seen[what]!r}：pid {gone} 已经结束并被回收，"
            f"没有这个进程了，应当返回 {want!r}{GONE_ZH}。",
        )


@pytest.mark.points(2)
def test_processes_that_vanish_while_you_look(student):
    with family() as fam, churner():
        root = fam.pid("root")
        outcome = student.options(
            label=f"children({root}) and pstree({root}), {ROUNDS} times, while processes "
            "come and go"
        ).run_scenario(_rounds, root, ROUNDS)
    err = outcome.error
    if err is not None and err.type in ("FileNotFoundError", "ProcessLookupError"):
        fail(
            en=f"{outcome.label}: your code raised {err.type}: {err.message}. Beside it the "
            "judge ran a process that forks children that end at once: a pid you list in "
            "/proc may be gone by the time you read its stat file. That is no error: skip "
            "that pid (catch FileNotFoundError and ProcessLookupError around the open and the "
            f"read) and go on {GONE_EN}.\n{err.traceback}",
            zh=f"{outcome.label}：你的代码抛出了 {err.type}: {err.message}。评测程序在旁边运行着"
            "一个不停 fork 子进程、子进程又马上结束的进程：你在 /proc 里列出的 pid，等你去读它的 "
            "stat 文件时可能已经不在了。这不是错误：跳过这个 pid（在 open 和 read 外面捕获 "
            f"FileNotFoundError 和 ProcessLookupError），接着往下走{GONE_ZH}。\n{err.traceback}",
        )
    _no_children_file(outcome)
    seen = outcome.value_or_raise()
    _children_problem(fam, "root", seen["children"])
    _tree_problem(fam, "root", seen["tree"])
