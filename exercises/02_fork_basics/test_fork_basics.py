"""Spec for exercise 02 — fork basics. Run it with `grader check fork_basics`.

The judge observes; the sandbox only acts. Every student call runs in a sandbox process, the
*caller*, and every verdict rests on what this test process saw of it from outside, or on
results that only real work can produce:

* the judge's own look at the process table (``probe.subtree``) while the call runs: every
  process below the caller, its parent, whether it is a zombie — so the children, their pids,
  their parent and how many ran at once are what the judge saw, never what the student's
  code says;
* the process table the moment each call returned (zombies, children still running), and
  after it until the sandbox's result has arrived: the scenario says when a call returned, in
  a folder the sandbox may write, so student code can say it too, early; a process that
  appears below the caller after the last call's look was not waited for before the return;
* whether the caller ignores SIGCHLD (``SigIgn`` in ``/proc/<pid>/status``), read before
  the judge lets a fork return: then the kernel, not a wait, removes the children;
* the output the judge captured (the student's stdout), and the file the judge reads;
* ``outcome.fell_through``: forked children that left the student's function;
* endings the judge imposes on the children (exit codes drawn at random), and the order,
  drawn at random, in which the judge lets the children end.

How the judge keeps up with fast children: a trusted scenario registers fork hooks in the
sandbox. Each forked process waits, before its own code runs, until the judge has seen it and
lets it go (a ``go-<pid>`` file the judge writes); each fork in the caller waits until the judge
has seen the new child (so the judge knows the fork order). The judge lets the children go
one at a time, in a random order, once the caller sleeps in ``wait`` (or nothing has moved
for a while); after each call the scenario waits until the judge has looked at the process
table. Nothing the scenario records is evidence; nothing waits with a sleep (the hooks and
the judge poll with deadlines).
"""

from __future__ import annotations

import functools
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from grader.spec import (
    Ending,
    Msg,
    Outcome,
    check,
    check_every_child_used_os_exit,
    fail,
    holds_within,
    probe,
)

# README references (checked by `grader verify` against the headings of both READMEs).
EXIT_EN = "(README: 'End every child with `os._exit`')"
EXIT_ZH = "（README.zh-CN:「每个子进程都用 `os._exit` 结束」）"
P1_EN = "(README: 'Part 1 — one call, two returns')"
P1_ZH = "（README.zh-CN:「第一部分：一次调用，两次返回」）"
FLUSH_EN = "(README: 'Flush before you fork')"
FLUSH_ZH = "（README.zh-CN:「fork 之前先 flush」）"
P2_EN = "(README: 'Part 2 — the child has a copy')"
P2_ZH = "（README.zh-CN:「第二部分：子进程拿到的是副本」）"
P3_EN = "(README: 'Part 3 — many children, one parent')"
P3_ZH = "（README.zh-CN:「第三部分：一个父进程，多个子进程」）"
STATUS_EN = "(README: 'Exit codes and wait statuses')"
STATUS_ZH = "（README.zh-CN:「退出码与等待状态」）"

GATE_S = 4.0  # how long a forked process (or a fork in the caller) waits for the judge
STALL_S = 1.5  # nothing new for this long, the caller asleep (S): let the children go
STEP_S = 1.0  # a child let go that has not ended after this long: the next one goes too
POLL_S = 0.002  # how often the judge looks, and the hooks look for its answer
WATCH_S = 11.0  # the longest the judge watches one sandbox (the test's deadline is 15 s)
BUFFER = 8192  # stdout as Python buffers it when it goes to a pipe or a file

ITEMS = [4, 8, 15, 16, 23, 42]
CODES = [3, 0, 42, 7, 255]  # odd count, distinct codes
AGAIN = [5, 5, 0]  # a second call in the same process: only its own children count
IMPOSED = [1, 2, 3, 4]  # the codes asked for while the judge imposes other endings


# -- the sandbox side: a trusted scenario that only acts --------------------------------------


def _change(secret: int, items: list[int]) -> None:
    """The change a child makes to its list: a number drawn by the judge, and its own pid."""
    items.append(secret)
    items.append(os.getpid())


def _scenario(
    module: ModuleType, gate: str, calls: list[tuple[str, tuple[object, ...], list[int] | None]]
) -> list[object] | None:
    """Scenario: call ``function(*args)`` for each call, in one process, with fork hooks that
    let the judge see every child, and stdout block-buffered as for a pipe.

    With ``impose`` (a list), child k of that call ends with ``os._exit(impose[k])`` as soon as
    the judge lets it go, before the student's code in the child runs.
    """
    caller = os.getpid()
    state: dict[str, object] = {"forks": 0, "first": 0, "impose": None}

    def flagged() -> int:
        return sum(1 for name in os.listdir(gate) if name.startswith("child-"))

    def in_parent() -> None:
        if os.getpid() != caller:
            return
        forks = int(state["forks"]) + 1  # type: ignore[call-overload]
        state["forks"] = forks
        holds_within(lambda: flagged() >= forks, GATE_S, POLL_S)  # the judge has seen the new child

    def in_child() -> None:
        me = os.getpid()
        holds_within(lambda: os.path.exists(os.path.join(gate, f"go-{me}")), GATE_S, POLL_S)
        impose = state["impose"]
        if isinstance(impose, list) and os.getppid() == caller:
            k = int(state["forks"]) - int(state["first"])  # type: ignore[call-overload]
            if 0 <= k < len(impose):
                os._exit(impose[k])

    os.register_at_fork(after_in_parent=in_parent, after_in_child=in_child)
    results: list[object] = []
    for index, (function, args, impose) in enumerate(calls):
        state.update(first=state["forks"], impose=impose)
        sys.stdout.flush()
        saved = sys.stdout
        # As when a program's output goes to a pipe (`python3 prog.py | cat`): block-buffered.
        sys.stdout = open(1, "w", buffering=BUFFER, closefd=False)  # noqa: SIM115
        try:
            value = getattr(module, function)(*args)
        finally:
            if os.getpid() == caller:
                sys.stdout.flush()
                sys.stdout = saved
        if os.getpid() != caller:
            return None  # a child came back out of the student's function: the sandbox says so
        Path(gate, f"returned-{index}").touch()
        looked = Path(gate, f"looked-{index}")
        holds_within(looked.exists, GATE_S, POLL_S)
        results.append(value)
    return results


# -- the judge's side ---------------------------------------------------------------------------


@dataclass
class Seen:
    """What the judge saw of one call."""

    children: list[int] = field(default_factory=list)  # the caller's children, in fork order
    others: list[tuple[int, int]] = field(default_factory=list)  # (pid, ppid) further below
    most_alive: int = 0  # most live children of the caller at one look
    released: list[int] = field(default_factory=list)  # the order the judge let them go
    zombies: list[probe.Proc] = field(default_factory=list)  # at return
    running: list[probe.Proc] = field(default_factory=list)  # at return, below the caller
    returned: bool = False
    after: list[probe.Proc] = field(default_factory=list)  # below the caller after the last return
    ignored: bool = False  # the caller had SIGCHLD ignored at a look during this call


@dataclass
class Watch:
    outcome: Outcome
    calls: list[Seen]

    @property
    def caller(self) -> int:
        return self.outcome.pid


def _in_wait(pid: int) -> bool:
    """The caller sleeps in wait()/waitpid() (its kernel wait channel), as far as /proc says.

    A running process has no wait channel: a caller woken by a child's end reads as not
    waiting until it has collected that child and waits again.
    """
    return "wait" in probe.wait_channel(pid)


def _ignores_sigchld(pid: int) -> bool:
    """The process has SIGCHLD set to SIG_IGN now (``SigIgn`` of ``/proc/<pid>/status``).

    Then the kernel discards each child's exit status and removes the child as it ends: no
    zombie is ever left, and no wait() collects it (nor its exit code).
    """
    return probe.disposition(pid, signal.SIGCHLD) == "ignored"


def _order(rng: random.Random, pids: list[int]) -> list[int]:
    """The order in which the judge lets the children go: never the fork order (for 2+)."""
    order = list(pids)
    while len(order) > 1 and order == pids:
        rng.shuffle(order)
    return order


def _watch(
    student,
    gate: Path,
    calls: list[tuple[str, tuple[object, ...], list[int] | None]],
    expected: list[int],
    label: str,
    wait_first: bool = False,
) -> Watch:
    """Run the calls in one sandbox and watch every process below the caller.

    The judge lets the children of a call go once the caller sleeps in wait() (it waits for
    a child that cannot end before), or once all ``expected`` children are there (unless
    ``wait_first``: then only once the caller waits), or, whatever the caller does instead
    (it polls, it waits otherwise, /proc has no wait channel), once nothing has happened for
    STALL_S while the caller slept (S: not in D, a fork or page fault on a busy machine).

    The look "nothing left at return" is taken when the scenario says a call returned, in a
    folder the sandbox may write: student code can say it too, at a moment of its choosing.
    So the judge goes on looking until the sandbox's result has arrived (one last look then),
    and whatever appears below the caller after the last call's look is noted (``after``):
    a child forked after that look was not waited for before it. At every look, before the
    judge lets a new child's fork return in the caller, it also reads whether the caller
    ignores SIGCHLD (``ignored``): the kernel, not a wait, would then remove the children.
    """
    gate.mkdir()
    rng = random.Random()
    running = student.options(label=label).start_scenario(_scenario, str(gate), calls)
    caller = running.pid
    seen = [Seen() for _ in calls]
    current = 0
    flagged: set[int] = set()
    waiting: list[int] = []  # children seen, not yet let go
    queue: list[int] = []  # children about to be let go, in the judge's order
    active: int | None = None  # the child let go last, until it ends
    active_since = last_event = time.monotonic()
    deadline = last_event + WATCH_S

    def go(pid: int) -> None:
        (gate / f"go-{pid}").touch()

    while True:
        finished = running.finished()  # then one last look: the result has arrived
        rows = probe.subtree([caller])
        now = time.monotonic()
        call = seen[min(current, len(calls) - 1)]
        # Read before any new child is flagged: the caller's fork cannot return before that,
        # so a SIGCHLD ignored across the fork is ignored at this read.
        if current < len(calls) and _ignores_sigchld(caller):
            call.ignored = True
        for proc in sorted(rows.values(), key=lambda p: p.pid):
            if proc.pid == caller or proc.pid in flagged:
                continue
            flagged.add(proc.pid)
            last_event = now
            if current >= len(calls):  # the last call has returned: nothing may appear now
                call.after.append(proc)
            if proc.ppid == caller:
                call.children.append(proc.pid)
                (gate / f"child-{proc.pid}").touch()
                if current < len(calls):
                    waiting.append(proc.pid)
                else:
                    go(proc.pid)
            else:
                call.others.append((proc.pid, proc.ppid))
                go(proc.pid)
        alive = sum(1 for p in rows.values() if p.ppid == caller and not p.zombie)
        call.most_alive = max(call.most_alive, alive)
        me = rows.get(caller)
        if active is not None:
            # The child let go last has ended: let the next one go, but only once the caller
            # has collected it or is back asleep in wait(). A caller that waits for any child
            # is woken by this one's end; letting the next end before it is collected would
            # leave both for one wait() to choose from (and the order the judge chose lost).
            row = rows.get(active)
            collected = row is None or (row.zombie and me is not None and _in_wait(caller))
            if collected or now - active_since > STEP_S:
                active = None
        if active is None and not queue and waiting and current < len(calls):
            all_there = len(call.children) >= expected[current] and not wait_first
            stalled = now - last_event > STALL_S and (me is None or me.state == "S")
            if all_there or stalled or _in_wait(caller):
                queue, waiting = _order(rng, waiting), []
        if active is None and queue:
            active = queue.pop(0)
            call.released.append(active)
            go(active)
            active_since = last_event = now
        if current < len(calls) and (gate / f"returned-{current}").exists():
            table = probe.subtree([caller])
            call.zombies = [p for p in table.values() if p.ppid == caller and p.zombie]
            call.running = [p for p in table.values() if p.pid != caller and not p.zombie]
            call.returned = True
            for pid in waiting + queue:  # leftovers: let them end
                go(pid)
            waiting, queue, active = [], [], None
            (gate / f"looked-{current}").touch()
            current += 1
            last_event = now
        if finished or time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    return Watch(running.stop(), seen)


def _results(watch: Watch, en_where: str, zh_where: str) -> list[object]:
    """The values of the calls, once no child fell through and every call returned."""
    outcome = watch.outcome
    see = Msg(f" {EXIT_EN}{en_where}", f"{EXIT_ZH}{zh_where}")
    check_every_child_used_os_exit(outcome.fell_through, see)
    if outcome.ending is Ending.STOPPED:
        fail(
            en=f"{outcome.label} did not return within {WATCH_S:g} s {en_where}.",
            zh=f"{outcome.label} 没有在 {WATCH_S:g} 秒内返回{zh_where}。",
        )
    results = outcome.value_or_raise()
    check(
        isinstance(results, list) and len(results) == len(watch.calls),
        en=f"{outcome.label}: the calls did not all return {en_where}",
        zh=f"{outcome.label}：这几次调用没有都正常返回{zh_where}",
    )
    return results  # type: ignore[return-value]


def _only_child(watch: Watch, call: Seen, what: str, en_where: str, zh_where: str) -> int:
    """The one child the judge saw the caller fork in this call."""
    caller = watch.caller
    if len(call.children) != 1 or call.others:
        fail(
            en=f"{what} was to fork exactly one child. The judge watched the caller (pid "
            f"{caller}) and saw it fork {len(call.children)} child(ren) {call.children}"
            + (
                f", and these processes further below: {call.others} (pid, parent)"
                if call.others
                else ""
            )
            + f": one call to os.fork() in the caller, and the child ends with os._exit "
            f"{en_where}.",
            zh=f"{what} 应当正好 fork 一个子进程。评测程序一直在看调用者（pid {caller}），"
            f"看到它 fork 了 {len(call.children)} 个子进程 {call.children}"
            + (f"，更下面还有这些进程：{call.others}（pid, 父进程）" if call.others else "")
            + f"：调用者里只调用一次 os.fork()，子进程最后用 os._exit 结束{zh_where}。",
        )
    return call.children[0]


def _check_reaped(watch: Watch, call: Seen, what: str, en_where: str, zh_where: str) -> None:
    check(
        call.returned,
        en=f"{what} did not return {en_where}",
        zh=f"{what} 没有返回{zh_where}",
    )
    check(
        not call.zombies,
        en=f"when {what} returned, the caller had {len(call.zombies)} zombie child(ren): "
        f"{probe.describe_all(call.zombies)}. A child that has ended stays in the process "
        "table (state Z, <defunct>) until its parent collects its exit status. Wait for "
        f"every child you fork: os.waitpid(pid, 0) {en_where}.",
        zh=f"{what} 返回时，调用者有 {len(call.zombies)} 个僵尸子进程："
        f"{probe.describe_all(call.zombies)}。子进程结束以后会一直留在进程表里（状态 Z，"
        "<defunct>），直到父进程取走它的退出状态。fork 出来的每个子进程都要等待："
        f"os.waitpid(pid, 0){zh_where}。",
    )
    check(
        not call.running,
        en=f"when {what} returned, these processes were still running below the caller: "
        f"{probe.describe_all(call.running)}. Wait until every child has ended before "
        f"returning: os.waitpid(pid, 0) blocks until it has {en_where}.",
        zh=f"{what} 返回时，调用者下面还有这些进程在运行：{probe.describe_all(call.running)}。"
        f"返回之前要等每个子进程都结束：os.waitpid(pid, 0) 会一直阻塞到它结束为止{zh_where}。",
    )
    check(
        not call.after,
        en=f"the judge was told that {what} had returned, and looked: nothing was left below "
        f"the caller (pid {watch.caller}). After that look it saw these processes appear "
        f"below the caller: {probe.describe_all(call.after)}. Every child must be forked, "
        "and waited for, before the function returns: fork, os.waitpid(pid, 0) for each "
        f"child, then return {en_where}.",
        zh=f"评测程序得知 {what} 已经返回，随即查看了进程表：调用者（pid {watch.caller}）下面"
        f"已经什么都没有了。可在那之后，它又看到调用者下面出现了这些进程："
        f"{probe.describe_all(call.after)}。每个子进程都必须在函数返回之前 fork 出来并且"
        f"被等待：先 fork，再对每个子进程调用 os.waitpid(pid, 0)，最后才返回{zh_where}。",
    )
    check(
        not call.ignored,
        en=f"while {what} ran, the caller (pid {watch.caller}) ignored SIGCHLD (the judge read "
        "its signal dispositions in /proc). With SIGCHLD ignored the kernel throws each "
        "child's exit status away and removes the child itself as it ends: no wait collects "
        "it, and os.waitpid finds no child. Leave SIGCHLD as it is and wait for every child "
        f"you fork: os.waitpid(pid, 0) {en_where}.",
        zh=f"{what} 运行期间，调用者（pid {watch.caller}）忽略了 SIGCHLD（评测程序从 /proc 里"
        "读到了它的信号处置方式）。SIGCHLD 被忽略时，内核会丢掉每个子进程的退出状态，在子进程"
        "结束时自己把它清除：没有任何 wait 收回它，os.waitpid 也找不到这个子进程。不要改动 "
        f"SIGCHLD，对 fork 出来的每个子进程调用 os.waitpid(pid, 0){zh_where}。",
    )


# -- Part 1: one call, two returns ------------------------------------------------------------

GREET = "fork_and_greet()"


def _greet(student, tmp_path: Path) -> tuple[Watch, int, int, list[str]]:
    """fork_and_greet() once: (watch, caller pid, child pid, the lines it printed)."""
    watch = _watch(student, tmp_path / "gate", [("fork_and_greet", (), None)], [1], GREET)
    results = _results(watch, f" {P1_EN}", P1_ZH)
    child = _only_child(watch, watch.calls[0], GREET, P1_EN, P1_ZH)
    lines = [line.strip() for line in watch.outcome.stdout.text.splitlines() if line.strip()]
    value = results[0]
    check(
        value == child,
        en=f"{GREET} returned {value!r}; the child the judge saw it fork was pid {child}. In "
        "the parent, os.fork() returns the child's pid: return that value "
        f"{P1_EN}.",
        zh=f"{GREET} 返回了 {value!r}；评测程序看到它 fork 出的子进程是 pid {child}。在父进程里，"
        f"os.fork() 的返回值就是子进程的 pid：把它返回{P1_ZH}。",
    )
    return watch, watch.caller, child, lines


def _lines(caller: int, child: int) -> tuple[str, str, str]:
    return (
        f"parent {caller}: forking",
        f"child {child}: fork returned 0, my parent is {caller}",
        f"parent {caller}: fork returned {child}",
    )


def _printed(lines: list[str]) -> str:
    return "\n".join(f"    {line}" for line in lines[:12]) or "    (nothing)"


@pytest.mark.points(3)
def test_fork_returns_twice(student, tmp_path):
    _, caller, child, lines = _greet(student, tmp_path)
    _, in_child, in_parent = _lines(caller, child)
    check(
        in_child in lines,
        en=f"the child (pid {child}, forked by the caller pid {caller}) was to print\n"
        f"    {in_child}\nThe output was:\n{_printed(lines)}\nIn the child os.fork() returns 0: "
        "take the branch `if pid == 0`, print os.getpid() and os.getppid(), flush, then "
        f"os._exit(0) {P1_EN} {FLUSH_EN}.",
        zh=f"子进程（pid {child}，由调用者 pid {caller} fork 出来）应当打印\n    {in_child}\n"
        f"实际输出是：\n{_printed(lines)}\n在子进程里 os.fork() 返回 0：走 `if pid == 0` 这个分支，"
        f"打印 os.getpid() 和 os.getppid()，flush，然后 os._exit(0){P1_ZH}{FLUSH_ZH}。",
    )
    check(
        in_parent in lines,
        en=f"the parent (the caller, pid {caller}) was to print, after waiting for its "
        f"child,\n    {in_parent}\nThe output was:\n{_printed(lines)}\nIn the parent "
        f"os.fork() returns the child's pid {P1_EN}.",
        zh=f"父进程（也就是调用者，pid {caller}）等待子进程之后应当打印\n    {in_parent}\n"
        f"实际输出是：\n{_printed(lines)}\n在父进程里 os.fork() 返回的是子进程的 pid{P1_ZH}。",
    )


@pytest.mark.points(2)
def test_output_is_not_doubled(student, tmp_path):
    _, caller, child, lines = _greet(student, tmp_path)
    before, in_child, in_parent = _lines(caller, child)
    if lines.count(before) > 1:
        fail(
            en=f"the caller printed\n    {before}\nonce, before forking, and it came out "
            f"{lines.count(before)} times:\n{_printed(lines)}\nWhen the output goes to a pipe "
            "or a file, print() only fills a buffer in the process's memory. os.fork() "
            "copies that memory, buffer included, so the parent and the child each write the "
            "same text later. Call sys.stdout.flush() right before os.fork() "
            f"{FLUSH_EN}.",
            zh=f"调用者在 fork 之前只打印了一次\n    {before}\n"
            f"它却出现了 {lines.count(before)} 次：\n{_printed(lines)}\n"
            "输出重定向到管道或文件时，print() 只是把文字放进进程内存里的缓冲区。"
            "os.fork() 会把这块内存连同缓冲区一起复制，于是父进程和子进程以后各写一遍"
            f"同样的内容。在 os.fork() 之前调用 sys.stdout.flush(){FLUSH_ZH}。",
        )
    if in_child not in lines:
        fail(
            en=f"the child's line\n    {in_child}\nnever came out:\n{_printed(lines)}\n"
            "os._exit() ends the process at once, without flushing Python's buffers: what the "
            "child printed is lost when the output goes to a pipe or a file. Call "
            f"sys.stdout.flush() in the child before os._exit() {FLUSH_EN}.",
            zh=f"子进程那一行\n    {in_child}\n根本没有输出：\n{_printed(lines)}\n"
            "os._exit() 会立即结束进程，不会刷新 Python 的缓冲区：输出重定向到管道或文件时，"
            "子进程打印的内容就丢了。在子进程里调用 os._exit() 之前先 "
            f"sys.stdout.flush(){FLUSH_ZH}。",
        )
    counts = {line: lines.count(line) for line in (before, in_child, in_parent)}
    check(
        all(n == 1 for n in counts.values()) and len(lines) == 3,
        en=f"{GREET} was to print exactly three lines, each once:\n"
        + "\n".join(f"    {line}" for line in counts)
        + f"\nThe output was:\n{_printed(lines)}\n{P1_EN} {FLUSH_EN}",
        zh=f"{GREET} 应当正好打印三行，每行一次：\n"
        + "\n".join(f"    {line}" for line in counts)
        + f"\n实际输出是：\n{_printed(lines)}\n{P1_ZH}{FLUSH_ZH}",
    )


@pytest.mark.points(1)
def test_greeting_child_is_reaped(student, tmp_path):
    watch, _, _, _ = _greet(student, tmp_path)
    _check_reaped(watch, watch.calls[0], GREET, P1_EN, P1_ZH)


# -- Part 2: the child has a copy -------------------------------------------------------------


def _copy(student, tmp_path: Path) -> tuple[Watch, int, int, list[int], object]:
    """change_in_child(items, change, path): (watch, child, secret, expected, value)."""
    secret = random.randrange(10_000, 100_000)
    path = tmp_path / "from-child.txt"
    label = f"change_in_child({ITEMS}, change, path)"
    change = functools.partial(_change, secret)
    call = ("change_in_child", (list(ITEMS), change, str(path)), None)
    watch = _watch(student, tmp_path / "gate", [call], [1], label, wait_first=True)
    value = _results(watch, f" {P2_EN}", P2_ZH)[0]
    child = _only_child(watch, watch.calls[0], label, P2_EN, P2_ZH)
    caller = watch.caller
    expected = [*ITEMS, secret, child]
    try:
        text = path.read_text()
    except OSError:
        text = None
    try:
        in_file: object = [int(word) for word in (text or "").split()]
    except ValueError:
        in_file = text
    check(
        text is not None,
        en=f"after {label} the file {path.name} did not exist: the child writes its list "
        f"there, one number per line, before os._exit {P2_EN}.",
        zh=f"{label} 之后文件 {path.name} 并不存在：子进程要在 os._exit 之前把它的列表写进这个"
        f"文件，每行一个数{P2_ZH}。",
    )
    if in_file == [*ITEMS, secret, caller]:
        fail(
            en=f"change() ran in the caller (pid {caller}), not in the child (pid {child}): "
            f"it appended the pid of the process it ran in. Call change(items) in the child, "
            f"where os.fork() returned 0 {P2_EN}.",
            zh=f"change() 是在调用者（pid {caller}）里执行的，而不是在子进程（pid {child}）里："
            "它会把自己所在进程的 pid 追加到列表末尾。要在子进程里调用 change(items)，也就是 "
            f"os.fork() 返回 0 的那一边{P2_ZH}。",
        )
    check(
        in_file == expected,
        en=f"the file {path.name} held {in_file!r}. The child's list after change() is "
        f"{expected} (the judge's change appends {secret} and the pid of the process it runs "
        f"in, here the child {child}): write that list, one number per line {P2_EN}.",
        zh=f"文件 {path.name} 的内容是 {in_file!r}。子进程调用 change() 之后，它的列表应当是 "
        f"{expected}（评测程序的 change 会追加 {secret} 和它所在进程的 pid，这里是子进程 "
        f"{child}）：把这个列表写进文件，每行一个数{P2_ZH}。",
    )
    return watch, child, secret, expected, value


@pytest.mark.points(3)
def test_child_change_stays_in_the_child(student, tmp_path):
    _, child, _, _, value = _copy(student, tmp_path)
    mine = value[0] if isinstance(value, list | tuple) and len(value) == 2 else None
    check(
        mine == ITEMS,
        en=f"change_in_child returned {value!r}: the first item is the parent's own list, "
        f"which must still be {ITEMS}. The child (pid {child}) changed its copy of the list: "
        "after os.fork() each process has its own memory, and nothing the child changes "
        f"reaches the parent {P2_EN}.",
        zh=f"change_in_child 返回了 {value!r}：第一项是父进程自己的列表，它应当仍然是 {ITEMS}。"
        f"改动列表的是子进程（pid {child}）的那份副本：os.fork() 之后两个进程各有一份内存，"
        f"子进程改了什么，父进程都看不到{P2_ZH}。",
    )


@pytest.mark.points(2)
def test_parent_reads_what_the_child_wrote(student, tmp_path):
    watch, child, _, expected, value = _copy(student, tmp_path)
    got = value[1] if isinstance(value, list | tuple) and len(value) == 2 else None
    if got == ITEMS:
        fail(
            en=f"change_in_child returned {value!r}: as the child's list you returned the "
            f"parent's own list, still {ITEMS}. The child (pid {child}) changed its copy, "
            "in its own memory: the parent never sees that change. Read the list back from "
            f"the file the child wrote, after waiting for the child {P2_EN}.",
            zh=f"change_in_child 返回了 {value!r}：你把父进程自己的列表（仍然是 {ITEMS}）当成了"
            f"子进程的列表。子进程（pid {child}）改的是它自己内存里的副本，父进程永远看不到。"
            f"要等子进程结束以后，从它写好的文件里把列表读回来{P2_ZH}。",
        )
    check(
        got == expected,
        en=f"change_in_child returned {value!r}: the second item is the list read back from "
        f"the file, {expected}. Wait for the child (os.waitpid) before reading: until then "
        f"the file may be missing or half written {P2_EN}.",
        zh=f"change_in_child 返回了 {value!r}：第二项应当是从文件里读回来的列表 {expected}。"
        f"读文件之前要先等待子进程（os.waitpid）：在那之前文件可能还不存在，或者只写了一半{P2_ZH}。",
    )
    _check_reaped(watch, watch.calls[0], "change_in_child", P2_EN, P2_ZH)


# -- Part 3: many children, one parent --------------------------------------------------------


def _children(student, tmp_path: Path, runs: list[list[int]], imposed: list[int] | None = None):
    """fork_children on each of ``runs`` in one sandbox; the last one with ``imposed``."""
    calls = [
        ("fork_children", (list(codes),), imposed if i == len(runs) - 1 else None)
        for i, codes in enumerate(runs)
    ]
    label = ", then ".join(f"fork_children({codes})" for codes in runs)
    watch = _watch(student, tmp_path / "gate", calls, [len(codes) for codes in runs], label)
    return watch, _results(watch, f" {P3_EN}", P3_ZH)


def _check_family(watch: Watch, call: Seen, codes: list[int]) -> None:
    """The caller itself forked one child per code, and they all ran at once."""
    n, what = len(codes), f"fork_children({codes})"
    if call.others:
        fail(
            en=f"{what}: the judge saw processes below the caller's children: {call.others} "
            f"(pid, parent). The caller (pid {watch.caller}) must fork every child itself, "
            "not a child the next one in a chain: a child that does not end at once with "
            "os._exit goes on running the parent's loop and forks too "
            f"{P3_EN} {EXIT_EN}.",
            zh=f"{what}：评测程序在调用者的子进程下面还看到了这些进程：{call.others}（pid, "
            f"父进程）。每个子进程都必须由调用者（pid {watch.caller}）自己 fork，而不是像链条一样"
            "由子进程再 fork 下一个：子进程如果不立即用 os._exit 结束，就会接着执行父进程的"
            f"循环，自己也去 fork{P3_ZH}{EXIT_ZH}。",
        )
    check(
        len(call.children) == n,
        en=f"{what}: the judge saw the caller (pid {watch.caller}) fork {len(call.children)} "
        f"child(ren), not {n}: one os.fork() per code, in the caller {P3_EN}.",
        zh=f"{what}：评测程序看到调用者（pid {watch.caller}）fork 了 {len(call.children)} 个"
        f"子进程，而不是 {n} 个：每个退出码都要在调用者里调用一次 os.fork(){P3_ZH}。",
    )
    check(
        call.most_alive >= n,
        en=f"{what}: the judge saw at most {call.most_alive} of the {n} children alive at the "
        "same moment: the caller waited for each child before forking the next. Fork every "
        f"child first, then wait for them: they run at the same time {P3_EN}.",
        zh=f"{what}：{n} 个子进程里，评测程序最多只看到 {call.most_alive} 个同时活着：调用者每 "
        "fork 一个就先等它结束，再 fork 下一个。应当先把所有子进程都 fork 出来，再逐个等待："
        f"这样它们是同时运行的{P3_ZH}。",
    )


def _check_pids(call: Seen, codes: list[int], got: object) -> None:
    what = f"fork_children({codes})"
    pids = call.children
    shape = isinstance(got, list) and all(
        isinstance(r, list | tuple) and len(r) == 2 and all(type(x) is int for x in r) for r in got
    )
    check(
        shape and len(got) == len(codes),  # type: ignore[arg-type]
        en=f"{what} returned {got!r}: return a list of (pid, exit code) pairs, one per code, "
        f"in the order of codes {P3_EN}.",
        zh=f"{what} 返回了 {got!r}：要返回一个 (pid, 退出码) 二元组的列表，每个退出码对应一项，"
        f"顺序与 codes 相同{P3_ZH}。",
    )
    returned = [r[0] for r in got]  # type: ignore[union-attr]
    made_up = [pid for pid in returned if pid not in pids]
    check(
        not made_up,
        en=f"{what} returned the pids {returned}, but the children the judge saw the caller "
        f"fork were {pids}: {made_up} name no child of this call. In the parent, os.fork() "
        f"returns the new child's pid: keep each one {P3_EN}.",
        zh=f"{what} 返回的 pid 是 {returned}，而评测程序看到调用者 fork 出的子进程是 {pids}："
        f"{made_up} 都不是这次调用的子进程。在父进程里，os.fork() 的返回值就是新子进程的 pid："
        f"把每一个都记下来{P3_ZH}。",
    )
    check(
        returned == pids,
        en=f"{what} returned the pids {returned}; the judge saw the children forked in the "
        f"order {pids}. Pair number i is the child forked for codes[i] {P3_EN}.",
        zh=f"{what} 返回的 pid 是 {returned}；评测程序看到子进程 fork 的顺序是 {pids}。"
        f"第 i 项属于为 codes[i] fork 出来的那个子进程{P3_ZH}。",
    )


def _check_codes(call: Seen, asked: list[int], got: object, want: list[int]) -> None:
    """The exit codes returned by fork_children(asked) must be ``want``."""
    what = f"fork_children({asked})"
    shape = isinstance(got, list) and all(
        isinstance(r, list | tuple) and len(r) == 2 and type(r[1]) is int for r in got
    )
    check(
        shape and len(got) == len(asked),  # type: ignore[arg-type]
        en=f"{what} returned {got!r}: return a list of (pid, exit code) pairs, one per code, "
        f"in the order of codes {P3_EN}.",
        zh=f"{what} 返回了 {got!r}：要返回一个 (pid, 退出码) 二元组的列表，每个退出码对应一项，"
        f"顺序与 codes 相同{P3_ZH}。",
    )
    codes = [r[1] for r in got]  # type: ignore[union-attr]
    if codes == want:
        return
    head_en = f"{what} returned the exit codes {codes}, expected {want}. "
    head_zh = f"{what} 返回的退出码是 {codes}，应当是 {want}。"
    for code, have in zip(want, codes, strict=True):
        if code > 0 and have == code << 8:
            fail(
                en=head_en + f"For the child that ended with exit code {code} you returned "
                f"{have}: that is the raw wait status, where the exit code sits in the second "
                f"byte ({code} << 8 = {have}). Decode it: os.waitstatus_to_exitcode(status), "
                f"or os.WEXITSTATUS(status) {STATUS_EN}.",
                zh=head_zh + f"对于以退出码 {code} 结束的子进程，你返回的是 {have}：这是原始的"
                f"等待状态，退出码放在第二个字节里（{code} << 8 = {have}）。要先解码："
                f"os.waitstatus_to_exitcode(status)，或者 os.WEXITSTATUS(status){STATUS_ZH}。",
            )
    if sorted(codes) == sorted(want):
        fail(
            en=head_en + f"The right codes in the wrong order. The judge let the children end "
            f"in another order than they were forked (it let them go in the order "
            f"{call.released}): os.wait() returns whichever child ended first. Wait for each "
            "pid with os.waitpid(pid, 0), or use the pid os.wait() returns to find its "
            f"place {P3_EN} {STATUS_EN}.",
            zh=head_zh + "退出码都对，但顺序错了。评测程序让子进程按照与 fork 不同的顺序结束"
            f"（放行的顺序是 {call.released}）：os.wait() 返回的是最先结束的那个子进程。可以对"
            "每个 pid 调用 os.waitpid(pid, 0)，或者根据 os.wait() 返回的 pid 找到它的位置"
            f"{P3_ZH}{STATUS_ZH}。",
        )
    fail(
        en=head_en + "Each code is what os.waitpid reported for that child, decoded "
        f"{P3_EN} {STATUS_EN}.",
        zh=head_zh + f"每个退出码都应当是 os.waitpid 对那个子进程报告的状态，解码之后的值"
        f"{P3_ZH}{STATUS_ZH}。",
    )


@pytest.mark.points(3)
def test_children_are_forked_by_the_caller(student, tmp_path):
    watch, results = _children(student, tmp_path, [CODES])
    call = watch.calls[0]
    _check_family(watch, call, CODES)
    _check_pids(call, CODES, results[0])


def _check_imposed(asked: list[int], imposed: list[int], got: object) -> None:
    """fork_children(asked), whose children the judge ended with ``imposed``, must not have
    returned the codes it was asked for."""
    if isinstance(got, list) and [
        r[1] for r in got if isinstance(r, list | tuple) and len(r) == 2
    ] == list(asked):
        fail(
            en=f"the judge ended every child of fork_children({asked}) itself, right after "
            f"the fork and before your code in the child ran, with the exit codes "
            f"{imposed}. fork_children returned the codes it was asked for, {asked}: not "
            "what the children did. Report what os.waitpid tells you about each child; a "
            f"child can end otherwise than planned {P3_EN} {STATUS_EN}.",
            zh=f"评测程序在 fork 之后、你在子进程里的代码运行之前，亲手结束了 "
            f"fork_children({asked}) 的每一个子进程，退出码分别是 {imposed}。"
            f"fork_children 却返回了传给它的退出码 {asked}：这不是子进程实际的结局。要报告 "
            "os.waitpid 告诉你的每个子进程的真实结果；子进程完全可能不按计划结束"
            f"{P3_ZH}{STATUS_ZH}。",
        )


@pytest.mark.points(3)
def test_exit_codes_come_back_through_wait(student, tmp_path):
    rng = random.Random()
    imposed = rng.sample(range(100, 255), len(IMPOSED))
    runs = [CODES, [], AGAIN, IMPOSED]
    watch, results = _children(student, tmp_path, runs, imposed)
    for codes, call, got, want in zip(
        runs, watch.calls, results, [CODES, [], AGAIN, imposed], strict=True
    ):
        if codes is IMPOSED:
            _check_imposed(IMPOSED, imposed, got)
        _check_codes(call, codes, got, want)
        _check_pids(call, codes, got)


@pytest.mark.points(2)
def test_every_child_is_reaped(student, tmp_path):
    # In the second call the judge ends the children with codes of its own, drawn here: only
    # a wait that collected each child can report them (a child the kernel removed, or one
    # left a zombie, does not pass). The first call lets the student's code run in them.
    imposed = random.Random().sample(range(100, 255), len(CODES))
    watch, results = _children(student, tmp_path, [CODES, CODES], imposed)
    for call, got, want in zip(watch.calls, results, [CODES, imposed], strict=True):
        check(
            len(call.children) == len(CODES),
            en=f"fork_children({CODES}): the judge saw the caller fork {len(call.children)} "
            f"child(ren), not {len(CODES)}: there was nothing to reap {P3_EN}.",
            zh=f"fork_children({CODES})：评测程序看到调用者 fork 了 {len(call.children)} 个"
            f"子进程，而不是 {len(CODES)} 个：根本没有子进程可回收{P3_ZH}。",
        )
        _check_reaped(watch, call, f"fork_children({CODES})", P3_EN, P3_ZH)
        if want is imposed:
            _check_imposed(CODES, imposed, got)
        _check_codes(call, CODES, got, want)
