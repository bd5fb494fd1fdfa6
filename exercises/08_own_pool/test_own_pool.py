"""Spec for exercise 08 — a process pool of your own. Run it with `grader check own_pool`.

Every student call runs in a sandbox process; the checks run here, in the test process.

The judge observes, the sandbox only acts. The tasks that the student's pool runs are the
grader's own, defined below; the sandbox is forked from this test process and the workers
from the sandbox, so they are found by name when the task queue carries them. Each task, in
whatever process it runs, connects to the judge's channel (``grader.spec.channel``), says
which item it is and waits for the judge's answer. So every verdict rests on what the judge
sees itself:

* which process ran each task: the kernel names the process at the other end of the
  connection, and the judge reads its row (its parent, its start time) while it waits. Tasks
  that ran in the caller, in a process per task, or in fewer processes than asked are seen
  for what they are;
* how many workers run at once: in the Workers test the judge answers only when it sees as
  many tasks waiting at the same moment, each in its own process, as there are workers;
* the order in which tasks finish: in the Order test the judge holds item 0 until every other
  task has finished, so item 0 finishes last and its result must still come first;
* what is left when the function returns: the scenario says "returned" (or "raised") on the
  channel and waits while the judge reads the caller's children from /proc;
* a hang: once nothing moved for STALL_S, the judge reads the process table (which workers
  are alive, zombies, what the caller waits in) before it ends the run.

Each task returns a token (a hash with a salt drawn when the spec is loaded), so a result can
only come from calling ``func`` on the item. Nothing a sandbox process records or reports about
pids, times or counts is believed; nothing waits with a sleep.
"""

from __future__ import annotations

import hashlib
import multiprocessing.pool
import secrets
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from grader.spec import Ending, Outcome, channel, check, fail, probe

HOLD_S = 10.0  # how long a task waits for the judge's answer before it gives up
STALL_S = 4.0  # the judge ends a run in which nothing moved for this long
RUN_S = 15.0  # the longest the judge watches one run
BIG = 100_000  # characters in each result of the big-results test: above a pipe's 64 KiB
WORKERS = 3  # odd, and not this box's CPU count (2): a pool that ignores `workers` differs

_SALT = secrets.token_hex(8)  # drawn in the session, inherited by every test and sandbox


def _token(x: object) -> str:
    """The result of the grader's tasks for item ``x``: only the task knows the salt."""
    digest = hashlib.blake2b(f"{_SALT}:{x!r}".encode(), digest_size=4).hexdigest()
    return f"{x}:{digest}"


def _big_value(x: object) -> str:
    token = _token(x)
    return token + "." * (BIG - len(token))


# -- the grader's tasks (they run in the student's workers) ---------------------------------

_ADDRESS = ""  # the judge's channel, set by the scenario before it calls pool_map


class NotReleased(Exception):
    """A task waited in vain for the judge's answer."""


class ReadyMadePool(Exception):
    """The student's code used a ready-made pool instead of building its own."""


def _wait_for_judge(x: object) -> None:
    answer = channel.talk(_ADDRESS, f"task {x}", timeout=HOLD_S)
    if answer != "go":
        raise NotReleased(f"task {x} waited for the grader and was never let go")


def _task(x: int) -> str:
    """Task: show itself to the judge, wait for its go, return x's token."""
    _wait_for_judge(x)
    return _token(x)


def _picky(x: int) -> str:
    """Task: like _task, but item 5 raises ValueError (with its token, so only it can)."""
    _wait_for_judge(x)
    if x == 5:
        raise ValueError(f"item 5 refused ({_token(5)})")
    return _token(x)


def _big(x: int) -> str:
    """Task: like _task, but the result is BIG characters long."""
    _wait_for_judge(x)
    return _big_value(x)


# -- the scenario: call pool_map in the sandbox ----------------------------------------------


def _forbid_ready_made_pools() -> None:
    """This exercise builds the pool: multiprocessing.Pool and ProcessPoolExecutor refuse."""

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise ReadyMadePool(
            f"{type(self).__name__} is not allowed in this exercise: build the pool from "
            "multiprocessing.Process and multiprocessing.Queue"
        )

    multiprocessing.pool.Pool.__init__ = refuse  # type: ignore[method-assign]
    try:
        import concurrent.futures

        concurrent.futures.ProcessPoolExecutor.__init__ = refuse  # type: ignore[method-assign]
    except ImportError:  # pragma: no cover - always there on CPython
        pass


def _call(module: ModuleType, address: str, task: Any, items: list[Any], workers: int) -> Any:
    """Scenario: ``pool_map(task, items, workers)``; then tell the judge it returned/raised
    and wait while the judge reads the process table."""
    global _ADDRESS
    _ADDRESS = address
    _forbid_ready_made_pools()
    try:
        value = module.pool_map(task, items, workers)
    except BaseException:
        channel.talk(address, "raised", timeout=RUN_S)
        raise
    channel.talk(address, "returned", timeout=RUN_S)
    return value


# -- the judge's side ------------------------------------------------------------------------


@dataclass
class Seen:
    """One run of pool_map and what the judge saw of it."""

    call: str
    items: list[int]
    workers: int
    caller: int = 0
    tasks: list[tuple[int, channel.Peer]] = field(default_factory=list)  # in arrival order
    released: set[int] = field(default_factory=set)  # id() of the peers answered
    most_waiting: int = 0  # most tasks seen waiting at once, each in its own child process
    at_return: list[probe.Proc] | None = None  # the caller's children when it returned
    returned_how: str = ""  # "returned" or "raised", as the scenario said
    stalled: bool = False  # nothing moved for STALL_S: the judge ended the run
    hung_children: list[probe.Proc] = field(default_factory=list)  # at the stall
    caller_wait: str = ""  # the caller's wchan at the stall ("do_wait": in join())
    hold_zero: bool = False  # the Order test's policy: item 0 is held until the others end
    outcome: Outcome | None = None

    def ended_tasks(self) -> int:
        return sum(1 for _, peer in self.tasks if peer.ended)

    def all_done(self) -> bool:
        return self.ended_tasks() >= len(self.items)

    def processes(self) -> set[tuple[int, int]]:
        """The processes (pid, start time) that ran tasks, as the kernel named them."""
        return {(p.pid, p.row.start if p.row else 0) for _, p in self.tasks}

    def in_caller(self) -> list[int]:
        return [item for item, p in self.tasks if p.pid == self.caller]

    def not_children(self) -> list[tuple[int, channel.Peer]]:
        return [
            (item, p)
            for item, p in self.tasks
            if p.pid != self.caller and (p.row is None or p.row.ppid != self.caller)
        ]


def _waiting(seen: Seen) -> list[tuple[int, channel.Peer]]:
    """Tasks waiting for the judge now, in child processes (a process shows one task)."""
    return [
        (item, p)
        for item, p in seen.tasks
        if id(p) not in seen.released and not p.ended and p.pid != seen.caller
    ]


def _at_once(count: int):  # type: ignore[no-untyped-def]
    """Release policy: answer only when ``count`` (or all the remaining) tasks wait together."""

    def policy(seen: Seen) -> list[tuple[int, channel.Peer]]:
        waiting = _waiting(seen)
        left = len(seen.items) - len(seen.released)
        if waiting and len({p.pid for _, p in waiting}) >= min(count, left):
            return waiting
        return []

    return policy


def _zero_last(seen: Seen) -> list[tuple[int, channel.Peer]]:
    """Release policy: answer every task at once, except item 0: it goes only once every
    other task has finished (its connection closed: the task returned)."""
    waiting = _waiting(seen)
    others_done = sum(1 for item, p in seen.tasks if item != 0 and p.ended)
    if others_done >= len(seen.items) - 1:
        return waiting
    return [(item, p) for item, p in waiting if item != 0]


def _watch(student: Any, call: str, task: Any, items: list[int], workers: int, policy: Any) -> Seen:
    """Run ``pool_map(task, items, workers)`` and answer its tasks as ``policy`` says."""
    seen = Seen(call, items, workers, hold_zero=policy is _zero_last)
    with channel.Channel("08") as judge:
        running = student.options(label=call).start_scenario(
            _call, judge.address, task, items, workers
        )
        seen.caller = running.pid
        known: set[int] = set()
        moved = judge.now()
        while judge.now() < RUN_S:
            finished = running.finished()
            for peer in judge.poll():
                moved = judge.now()
                if id(peer) in known or not peer.lines:
                    continue
                known.add(id(peer))
                line = peer.line
                if line.startswith("task ") and line[5:].lstrip("-").isdigit():
                    seen.tasks.append((int(line[5:]), peer))
                elif line in ("returned", "raised") and peer.pid == seen.caller:
                    seen.at_return = probe.children(seen.caller)
                    seen.returned_how = line
                    peer.answer("ok")
            waiting = _waiting(seen)
            seen.most_waiting = max(seen.most_waiting, len({p.pid for _, p in waiting}))
            for _, peer in policy(seen):
                peer.answer("go")
                seen.released.add(id(peer))
                moved = judge.now()
            if seen.at_return is not None or finished:
                break
            if judge.now() - moved > STALL_S:
                seen.stalled = True
                break
        if seen.stalled or (seen.at_return is None and not finished):
            seen.stalled = True
            seen.hung_children = probe.children(seen.caller)
            seen.caller_wait = probe.wait_channel(seen.caller)
            seen.outcome = running.time_out()
        else:
            running.wait(RUN_S / 2)  # its result frame follows at once
            seen.outcome = running.stop(grace=0.5)
    return seen


# -- reading what the judge saw --------------------------------------------------------------


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 70 else text[:66] + " ..."


def _problem_first(seen: Seen) -> Outcome:
    """A stub, a missing function, an import error: nothing else to judge."""
    outcome = seen.outcome
    assert outcome is not None
    error = outcome.error
    if error is not None and (error.todo or error.import_failed):
        raise outcome.as_problem()
    if outcome.ending is Ending.MISSING:
        raise outcome.as_problem()
    if error is not None and error.type == "ReadyMadePool":
        fail(
            en=f"{seen.call} used a ready-made pool ({error.message.split(' is not')[0]}). "
            "This exercise is about building one: start `workers` multiprocessing.Process "
            "objects yourself and feed them from a multiprocessing.Queue (README: 'The API').",
            zh=f"{seen.call} 用了现成的进程池（{error.message.split(' is not')[0]}）。这个练习"
            "要你自己搭一个：亲手启动 `workers` 个 multiprocessing.Process，用 "
            "multiprocessing.Queue 给它们派任务（见 README：「接口」）。",
        )
    return outcome


def _check_not_hung(seen: Seen) -> None:
    """Fail with what the judge saw if the run had to be ended."""
    if not seen.stalled:
        return
    if seen.all_done():
        _fail_hung_after_the_work(seen)
    _fail_tasks_held(seen)


def _fail_hung_after_the_work(seen: Seen) -> None:
    kids = seen.hung_children
    alive = [k for k in kids if not k.zombie]
    zombies = [k for k in kids if k.zombie]
    joining = seen.caller_wait == "do_wait"
    facts_en = (
        f"{seen.call}: every one of the {len(seen.items)} tasks had finished, but the call "
        f"had not returned {STALL_S:g} s later. The judge then saw below the caller "
        f"{len(alive)} live process(es) and {len(zombies)} zombie(s) (ended, not yet joined)"
        + (", and the caller waiting in join() for a process to end" if joining else "")
        + ". "
    )
    facts_zh = (
        f"{seen.call}：{len(seen.items)} 个任务全都做完了，可是过了 {STALL_S:g} 秒调用还没有"
        f"返回。评测程序此时看到调用方下面还有 {len(alive)} 个活着的进程、{len(zombies)} 个"
        "已经结束却没有被 join 的进程（僵尸进程）"
        + ("，而调用方正卡在 join() 里等某个进程结束" if joining else "")
        + "。"
    )
    sentinel_en = (
        "One sentinel for all the workers: the first worker that gets it ends, and every "
        "other one waits on the task queue for ever. Put one sentinel per worker "
        "(README: 'Sentinels')."
    )
    sentinel_zh = (
        "所有工作进程共用一个哨兵：第一个拿到它的进程结束了，其余进程永远在任务队列上等下去。"
        "要为每个工作进程各放一个哨兵（见 README：「哨兵」）。"
    )
    drain_en = (
        "join() before reading the results: a process that has put data on a Queue cannot "
        "end until that data has gone into the pipe, and a pipe holds only 64 KiB until "
        "somebody reads it. Read every result first, then join "
        "(README: 'Read before you join')."
    )
    drain_zh = (
        "还没取结果就 join()：一个往 Queue 里放过数据的进程，要等这些数据全部写进管道才能结束，"
        "而管道在没人读的时候最多只能装 64 KiB。要先取完全部结果，再 join"
        "（见 README：「先取结果，再 join」）。"
    )
    lost_en = (
        "The caller waits for a result that never comes: an exception that escapes func in "
        "a worker ends that worker, and its result is never put (catch it in the worker and "
        "put it on the result queue, README: 'Errors'); or the caller reads more results "
        "than there were tasks (read exactly len(items), README: 'Order')."
    )
    lost_zh = (
        "调用方在等一个永远不会来的结果：func 抛出的异常如果没有在工作进程里捕获，这个工作进程"
        "就结束了，它的结果永远不会放进队列（要在工作进程里捕获异常，把它放进结果队列，见 "
        "README：「异常」）；或者调用方读的结果比任务数多（恰好读 len(items) 个，见 "
        "README：「顺序」）。"
    )
    # The judge's reading of the process table says which classic mistake this most likely
    # is; the others follow, shorter, in case the reading misled it.
    if alive and len(alive) < seen.workers:
        causes = [(sentinel_en, sentinel_zh), (drain_en, drain_zh), (lost_en, lost_zh)]
    elif alive:
        causes = [(drain_en, drain_zh), (sentinel_en, sentinel_zh), (lost_en, lost_zh)]
    else:
        causes = [(lost_en, lost_zh), (sentinel_en, sentinel_zh), (drain_en, drain_zh)]
    first, *others = causes
    fail(
        en=facts_en
        + "The likely cause: "
        + first[0]
        + " Other causes of a hang here: "
        + " ".join(c[0] for c in others),
        zh=facts_zh
        + "最可能的原因："
        + first[1]
        + "其他可能造成卡住的原因："
        + "".join(c[1] for c in others),
    )


def _fail_tasks_held(seen: Seen) -> None:
    count = len(seen.processes())
    in_caller = seen.in_caller()
    zero = [p for item, p in seen.tasks if item == 0 and id(p) not in seen.released]
    if seen.hold_zero and zero and not in_caller:
        others = sum(1 for item, p in seen.tasks if item != 0 and p.ended)
        fail(
            en=f"{seen.call}: the judge held item 0's task (in pid {zero[0].pid}) and let "
            f"every other task go at once, but after {others} of the other "
            f"{len(seen.items) - 1} tasks nothing moved for {STALL_S:g} s. While one worker "
            "is busy, the other workers go on taking task after task from the one task "
            "queue. A pool that waits for a whole round of tasks (a process per task, "
            "started a round at a time) or hands tasks out to workers in advance stops "
            "behind one slow task (README: 'Workers' and 'Order').",
            zh=f"{seen.call}：评测程序扣住了第 0 项的任务（在 pid {zero[0].pid} 里），其余任务"
            f"一到就放行；可是其他 {len(seen.items) - 1} 个任务完成了 {others} 个之后，"
            f"{STALL_S:g} 秒内再没有任何进展。一个工作进程忙着的时候，其他工作进程应当继续从"
            "同一个任务队列里一个接一个地取任务。如果进程池要等一整轮任务做完（每个任务一个"
            "进程、一轮一轮地启动），或者事先把任务分配给各个工作进程，一个慢任务就会把它卡住"
            "（见 README：「工作进程」和「顺序」）。",
        )
    if in_caller:
        why_en = (
            f"item(s) {in_caller[:5]} ran in the calling process itself, not in a worker: "
            "call func in the worker processes (the target of each Process), never in the "
            "caller"
        )
        why_zh = (
            f"第 {in_caller[:5]} 项是在调用方进程自己里面执行的，而不是在工作进程里：func 要在"
            "工作进程（每个 Process 的 target）里调用，不能在调用方里调用"
        )
    elif not seen.tasks:
        why_en = (
            "no task ever started: are the workers started, and do the tasks reach them "
            "through the task queue? (The sentinels go AFTER the tasks: a worker that finds "
            "a sentinel first ends before doing anything.)"
        )
        why_zh = (
            "一个任务都没有开始：工作进程启动了吗？任务有没有通过任务队列交给它们？（哨兵要放在"
            "任务之后：先拿到哨兵的工作进程什么都不做就结束了。）"
        )
    else:
        why_en = (
            f"the judge never saw more than {seen.most_waiting} task(s) running at the same "
            f"moment, in {count} process(es) in all: with workers={seen.workers} there are "
            f"{seen.workers} worker processes, all started before the first result is "
            "awaited, each taking the next task as soon as it is free"
        )
        why_zh = (
            f"评测程序同一时刻最多只看到 {seen.most_waiting} 个任务在运行，前后一共 {count} 个"
            f"进程：workers={seen.workers} 时应当有 {seen.workers} 个工作进程，在等第一个结果"
            "之前就全部启动，每个进程一空下来就去取下一个任务"
        )
    fail(
        en=f"{seen.call}: each task waits until the judge has seen it running in a worker "
        f"process (up to {HOLD_S:g} s), and the run stood still for {STALL_S:g} s with "
        f"{seen.ended_tasks()} of {len(seen.items)} tasks done: {why_en} (README: 'Workers').",
        zh=f"{seen.call}：每个任务都要等评测程序看到它在某个工作进程里运行（最多等 "
        f"{HOLD_S:g} 秒），而这次运行停滞了 {STALL_S:g} 秒，{len(seen.items)} 个任务只完成了 "
        f"{seen.ended_tasks()} 个：{why_zh}（见 README：「工作进程」）。",
    )


def _check_ran_in_children(seen: Seen) -> None:
    wrong = seen.not_children()
    if wrong:
        item, peer = wrong[0]
        where = peer.row.describe() if peer.row else f"pid {peer.pid}"
        fail(
            en=f"{seen.call}: item {item} ran in {where}, which is not a child of the caller "
            f"(pid {seen.caller}). The workers are the caller's own children, started with "
            "Process(...).start(); a worker runs the tasks itself, it does not start a "
            "process for each (README: 'Workers').",
            zh=f"{seen.call}：第 {item} 项运行在 {where} 里，它不是调用方（pid {seen.caller}）"
            "的子进程。工作进程就是调用方用 Process(...).start() 启动的子进程；任务由工作进程"
            "自己执行，而不是再为每个任务启动一个进程（见 README：「工作进程」）。",
        )


def _values(seen: Seen, outcome: Outcome) -> list[Any]:
    """The list pool_map returned, checked for shape."""
    if outcome.error is not None or not outcome.returned:
        raise outcome.as_problem()
    value = outcome.value
    check(
        isinstance(value, list) and len(value) == len(seen.items),
        en=f"{seen.call} returned {_show(value)}: it must return a list with one result "
        f"per item, {len(seen.items)} in all (README: 'The API').",
        zh=f"{seen.call} 返回了 {_show(value)}：应当返回一个列表，每个元素一个结果，一共 "
        f"{len(seen.items)} 个（见 README：「接口」）。",
    )
    return value  # type: ignore[return-value]


def _check_results(seen: Seen, values: list[Any], expected: list[Any]) -> None:
    if values == expected:
        return
    if sorted(map(repr, values)) == sorted(map(repr, expected)):
        position = next(i for i, v in enumerate(values) if v == expected[0])
        fail(
            en=f"{seen.call} returned every result, but not in the order of the items: the "
            f"result of item 0 is at position {position}. The judge held item 0 until every "
            "other task had finished, so it finished last; results arrive on the result queue "
            "in the order the tasks finish. Send each task with its index, send the index back "
            "with the result, and put each result at its index (README: 'Order').",
            zh=f"{seen.call} 返回了全部结果，但顺序和元素的顺序不一致：第 0 项的结果排在第 "
            f"{position} 位。评测程序让第 0 项一直等到其他任务全部做完，所以它是最后完成的；"
            "结果队列里的结果是按任务完成的先后到达的。派任务时带上下标，返回结果时把下标一起"
            "带回来，再按下标把结果放回原位（见 README：「顺序」）。",
        )
    wrong = next(i for i, (v, e) in enumerate(zip(values, expected, strict=True)) if v != e)
    fail(
        en=f"{seen.call}: for item {wrong} the task returned {_show(expected[wrong])}, and "
        f"pool_map gave {_show(values[wrong])}. Each result is exactly what func returned for "
        "that item (README: 'The API').",
        zh=f"{seen.call}：第 {wrong} 项的任务返回的是 {_show(expected[wrong])}，而 pool_map "
        f"给出的是 {_show(values[wrong])}。每个结果都应当原样是 func 对这一项的返回值"
        "（见 README：「接口」）。",
    )


def _check_nothing_left(seen: Seen, after: str, after_zh: str) -> None:
    kids = seen.at_return or []
    if not kids:
        return
    alive = [k for k in kids if not k.zombie]
    zombies = [k for k in kids if k.zombie]
    fail(
        en=f"{seen.call} {after}, and at that moment the judge saw below the caller "
        f"{len(alive)} worker(s) still alive and {len(zombies)} ended but not joined "
        f"(zombies): {probe.describe_all(kids)}. Before pool_map returns or raises, every "
        "worker gets its sentinel, ends, and is joined (README: 'Cleaning up').",
        zh=f"{seen.call} {after_zh}，而在这一刻评测程序看到调用方下面还有 {len(alive)} 个"
        f"工作进程活着、{len(zombies)} 个已经结束却没有被 join（僵尸进程）："
        f"{probe.describe_all(kids)}。pool_map 返回或抛出异常之前，每个工作进程都要拿到"
        "自己的哨兵、结束，并被 join（见 README：「收尾」）。",
    )


def _check_workers(seen: Seen) -> None:
    """The tasks ran in exactly ``workers`` processes, the caller's children, and no others."""
    outcome = seen.outcome
    assert outcome is not None
    _check_ran_in_children(seen)
    count = len(seen.processes())
    lives = outcome.timeline.lives
    peak = outcome.timeline.peak_processes
    check(
        count <= seen.workers,
        en=f"{seen.call}: the judge saw the {len(seen.items)} tasks run in {count} different "
        f"processes. A pool starts its {seen.workers} worker process(es) once and each one "
        "takes task after task from the queue until its sentinel comes; a new Process per "
        "task is exactly the cost a pool exists to avoid (README: 'Workers').",
        zh=f"{seen.call}：评测程序看到这 {len(seen.items)} 个任务分别在 {count} 个不同的进程里"
        f"运行。进程池只启动一次那 {seen.workers} 个工作进程，每个进程从队列里一个接一个地取"
        "任务，直到拿到哨兵为止；每个任务新建一个 Process，恰恰就是进程池要避免的开销"
        "（见 README：「工作进程」）。",
    )
    check(
        count == seen.workers,
        en=f"{seen.call}: the tasks ran in only {count} process(es) with workers="
        f"{seen.workers}: start exactly `workers` processes (README: 'Workers').",
        zh=f"{seen.call}：workers={seen.workers}，任务却只在 {count} 个进程里运行：要恰好启动 "
        "`workers` 个进程（见 README：「工作进程」）。",
    )
    check(
        len(lives) <= seen.workers and peak <= seen.workers,
        en=f"{seen.call}: besides the {seen.workers} worker(s), the judge saw other processes "
        f"below the caller ({len(lives)} in all, up to {peak} at once: "
        f"{', '.join(life.describe() for life in lives[:6])}). The pool is the workers and "
        "nothing else: no Manager, no process per task (README: 'Workers').",
        zh=f"{seen.call}：除了 {seen.workers} 个工作进程，评测程序还在调用方下面看到了别的进程"
        f"（一共 {len(lives)} 个，同时最多 {peak} 个："
        f"{', '.join(life.describe() for life in lives[:6])}）。进程池就是这些工作进程，"
        "没有别的：不要用 Manager，也不要每个任务一个进程（见 README：「工作进程」）。",
    )


# -- Order -----------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_results_come_back_in_task_order(student):
    items = list(range(9))
    call = f"pool_map(task, {items}, workers={WORKERS})"
    seen = _watch(student, call, _task, items, WORKERS, _zero_last)
    outcome = _problem_first(seen)
    _check_not_hung(seen)
    values = _values(seen, outcome)
    _check_ran_in_children(seen)
    _check_results(seen, values, [_token(x) for x in items])


# -- Workers ---------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_workers_are_started_once_and_reused(student):
    # More items than workers, not a multiple of it: the judge lets tasks go only when it
    # sees WORKERS of them waiting at once, each in its own process.
    for items, workers in ((list(range(3 * WORKERS + 1)), WORKERS), ([0, 1, 2], 1)):
        call = f"pool_map(task, {items}, workers={workers})"
        seen = _watch(student, call, _task, items, workers, _at_once(workers))
        outcome = _problem_first(seen)
        _check_not_hung(seen)
        _check_results(seen, _values(seen, outcome), [_token(x) for x in items])
        _check_workers(seen)


# -- Sentinels and Cleaning up ---------------------------------------------------------------


@pytest.mark.points(2)
def test_every_worker_ends_and_is_joined(student):
    workers = 4
    items = list(range(2 * workers + 1))
    call = f"pool_map(task, {items}, workers={workers})"
    seen = _watch(student, call, _task, items, workers, _at_once(workers))
    outcome = _problem_first(seen)
    _check_not_hung(seen)
    _check_results(seen, _values(seen, outcome), [_token(x) for x in items])
    _check_workers(seen)  # the work really happened in `workers` children: now judge the end
    _check_nothing_left(seen, "returned", "返回了")


# -- Errors ----------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_a_task_error_reaches_the_caller(student):
    items = list(range(8))
    call = f"pool_map(task, {items}, workers={WORKERS})"
    seen = _watch(student, call, _picky, items, WORKERS, _at_once(1))
    outcome = _problem_first(seen)
    _check_not_hung(seen)
    _check_ran_in_children(seen)
    want = f"item 5 refused ({_token(5)})"
    if outcome.returned:
        fail(
            en=f"The task raises ValueError({want!r}) for item 5, yet {seen.call} returned "
            f"{_show(outcome.value)}. The error was lost: a caller that gets a list instead "
            "of an exception cannot tell that item 5 failed. In the worker, catch the "
            "exception and put it on the result queue with the task's index; in the caller, "
            "raise it once every result is in and every worker joined (README: 'Errors').",
            zh=f"任务对第 5 项抛出 ValueError({want!r})，可是 {seen.call} 返回了 "
            f"{_show(outcome.value)}。异常丢了：调用方拿到的是一个列表而不是异常，就无从知道"
            "第 5 项失败了。在工作进程里捕获异常，连同任务的下标一起放进结果队列；在调用方，"
            "等全部结果取完、全部工作进程 join 之后，再把它抛出来（见 README：「异常」）。",
        )
    error = outcome.error
    if error is None:
        raise outcome.as_problem()  # neither returned nor raised: crashed
    check(
        (error.type, error.message) == ("ValueError", want),
        en=f"The task raises ValueError({want!r}) for item 5, and {seen.call} raised "
        f"{error.type}: {error.message!r}. The caller must get the task's own exception, "
        "type and message unchanged: a Queue carries the exception object itself, so put "
        "the exception on the result queue and raise that very object in the caller; don't "
        f"wrap it, replace it or turn it into a string (README: 'Errors').\n{error.traceback}",
        zh=f"任务对第 5 项抛出 ValueError({want!r})，而 {seen.call} 抛出的是 {error.type}: "
        f"{error.message!r}。调用方拿到的必须是任务自己的异常，类型和信息都不变：Queue 可以"
        "直接传递异常对象，把它放进结果队列，在调用方抛出的就是这个对象本身；不要包装、替换，"
        f"也不要把它变成字符串（见 README：「异常」）。\n{error.traceback}",
    )
    check(
        seen.all_done(),
        en=f"{seen.call} raised the task's exception after only {seen.ended_tasks()} of the "
        f"{len(items)} tasks had finished. Read every result before raising: the other items "
        "still run, and a worker ends only once its results have been read (README: 'Errors').",
        zh=f"{seen.call} 在 {len(items)} 个任务只完成了 {seen.ended_tasks()} 个时就抛出了异常。"
        "抛出之前要取完全部结果：其他元素照样要执行，工作进程的结果被取走之后它才能结束"
        "（见 README：「异常」）。",
    )
    _check_nothing_left(seen, "raised the task's exception", "抛出了任务的异常")


# -- Read before you join --------------------------------------------------------------------


@pytest.mark.points(3)
def test_big_results_do_not_deadlock(student):
    items = list(range(2 * WORKERS))
    call = f"pool_map(task, {items}, workers={WORKERS})  # results of {BIG:,} characters"
    seen = _watch(student, call, _big, items, WORKERS, _at_once(1))
    outcome = _problem_first(seen)
    _check_not_hung(seen)
    _check_ran_in_children(seen)
    values = _values(seen, outcome)
    _check_results(seen, values, [_big_value(x) for x in items])
    _check_nothing_left(seen, "returned", "返回了")
