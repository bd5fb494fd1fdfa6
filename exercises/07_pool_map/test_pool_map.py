"""Spec for exercise 07 — pool map. Run it with `grader check pool_map`.

Every student call runs in a sandbox process; the checks run here, in the test process.

The judge observes, the sandbox only acts. The tasks that the student's pool runs are the
grader's own, defined below (the sandbox is forked from this test process and the pool's
workers from the sandbox, so a Pool finds them by name). They never report a pid or a time:
anything computed in a sandbox process can be made up by the student's code. Instead:

* each task returns a *token* only the task can compute (a hash with a salt drawn when the
  spec is loaded): a result cannot be made up without calling ``func`` on the item;
* the tasks of the Workers and In parallel tests are *held*: each one shows itself (it names
  its process ``held-<item>``) and waits until the judge, reading /proc from the test
  process, has seen it waiting in a process below the caller and releases it with a signal.
  The judge releases them only ``at_once`` at a time, so a token that comes back proves the
  judge saw its task run in a process other than the caller, together with the others; the
  judge also records which process ran each item and how many processes there were at once.
  A name can be copied and a signal passed on, so the process named ``held-<item>`` must
  itself be blocked in rt_sigtimedwait (``/proc/<pid>/task/<tid>/syscall``), and while any
  other thread (of the caller, or not the main thread of its process) is named ``held-`` or
  waits there, nothing is released;
* the other tasks burn CPU (``_burn``), and the judge reads the CPU time the caller itself
  used (``outcome.timeline.root``): work done in the caller shows there.

Values that come back (results, the student's exception) are judged as values: they are what
the function under test returns.
"""

from __future__ import annotations

import ctypes
import hashlib
import multiprocessing
import multiprocessing.pool
import os
import secrets
import signal
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from grader.spec import Ending, Outcome, check, fail, holds_within, probe, syscalls

FUNCTIONS = ["parallel_map", "async_map"]
WORKERS = 3  # odd, and not this box's CPU count (2): a pool that ignores `workers` differs
HOLD_WAIT = 5.0  # how long a held task waits for the judge to release it before giving up
HELD = "held-"  # how a held task names its process while it waits (15 characters at most)
RELEASE = signal.SIGWINCH  # the judge's release: ignored by default, so a stray one harms none
WORK_CPU = 0.05  # CPU seconds of each task of the Cleaning up tests
ORDER_ITEMS = 12
ORDER_WAIT = 3.0  # item 0 of the order test waits at most this long for the others to end

_SALT = secrets.token_hex(8)  # drawn in the session, inherited by every test and sandbox


def _token(x: object) -> str:
    """The result of the grader's tasks for item ``x``: only the task knows the salt."""
    digest = hashlib.blake2b(f"{_SALT}:{x!r}".encode(), digest_size=4).hexdigest()
    return f"{x}:{digest}"


# -- the grader's tasks (they run in the student's pool workers) -----------------------------


class NotSeen(Exception):
    """A held task waited in vain for the judge to release it."""


class Refused(Exception):
    """A task's own exception class, raised without a message."""


def _process_name(name: bytes | None = None) -> bytes:
    """This thread's name (the process's name, in its main thread); set it if given."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    if name is not None:
        prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
    buffer = ctypes.create_string_buffer(16)
    prctl(16, buffer, 0, 0, 0)  # PR_GET_NAME
    return buffer.value


def _held(x: int) -> str:
    """Task: wait, named ``held-<x>``, until the judge has seen it and released it; a token."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {RELEASE})  # before showing ourselves
    name = _process_name()
    _process_name(f"{HELD}{x}".encode())
    try:
        released = signal.sigtimedwait({RELEASE}, HOLD_WAIT)
    finally:
        _process_name(name)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if released is None:
        raise NotSeen(f"item {x} waited {HOLD_WAIT:g} s and the grader never released it")
    return _token(x)


def _burn(seconds: float) -> None:
    """The work: ``seconds`` of this thread's CPU time, which the judge sees from outside."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _work(x: int) -> str:
    """Task: a little CPU work; x's token."""
    _burn(WORK_CPU)
    return _token(x)


_shared: Any = None  # the order test's semaphore, made by the scenario, inherited by workers


def _zero_last(x: int) -> str:
    """Task: item 0 ends only after every other item has ended (or ORDER_WAIT has passed)."""
    done = _shared
    if done is None:
        raise RuntimeError(
            "the grader's task must run in a process forked from the caller "
            "(multiprocessing's 'fork' start method, the default in this course)"
        )
    if x == 0:
        deadline = time.monotonic() + ORDER_WAIT
        for _ in range(ORDER_ITEMS - 1):
            if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
                break
    else:
        done.release()
    return _token(x)


def _picky(x: int) -> str:
    """Task: a little work and x's token, except that item 5 raises ValueError."""
    if x == 5:
        raise ValueError("item 5 is not welcome here")
    return _work(x)


def _fussy(x: int) -> str:
    """Task: item 3 raises KeyError, 5 ValueError, 6 Refused (no message); others a token."""
    if x == 3:
        raise KeyError("item 3")
    if x == 6:
        raise Refused()
    if x == 5:
        raise ValueError("item 5 is not welcome here")
    return _token(x)


def _describe(item: Any) -> Any:
    """Task: a falsy item as it is (None, 0, ''), any other one as (type name, item)."""
    return item if not item else (type(item).__name__, item)


# -- the scenarios: call the student's function in the sandbox -------------------------------

_pools: list[Any] = []  # every Pool the student's code created in this sandbox


def _keep_every_pool() -> None:
    """Hold a reference to every Pool the student creates, as a longer-running program would.

    Without it, CPython may terminate a forgotten pool when its last reference goes away —
    or much later, when the garbage collector gets to it. The documentation says not to rely
    on either; with the pools held, a pool that was not closed and joined is seen for what it
    is: workers still alive when the function returns.
    """
    cls = multiprocessing.pool.Pool
    original = cls.__init__

    def keeping_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _pools.append(self)

    cls.__init__ = keeping_init  # type: ignore[method-assign]


def _call(module: ModuleType, function: str, task: Any, items: Any, workers: int) -> Any:
    """Scenario: ``function(task, items, workers)``."""
    global _shared
    if task is _zero_last:
        _shared = multiprocessing.Semaphore(0)
    _keep_every_pool()
    return getattr(module, function)(task, items, workers)


def _call_twice(module: ModuleType, function: str, calls: list[tuple[Any, int]]) -> list[Any]:
    """Scenario: ``function(_describe, items, workers)`` for each call, in one program."""
    _keep_every_pool()
    run = getattr(module, function)
    return [run(_describe, items, workers) for items, workers in calls]


def _run(student: Any, call: str, function: str, task: Any, items: Any, workers: int) -> Outcome:
    """Run ``function`` through the scenario; messages (and a stub's todo) name ``call``."""
    outcome: Outcome = student.options(label=call).run_scenario(
        _call, function, task, items, workers
    )
    return outcome


# -- the judge's side of the held tasks ------------------------------------------------------


@dataclass(frozen=True)
class Watched:
    """A run of held tasks, and what the judge saw of it from /proc while it ran."""

    outcome: Outcome
    count: int  # how many items (held tasks) there were
    ran_in: dict[int, tuple[int, int]]  # item -> (pid, start time) it was seen waiting in
    most_waiting: int  # the most tasks seen waiting below the caller at one moment
    peak_processes: int  # the most live processes seen below the caller at one moment
    in_thread: str = ""  # a held task seen waiting in a thread, not a worker (how, en and zh)
    in_thread_zh: str = ""
    posing: int = 0  # processes named held-<item> that the judge never saw waiting themselves

    def processes(self) -> int:
        """How many distinct processes the released tasks ran in."""
        return len(set(self.ran_in.values()))


def _held_item(name: str) -> int | None:
    rest = name[len(HELD) :] if name.startswith(HELD) else ""
    return int(rest) if rest.isdigit() else None


@dataclass(frozen=True)
class _Thread:
    """One thread of a process below (or of) the caller, as the kernel shows it."""

    pid: int
    tid: int
    name: str  # its comm: a held task names its thread held-<item>
    waiting: bool | None  # blocked in rt_sigtimedwait; None where the judge cannot tell


def _threads(pid: int) -> list[_Thread]:
    """Every thread of ``pid``: its name, and whether it is blocked in rt_sigtimedwait.

    ``waiting`` is None where the judge may not read the call (another architecture, a kernel
    or policy that hides it), False where ``pid`` hid it itself: a process that turns itself
    non-dumpable makes its syscall files root's, and no worker of a pool does that.
    """
    try:
        calls = syscalls.threads(pid)
    except syscalls.Hidden:
        calls, hidden = None, True
    else:
        hidden = False
    in_sigtimedwait = {c.tid: c.name == "rt_sigtimedwait" for c in calls or []}
    try:
        tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return []
    threads = []
    for tid in tids:
        if calls is not None and tid not in in_sigtimedwait:
            continue  # a thread that started or ended between the two reads
        try:
            with open(f"/proc/{pid}/task/{tid}/comm", "rb") as f:
                name = f.read().rstrip(b"\n").decode(errors="replace")
        except OSError:
            continue  # the thread ended meanwhile
        waiting = False if hidden else in_sigtimedwait.get(tid)
        threads.append(_Thread(pid, tid, name, waiting))
    return threads


def _run_held(
    student: Any, call: str, function: str, items: list[int], workers: int, at_once: int
) -> Watched:
    """Run ``function(_held, items, workers)``, releasing tasks ``at_once`` at a time.

    The judge reads the process table while the call runs. A task is released only when
    the judge sees it waiting in a live process below the caller (never in the caller
    itself), together with ``at_once`` (or all the remaining) unreleased tasks, each in its
    own process (a process has one name). Once nothing was released for longer than a task
    waits, some task has given up: the judge stops the run instead of waiting for the rest.

    A name is only a name: any process can take one. So the judge reads every thread of
    the caller and of the processes below it (``/proc/<pid>/task/<tid>``): the process named
    ``held-<item>`` must itself be the one blocked in rt_sigtimedwait (its main thread, where
    a pool worker runs its tasks), and no other thread anywhere may be named ``held-`` or
    wait in rt_sigtimedwait. A task that runs in a thread of the caller, behind a child that
    copies its name and passes the release on, is then never released.
    """
    running = student.options(label=call).start_scenario(_call, function, _held, items, workers)
    ran_in: dict[int, tuple[int, int]] = {}
    most = peak = 0
    progress = time.monotonic()
    in_thread = in_thread_zh = ""
    posing: set[int] = set()
    seen_waiting: set[int] = set()

    def step() -> bool:
        nonlocal most, peak, progress, in_thread, in_thread_zh
        if running.finished() or time.monotonic() - progress > HOLD_WAIT + 1.0:
            return True
        rows = probe.table()
        below = [p for p in probe.descendants(running.pid, rows) if not p.zombie]
        peak = max(peak, len(below))
        workers_main = {p.pid for p in below}
        threads = [t for pid in [running.pid, *workers_main] for t in _threads(pid)]
        stray = [
            t
            for t in threads
            if not (t.tid == t.pid and t.pid in workers_main)
            and (t.name.startswith(HELD) or t.waiting)
        ]
        if stray:
            t = stray[0]
            where = (
                ("the calling process", "调用方进程")
                if t.pid == running.pid
                else (f"process {t.pid}", f"进程 {t.pid}")
            )
            what_en = ", ".join(
                (["named " + t.name] if t.name.startswith(HELD) else [])
                + (["blocked in rt_sigtimedwait"] if t.waiting else [])
            )
            what_zh = "，".join(
                (["名字是 " + t.name] if t.name.startswith(HELD) else [])
                + (["阻塞在 rt_sigtimedwait 里"] if t.waiting else [])
            )
            in_thread = f"thread {t.tid} of {where[0]} ({what_en})"
            in_thread_zh = f"{where[1]}的线程 {t.tid}（{what_zh}）"
            return False  # a task waits in a thread: release nothing
        main = {t.pid: t.waiting for t in threads if t.tid == t.pid}
        waiting = {}
        for proc in below:
            item = _held_item(proc.name)
            if item is None or item in ran_in:
                continue
            if main.get(proc.pid) is False:
                posing.add(proc.pid)  # named like a task, and not the one waiting
                continue
            seen_waiting.add(proc.pid)
            waiting[item] = proc
        most = max(most, len(waiting))
        if waiting and len(waiting) >= min(at_once, len(items) - len(ran_in)):
            progress = time.monotonic()
            for item, proc in waiting.items():
                ran_in[item] = (proc.pid, proc.start)
                try:
                    os.kill(proc.pid, RELEASE)
                except ProcessLookupError:
                    pass
        return False

    holds_within(step, 2 * HOLD_WAIT + 2.0)
    outcome = running.stop()
    return Watched(
        outcome,
        len(items),
        ran_in,
        most,
        max(peak, outcome.timeline.peak_processes),
        in_thread,
        in_thread_zh,
        len(posing - seen_waiting),
    )


def _check_released(watched: Watched, call: str, at_once: int, section: tuple[str, str]) -> None:
    """Fail, from what the judge saw, if some held task was never released."""
    outcome = watched.outcome
    if outcome.error is not None and (outcome.error.todo or outcome.error.import_failed):
        raise outcome.as_problem()
    stopped = outcome.ending in (Ending.STOPPED, Ending.TIMED_OUT)
    if not (_gave_up(outcome) or (stopped and len(watched.ran_in) < watched.count)):
        return
    most, peak = watched.most_waiting, watched.peak_processes
    if watched.in_thread:
        why_en = (
            f"The judge saw a task waiting in a thread: {watched.in_thread}. A task of a "
            "pool runs in the main thread of a worker process, and the judge releases a task "
            "only there (it reads the name and the system call of every thread in /proc). "
            "Threads (a ThreadPool, threading.Thread) are not worker processes, whatever "
            "the processes beside them are called. Run the tasks in the workers of a "
            "multiprocessing.Pool(workers)"
        )
        why_zh = (
            f"评测程序看到有任务在一个线程里等待：{watched.in_thread_zh}。进程池的任务是在工作进程"
            "的主线程里运行的，评测程序也只在那里放行任务（它从 /proc 读取每个线程的名字和"
            "正在执行的系统调用）。线程（ThreadPool、threading.Thread）不是工作进程，不管旁边的"
            "进程叫什么名字。应当让 multiprocessing.Pool(workers) 的工作进程来执行任务"
        )
    elif watched.posing and most == 0:
        why_en = (
            f"The judge saw {watched.posing} process(es) named like a waiting task "
            f"({HELD}<item>), but none of them was itself waiting for the release (in "
            "rt_sigtimedwait, /proc/<pid>/syscall): the tasks ran somewhere else, and these "
            "processes only wore their names. Run the tasks in the workers of a "
            "multiprocessing.Pool(workers)"
        )
        why_zh = (
            f"评测程序看到 {watched.posing} 个进程的名字像是在等待的任务（{HELD}<元素>），"
            "但没有一个进程自己在等待放行（阻塞在 rt_sigtimedwait 里，见 /proc/<pid>/syscall）："
            "任务是在别处运行的，这些进程只是借用了它们的名字。应当让 "
            "multiprocessing.Pool(workers) 的工作进程来执行任务"
        )
    elif most == 0 and peak == 0:
        why_en = (
            "The judge saw no process at all below your function while it ran: the tasks "
            "ran in the calling process (builtins map(), a list comprehension, or a "
            "ThreadPool, whose threads belong to the caller). Create a "
            "multiprocessing.Pool(workers): its workers are separate processes"
        )
        why_zh = (
            "你的函数运行期间，评测程序在它下面一个进程也没有看到：任务是在调用方自己的进程里"
            "执行的（内置 map()、列表推导式，或者 ThreadPool——它的线程属于调用方）。应当创建 "
            "multiprocessing.Pool(workers)：它的工作进程是独立的进程"
        )
    elif most == 0:
        why_en = (
            f"The judge saw {peak} process(es) below your function, but no task ever ran "
            "in one of them: the tasks ran in the calling process, or in threads. Run them "
            "in the workers of a multiprocessing.Pool(workers)"
        )
        why_zh = (
            f"评测程序在你的函数下面看到了 {peak} 个进程，但没有一个任务是在这些进程里执行的："
            "任务是在调用方进程里、或者在线程里执行的。应当让 multiprocessing.Pool(workers) "
            "的工作进程来执行它们"
        )
    elif peak < at_once:
        why_en = (
            f"The judge never saw more than {peak} process(es) below your function at once: "
            "the pool is too small. Pool() without an argument starts one process per CPU "
            "on the machine; pass `workers` to it: Pool(workers)"
        )
        why_zh = (
            f"评测程序在你的函数下面同时最多只看到 {peak} 个进程：进程池太小了。"
            "Pool() 不带参数时按机器的 CPU 核数启动进程；要把 `workers` 传进去：Pool(workers)"
        )
    else:
        why_en = (
            f"There were {peak} processes below your function, but the judge never saw more "
            f"than {most} task(s) running at the same moment: a task was only submitted once "
            "the one before it had finished (.get() right after each apply_async, or "
            "pool.apply), or the items were handed out in chunks. Submit every item before "
            "waiting for any result"
        )
        why_zh = (
            f"你的函数下面有 {peak} 个进程，但评测程序同一时刻最多只看到 {most} 个任务在运行："
            "上一个任务做完才提交下一个（每次 apply_async 之后马上 .get()，或者用了 "
            "pool.apply），或者元素被成块地分了出去。应当先提交所有元素，再等待结果"
        )
    fail(
        en=f"{call}: each task waits (up to {HOLD_WAIT:g} s) until the judge has seen it "
        f"running in a worker process, {at_once} at a time, and some gave up waiting. "
        f"{why_en} (README: '{section[0]}').",
        zh=f"{call}：每个任务都会等待（最多 {HOLD_WAIT:g} 秒），直到评测程序看到它在工作进程里"
        f"运行——每次要同时看到 {at_once} 个——有的任务没等到，放弃了。{why_zh}"
        f"（README.zh-CN:「{section[1]}」）。",
    )


# -- reading what came back ------------------------------------------------------------------


def _show(items: Any) -> str:
    text = repr(items)
    return text if len(text) <= 60 else text[:56] + " ...]"


def _entries(value: object, count: int, call: str) -> list[Any]:
    """The per-item entries of the returned value, checked for shape."""
    check(
        isinstance(value, list),
        en=f"{call} returned {_show(value)}: it must return a list with one entry per item "
        "(README: 'The API').",
        zh=f"{call} 返回了 {_show(value)}：应当返回一个列表，每个元素对应一项"
        "（README.zh-CN:「接口」）。",
    )
    check(
        len(value) == count,  # type: ignore[arg-type]
        en=f"{call} returned {len(value)} entries for {count} items: one entry per item, "  # type: ignore[arg-type]
        "no more, no less (README: 'The API').",
        zh=f"{call} 对 {count} 个元素返回了 {len(value)} 项：每个元素恰好一项，不多也不少"  # type: ignore[arg-type]
        "（README.zh-CN:「接口」）。",
    )
    return value  # type: ignore[return-value]


def _results(function: str, outcome: Outcome, count: int, call: str) -> list[Any]:
    """What the function gave for each item: the values, or async_map's "ok" values."""
    entries = _entries(outcome.value_or_raise(), count, call)
    if function == "parallel_map":
        return entries
    results = []
    for index, entry in enumerate(entries):
        check(
            isinstance(entry, (list, tuple)) and len(entry) == 2 and entry[0] == "ok",
            en=f"{call} gave {entry!r} for item {index}, whose task cannot fail: a successful "
            "item is reported as (\"ok\", value) (README: 'The API').",
            zh=f"{call} 对第 {index} 个元素给出了 {entry!r}，而这个任务不会出错："
            '成功的元素应当报告为 ("ok", value)（README.zh-CN:「接口」）。',
        )
        results.append(entry[1])
    return results


def _check_tokens(results: list[Any], items: list[int], call: str) -> None:
    """Each result is the one the task returned for its item, in the items' order."""
    expected = [_token(x) for x in items]
    if results == expected:
        return
    if sorted(map(repr, results)) == sorted(map(repr, expected)):
        order = [int(str(r).split(":")[0]) for r in results]
        fail(
            en=f"{call} returned the results of the items in this order: {order}. Entry i "
            "must be the result of item i, whatever order the tasks finish in "
            "(README: 'Order').",
            zh=f"{call} 返回的结果是按这个顺序排列的：{order}。第 i 项必须是第 i 个元素的结果，"
            "不管任务按什么顺序完成（README.zh-CN:「顺序」）。",
        )
    pairs = enumerate(zip(results, expected, strict=True))
    wrong = next(i for i, (have, want) in pairs if have != want)
    fail(
        en=f"{call}: for item {items[wrong]} the task returned {expected[wrong]!r}, and the "
        f"result in its place is {results[wrong]!r}. Return exactly what func returned for "
        "each item: only calling func on the item gives it (README: 'The API').",
        zh=f"{call}：第 {items[wrong]} 个元素的任务返回的是 {expected[wrong]!r}，而结果里对应"
        f"位置是 {results[wrong]!r}。每个元素的结果必须原样是 func 的返回值，只有真的用这个元素"
        "调用 func 才能得到它（README.zh-CN:「接口」）。",
    )


def _gave_up(outcome: Outcome) -> bool:
    """A held task waited in vain for the judge (its own error came back)."""
    if outcome.raised(NotSeen.__name__):
        return True
    value = outcome.value if outcome.returned else None
    return isinstance(value, list) and any(
        isinstance(e, (list, tuple)) and len(e) > 1 and e[1] == NotSeen.__name__ for e in value
    )


def _caller_cpu(outcome: Outcome) -> float:
    root = outcome.timeline.root
    return root.cpu_s if root is not None else 0.0


def _left_behind(outcome: Outcome, call: str, raised: bool) -> tuple[str, str] | None:
    """(en, zh) of what the judge saw below the caller when ``call`` ended, or None."""
    if not outcome.descendants and not outcome.zombies:
        return None
    seen_en, seen_zh = [], []
    if outcome.descendants:
        running = probe.describe_all(outcome.descendants)
        seen_en.append(f"still running: {running}")
        seen_zh.append(f"还在运行的：{running}")
    if outcome.zombies:
        zombies = probe.describe_all(outcome.zombies)
        seen_en.append(f"exited but never reaped (zombies): {zombies}")
        seen_zh.append(f"已退出但没有被回收的（僵尸进程）：{zombies}")
    ended_en, ended_zh = ("raised", "抛出异常") if raised else ("returned", "返回")
    return (
        f"when {call} {ended_en}, its pool's workers were still there; "
        + "; ".join(seen_en)
        + ". A pool that is never closed keeps its workers waiting for more tasks; close() "
        "alone lets them finish, but only join() waits for them and reaps them. CPython may "
        "end a forgotten pool when the garbage collector gets to it, but nothing guarantees "
        "when, and the grader holds every pool, as a longer program would",
        f"{call} {ended_zh}时，它的进程池的工作进程还在；"
        + "；".join(seen_zh)
        + "。没有 close() 的进程池，工作进程会一直等着新任务；只 close() 能让它们做完退出，"
        "但只有 join() 才会等它们退出并回收它们。CPython 也许会在垃圾回收时关掉被遗忘的进程池，"
        "但什么时候发生没有任何保证；评测程序会像一个长期运行的程序那样持有每一个进程池",
    )


# -- Order -----------------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_results_come_back_in_input_order(student, function):
    items = list(range(ORDER_ITEMS))
    call = f"{function}(task, {_show(items)}, workers={WORKERS})"
    outcome = _run(student, call, function, _zero_last, items, WORKERS)
    results = _results(function, outcome, len(items), call)
    expected = [_token(x) for x in items]
    if results != expected and sorted(map(repr, results)) == sorted(map(repr, expected)):
        order = [int(str(r).split(":")[0]) for r in results]
        fail(
            en=f"{call} returned the results of the items in this order: {order}. Item 0's "
            "task ends only after every other task has ended, so it finishes last: you "
            "returned the results in the order the tasks *finished*. That is what "
            "imap_unordered gives, or a callback that appends to a list. Pool.map returns "
            "results in input order; with apply_async keep the AsyncResult objects in a list "
            "in input order and call get() on each (README: 'Order').",
            zh=f"{call} 返回的结果是按这个顺序排列的：{order}。第 0 个元素的任务要等其余任务"
            "都做完才结束，所以它最后完成：你是按任务**完成**的顺序返回结果的。imap_unordered "
            "就是这样，往列表里 append 的回调函数也是这样。Pool.map 按输入顺序返回结果；用 "
            "apply_async 时，把 AsyncResult 对象按输入顺序存进列表，再逐个调用 get()"
            "（README.zh-CN:「顺序」）。",
        )
    _check_tokens(results, items, call)


# -- Empty input -----------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_empty_input_gives_an_empty_list(student, function):
    call = f"{function}(task, [], workers={WORKERS})"
    outcome = _run(student, call, function, _work, [], WORKERS)
    error = outcome.error
    if error is not None:
        fail(
            en=f"{call} raised {error.type}: {error.message}. No items is a normal input and "
            "the answer is []. Size the pool by `workers`, not by the number of items: "
            f"Pool(0) is an error (README: 'Empty input').\n{error.traceback}",
            zh=f"{call} 抛出了 {error.type}: {error.message}。没有元素是正常的输入，答案是 []。"
            "进程池的大小要按 `workers` 定，不要按元素个数定：Pool(0) 会报错"
            f"（README.zh-CN:「空输入」）。\n{error.traceback}",
        )
    value = outcome.value_or_raise()
    check(
        isinstance(value, list) and value == [],
        en=f"{call} returned {value!r}, expected [] (README: 'Empty input').",
        zh=f"{call} 返回了 {value!r}，应当返回 []（README.zh-CN:「空输入」）。",
    )


# -- Any items, any results ------------------------------------------------------------------

MIXED = (7, "七", None, (1, "a"), b"\x00\xff", 7, [2, [3]], "", {"k": "v"}, 0, -1.5, (7,))
SECOND = [4, 4, None, 5]


@pytest.mark.points(1)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_any_items_and_a_second_call(student, function):
    calls = [(MIXED, WORKERS), (SECOND, 1)]
    call = (
        f"{function}(task, {_show(MIXED)}, workers={WORKERS}), then "
        f"{function}(task, {SECOND}, workers=1) in the same program"
    )
    outcome = student.options(label=call).run_scenario(_call_twice, function, calls)
    value = outcome.value_or_raise()  # the scenario's list of the two returned values
    for (items, workers), got in zip(calls, value, strict=True):  # type: ignore[call-overload]
        one = f"{function}(task, {_show(items)}, workers={workers})"
        want = [_describe(x) for x in items]
        if function == "async_map":
            want = [("ok", v) for v in want]
        results = _entries(got, len(items), one)
        if function == "async_map":
            results = [tuple(e) if isinstance(e, list) else e for e in results]
        wrong = [i for i, (have, w) in enumerate(zip(results, want, strict=True)) if have != w]
        check(
            not wrong,
            en=f"{call}: for the call {one}, the task gives {want!r} and your function "
            f"returned {results!r} (entries {wrong} differ). Items may be of any type and "
            "repeat; each one is passed to func as its only argument (a tuple item is not "
            "unpacked); func may return None, 0 or '', and that is the result; and a second "
            "call must not see anything of the first: keep no state at module level "
            "(README: 'Any items, any results').",
            zh=f"{call}：对于调用 {one}，任务给出的是 {want!r}，而你的函数返回了 {results!r}"
            f"（第 {wrong} 项不同）。元素可以是任意类型，也可以重复；每个元素作为 func 唯一的参数"
            "传进去（元组元素不会被拆开）；func 返回 None、0 或 '' 时，结果就是它；第二次调用"
            "不能看到第一次调用的任何东西：不要在模块级变量里保存状态"
            "（README.zh-CN:「任意元素与返回值」）。",
        )


# -- Workers ---------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_pool_has_exactly_workers_processes(student, function):
    # 1. As many items as workers: the judge releases the tasks only once it sees all of
    #    them waiting at the same moment, each in its own process below the caller.
    items = list(range(WORKERS))
    call = f"{function}(task, {items}, workers={WORKERS})"
    watched = _run_held(student, call, function, items, WORKERS, at_once=WORKERS)
    _check_released(watched, call, WORKERS, ("Workers", "工作进程"))
    _check_tokens(_results(function, watched.outcome, len(items), call), items, call)
    check(
        watched.peak_processes <= WORKERS,
        en=f"{call}: the judge saw {watched.peak_processes} processes below the caller at "
        f"the same moment. With workers={WORKERS} the pool has exactly {WORKERS} worker "
        "processes, and there are no others: one Pool(workers), no extra Process, no "
        "Manager (README: 'Workers').",
        zh=f"{call}：评测程序在同一时刻看到调用方下面有 {watched.peak_processes} 个进程。"
        f"workers={WORKERS} 时，进程池恰好有 {WORKERS} 个工作进程，而且没有别的进程：只用一个 "
        "Pool(workers)，不要另外创建 Process，也不要用 Manager（README.zh-CN:「工作进程」）。",
    )

    # 2. More items than workers, a number that is not a multiple of it: the same WORKERS
    #    processes take turns. The judge releases each task as soon as it sees it.
    items = list(range(3 * WORKERS + 1))
    call = f"{function}(task, {_show(items)}, workers={WORKERS})"
    watched = _run_held(student, call, function, items, WORKERS, at_once=1)
    _check_released(watched, call, 1, ("Workers", "工作进程"))
    _check_tokens(_results(function, watched.outcome, len(items), call), items, call)
    check(
        watched.processes() <= WORKERS and watched.peak_processes <= WORKERS,
        en=f"{call}: the judge saw the {len(items)} tasks run in {watched.processes()} "
        f"different processes, with up to {watched.peak_processes} processes below the "
        "caller at once. A pool starts `workers` processes once and reuses them for every "
        "item; starting a new Process per item is exactly the cost a pool exists to avoid "
        "(README: 'Workers').",
        zh=f"{call}：评测程序看到这 {len(items)} 个任务分别在 {watched.processes()} 个不同的进程"
        f"里运行，调用方下面同时最多有 {watched.peak_processes} 个进程。进程池一次性启动 "
        "`workers` 个进程，所有元素都由它们轮流处理；每个元素新建一个 Process，恰恰就是进程池"
        "要避免的开销（README.zh-CN:「工作进程」）。",
    )

    # 3. workers=1: one worker process runs every task.
    items = list(range(4))
    call = f"{function}(task, {items}, workers=1)"
    watched = _run_held(student, call, function, items, 1, at_once=1)
    _check_released(watched, call, 1, ("Workers", "工作进程"))
    _check_tokens(_results(function, watched.outcome, len(items), call), items, call)
    check(
        watched.processes() == 1 and watched.peak_processes == 1,
        en=f"{call}: with workers=1 every task runs in the one worker process, and the "
        f"judge saw the tasks run in {watched.processes()} process(es), with up to "
        f"{watched.peak_processes} processes below the caller at once. Pass `workers` to "
        "Pool: Pool() alone starts one process per CPU (README: 'Workers').",
        zh=f"{call}：workers=1 时，所有任务都在唯一的那个工作进程里运行；而评测程序看到任务在 "
        f"{watched.processes()} 个进程里运行，调用方下面同时最多有 {watched.peak_processes} "
        "个进程。要把 `workers` 传给 Pool：Pool() 不带参数时按 CPU 核数启动进程"
        "（README.zh-CN:「工作进程」）。",
    )


# -- In parallel -----------------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_tasks_overlap_in_time(student, function):
    # Twice as many items as workers: the judge releases the tasks WORKERS at a time, only
    # when it sees that many waiting at the same moment in processes below the caller.
    items = list(range(2 * WORKERS))
    call = f"{function}(task, {items}, workers={WORKERS})"
    watched = _run_held(student, call, function, items, WORKERS, at_once=WORKERS)
    _check_released(watched, call, WORKERS, ("In parallel", "并行"))
    _check_tokens(_results(function, watched.outcome, len(items), call), items, call)


# -- Cleaning up -----------------------------------------------------------------------------


def _check_worked_outside(outcome: Outcome, call: str, work_s: float) -> None:
    """The tasks' work was not done in the caller: a property test judges nothing otherwise."""
    used = _caller_cpu(outcome)
    check(
        used < work_s / 2,
        en=f"{call}: this test checks that no worker is left once the call is over, so the "
        f"tasks must really run in the pool's worker processes first. They have {work_s:.2f} "
        f"s of CPU work in all, and the judge saw the calling process itself use {used:.2f} "
        "s of CPU: the tasks ran in the caller. Create a multiprocessing.Pool(workers) and "
        "map the items on it (README: 'Workers').",
        zh=f"{call}：这个测试检查调用结束后没有留下工作进程，所以任务首先得真的在进程池的工作"
        f"进程里运行。这些任务一共有 {work_s:.2f} 秒的 CPU 计算量，而评测程序看到调用方进程"
        f"自己用了 {used:.2f} 秒 CPU：任务是在调用方里执行的。应当创建 "
        "multiprocessing.Pool(workers)，在它上面处理这些元素（README.zh-CN:「工作进程」）。",
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_worker_left_behind(student, function):
    items = list(range(2 * WORKERS))
    call = f"{function}(task, {items}, workers={WORKERS})"
    outcome = _run(student, call, function, _work, items, WORKERS)
    _check_tokens(_results(function, outcome, len(items), call), items, call)
    _check_worked_outside(outcome, call, len(items) * WORK_CPU)
    left = _left_behind(outcome, call, raised=False)
    if left is not None:
        fail(
            en=f"{left[0]}. Call pool.close() and then pool.join() in a finally block, or use "
            "`with Pool(workers) as pool:` (README: 'Cleaning up').",
            zh=f"{left[1]}。在 finally 块里先调用 pool.close() 再调用 pool.join()，或者用 "
            "`with Pool(workers) as pool:`（README.zh-CN:「收尾」）。",
        )


@pytest.mark.points(1)
def test_no_worker_left_after_an_error(student):
    items = list(range(8))
    call = f"parallel_map(task, {items}, workers={WORKERS})"
    outcome = _run(student, call, "parallel_map", _picky, items, WORKERS)
    if not outcome.returned and outcome.error is None:
        raise outcome.as_problem()  # it neither returned nor raised: timed out, crashed
    # First, the work really happened: no worker is left by a call that never started one.
    # The task's own error came back or (errors swallowed, which another test judges) the
    # items that did not fail have their results; and the caller did not do that work.
    error = outcome.error
    task_error = error is not None and (error.type, error.message) == (
        "ValueError",
        "item 5 is not welcome here",
    )
    value = outcome.value if outcome.returned else None
    results = isinstance(value, list) and len(value) == len(items)
    worked = task_error or (
        results and all(value[x] == _token(x) for x in items if x != 5)  # type: ignore[index]
    )
    if not worked:
        got = f"raised {error.type}: {error.message}" if error else f"returned {value!r}"
        got_zh = f"抛出了 {error.type}: {error.message}" if error else f"返回了 {value!r}"
        fail(
            en=f"{call} {got}. This test checks that no worker is left once a task has "
            "failed, so the tasks must really run in the pool first: the task raises "
            "ValueError('item 5 is not welcome here') for item 5 and does a little work for "
            "the others, and that error is what parallel_map raises (README: 'Errors').",
            zh=f"{call} {got_zh}。这个测试检查任务出错之后没有留下工作进程，所以任务首先得真的"
            "在进程池里运行：任务对第 5 个元素抛出 ValueError('item 5 is not welcome here')，"
            "对其余元素做一点计算，parallel_map 应当抛出的就是这个异常（README.zh-CN:「异常」）。",
        )
    _check_worked_outside(outcome, call, (len(items) - 1) * WORK_CPU)
    left = _left_behind(outcome, call, raised=error is not None)
    if left is not None:
        fail(
            en=f"The task raised ValueError for item 5, and {left[0]}. A pool.close() and "
            "pool.join() written after map() are skipped when map() raises: put them in a "
            "finally block, or use `with Pool(workers) as pool:` (README: 'Cleaning up').",
            zh=f"任务对第 5 个元素抛出了 ValueError，而{left[1]}。写在 map() 后面的 "
            "pool.close() 和 pool.join()，在 map() 抛出异常时会被跳过：把它们放进 finally 块，"
            "或者用 `with Pool(workers) as pool:`（README.zh-CN:「收尾」）。",
        )


# -- Errors ----------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_error_reaches_the_caller(student):
    items = list(range(8))
    call = f"parallel_map(task, {items}, workers={WORKERS})"
    outcome = _run(student, call, "parallel_map", _picky, items, WORKERS)
    if outcome.returned:
        fail(
            en="The task raises ValueError('item 5 is not welcome here') for item 5, yet "
            f"{call} returned {_show(outcome.value)}. The error was swallowed: a caller that "
            "gets None (or nothing) instead of an exception cannot tell that item 5 failed. "
            "Let the exception that pool.map() re-raises propagate (README: 'Errors').",
            zh="任务对第 5 个元素抛出 ValueError('item 5 is not welcome here')，可是 "
            f"{call} 返回了 {_show(outcome.value)}。异常被吞掉了：调用方拿到的是 None（或者"
            "什么也没有），而不是异常，就无从知道第 5 个元素失败了。让 pool.map() 重新抛出的"
            "异常传出去（README.zh-CN:「异常」）。",
        )
    error = outcome.error
    if error is None:
        raise outcome.as_problem()  # it neither returned nor raised: timed out, crashed
    check(
        (error.type, error.message) == ("ValueError", "item 5 is not welcome here"),
        en="The task raises ValueError('item 5 is not welcome here') for item 5, and "
        f"{call} raised {error.type}: {error.message!r}. The caller must get the task's own "
        "exception, type and message unchanged: pool.map() and AsyncResult.get() re-raise it "
        f"for you, so don't wrap or replace it (README: 'Errors').\n{error.traceback}",
        zh="任务对第 5 个元素抛出 ValueError('item 5 is not welcome here')，而 "
        f"{call} 抛出的是 {error.type}: {error.message!r}。调用方拿到的必须是任务自己的异常，"
        "类型和信息都不变：pool.map() 和 AsyncResult.get() 会替你重新抛出它，不要包装或替换"
        f"（README.zh-CN:「异常」）。\n{error.traceback}",
    )


@pytest.mark.points(3)
def test_async_collects_every_error(student):
    items = list(range(8))
    call = f"async_map(task, {items}, workers={WORKERS})"
    outcome = _run(student, call, "async_map", _fussy, items, WORKERS)
    error = outcome.error
    if error is not None:
        fail(
            en=f"{call} raised {error.type}: {error.message}. The task fails for items 3, 5 "
            "and 6, and async_map must not raise for that: catch the exception that "
            "result.get() re-raises (or take it in an error_callback) and report "
            f"(\"error\", type name, message) for that item (README: 'Errors').\n"
            f"{error.traceback}",
            zh=f"{call} 抛出了 {error.type}: {error.message}。任务对第 3、5、6 个元素会出错，"
            "但 async_map 不能因此抛出异常：捕获 result.get() 重新抛出的异常（或者在 "
            'error_callback 里接收它），为这个元素报告 ("error", 类型名, 异常信息)'
            f"（README.zh-CN:「异常」）。\n{error.traceback}",
        )
    value = _entries(outcome.value_or_raise(), len(items), call)
    expected: list[tuple[Any, ...]] = [("ok", _token(x)) for x in items]
    expected[3] = ("error", "KeyError", "'item 3'")
    expected[5] = ("error", "ValueError", "item 5 is not welcome here")
    expected[6] = ("error", "Refused", "")
    got = [tuple(e) if isinstance(e, (list, tuple)) else e for e in value]
    if got != expected and sorted(map(repr, got)) == sorted(map(repr, expected)):
        fail(
            en=f"{call} reported the right entries in the wrong order: {got}. Entry i must be "
            "about item i. Callbacks (callback=, error_callback=) run in the order the tasks "
            "finish: store each entry at its item's index instead of appending, or keep the "
            "AsyncResult objects in input order and call get() on each (README: 'Order').",
            zh=f"{call} 报告的各项都对，但顺序错了：{got}。第 i 项说的必须是第 i 个元素。回调函数"
            "（callback=、error_callback=）是按任务完成的先后被调用的：按元素的下标存放，不要 "
            "append；或者把 AsyncResult 对象按输入顺序存起来，再逐个调用 get()"
            "（README.zh-CN:「顺序」）。",
        )
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        if want[0] == "error":
            check(
                have == want,
                en=f"{call}: the task raised {want[1]} for item {index}, whose str() is "
                f"{want[2]!r}, and async_map reported {have!r}. Report a failed item as "
                '("error", type(exc).__name__, str(exc)) — str(exc), even when it is empty '
                "or, for a KeyError, quoted — with the exception that result.get() re-raises "
                "or that error_callback receives; an error turned into None is an error "
                "nobody will ever see (README: 'Errors').",
                zh=f"{call}：任务对第 {index} 个元素抛出了 {want[1]}，它的 str() 是 "
                f"{want[2]!r}，而 async_map 报告的是 {have!r}。失败的元素要报告为 "
                '("error", type(exc).__name__, str(exc))——就用 str(exc)，哪怕它是空字符串，'
                "或者像 KeyError 那样带引号——异常取自 result.get() 重新抛出的那个，或者 "
                "error_callback 收到的那个；把错误变成 None，这个错误就永远没人知道了"
                "（README.zh-CN:「异常」）。",
            )
        else:
            check(
                have == want,
                en=f"{call}: item {index} succeeded with {want[1]!r} and async_map reported "
                f"{have!r}; expected {want!r}. A failing item must not change the others' "
                "entries (README: 'Errors').",
                zh=f"{call}：第 {index} 个元素成功返回了 {want[1]!r}，async_map 报告的却是 "
                f"{have!r}，应当是 {want!r}。一个元素失败，不能影响其他元素的结果"
                "（README.zh-CN:「异常」）。",
            )
    left = _left_behind(outcome, call, raised=False)
    if left is not None:
        fail(
            en=f"{left[0]}. close() and join() the pool (README: 'Cleaning up').",
            zh=f"{left[1]}。要对进程池调用 close() 和 join()（README.zh-CN:「收尾」）。",
        )
