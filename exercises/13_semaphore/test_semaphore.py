"""Spec for exercise 13 — a semaphore. Run it with `grader check semaphore`.

The judge observes; the sandbox only acts. The critical section is a trusted task of this
file: it connects to a socket the judge (this test process) holds, says which item it is,
and stays connected until the judge lets it go. So the judge counts the processes inside the
section itself: a live connection is a process inside, the kernel names it (``SO_PEERCRED``),
and its end closes when it leaves. Nothing the student's code returns or records is counted.

How the race is made to show every time: the judge lets nobody out of the section until the
sandbox is *calm* — the caller waits (state S, in ``join()``) and every worker that is not
inside is blocked too (state S, waiting for a permit) — for several samples in a row. A
worker that could enter (no semaphore, a semaphore per worker, ``Semaphore(limit + 1)``, an
extra release) is runnable until it has connected, so it is inside, and counted, before the
judge lets anyone out. Then, at each calm moment, the judge counts who is inside (never more
than ``limit``, and exactly ``min(limit, left)``) and lets the oldest one out. The first one
it lets out raises, so a permit that is not given back shows at the next calm moment.

Counting is exact: a poll reads the ends of older connections after it accepts newer ones,
so a worker that left the section (closed) before the next one came in is never counted with
it (a worker leaves the section before it gives its permit back).
"""

from __future__ import annotations

import functools
import multiprocessing
import random
import secrets
import time
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from grader.spec import Outcome, Running, channel, check, fail, probe

# README references (checked by `grader verify` against the headings of both READMEs).
P1_EN = "(README: 'Part 1 — at most limit at once')"
P1_ZH = "（见 README：「第一部分：同一时刻最多 limit 个」）"
P2_EN = "(README: 'Part 2 — a semaphore that refuses an extra release')"
P2_ZH = "（见 README：「第二部分：多还一次就报错的信号量」）"

RUN_S = 12.0  # the longest the judge watches one run
SETTLE_S = 0.03  # how long the sandbox must stay calm before the judge counts and lets one out
SETTLE_SAMPLES = 3  # ... over at least this many samples in a row
HOLD_S = 2.0  # nothing moved, yet never calm, this long: let one out anyway (not judged)
ANSWER_S = 20.0  # the longest a task waits for the judge (the judge always answers)
GO, RAISE, DONE = "out", "raise", "done"


# -- the sandbox side: trusted code that only acts -----------------------------------------------


def _task(address: str, item: str) -> None:
    """The critical section: be counted by the judge until it lets us out."""
    conn = channel.connect(address, f"in {item}", timeout=ANSWER_S)
    try:
        answer = channel.read_line(conn)
    finally:
        conn.close()  # out of the section before the caller's code gives the permit back
    if answer == RAISE:
        raise RuntimeError(f"task({item!r}) failed (an error the grader raised on purpose)")


def _limited_scenario(module: ModuleType, address: str, items: list[str], limit: int) -> object:
    codes = module.run_limited(functools.partial(_task, address), items, limit)
    channel.talk(address, DONE, timeout=ANSWER_S)  # returned: the judge reads our children
    return codes


def _hold(seats: object, address: str, tag: str) -> None:
    with seats:  # type: ignore[attr-defined]
        _task(address, tag)


def _permits_scenario(
    module: ModuleType, address: str, limit: int, workers: int, extra: bool
) -> object:
    seats = module.permits(limit)
    refused = None
    if extra:
        try:
            seats.release()  # one release too many, before anyone acquired
            refused = False
        except ValueError:
            refused = True
    procs = [
        multiprocessing.Process(target=_hold, args=(seats, address, f"w{i}"))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    channel.talk(address, DONE, timeout=ANSWER_S)
    return refused


# -- the judge's side ------------------------------------------------------------------------------


@dataclass
class Seen:
    caller: int
    limit: int
    count: int  # how many tasks should pass through the section
    holders: list[channel.Peer] = field(default_factory=list)  # every connection into the section
    peak: int = 0  # most processes inside at once, as the judge counted them
    peak_pids: list[int] = field(default_factory=list)
    full: int | None = None  # inside at the first calm moment, before anyone was let out
    short: tuple[int, int] | None = None  # (inside, left) at a later calm moment, too few inside
    raised: str | None = None  # the item whose task the judge made raise
    stuck: int | None = None  # tasks left when everything stood still with nobody inside
    gate: list[probe.Proc] | None = None  # the caller's children when the function returned
    outcome: Outcome | None = None

    def items_seen(self) -> dict[str, list[channel.Peer]]:
        found: dict[str, list[channel.Peer]] = {}
        for peer in self.holders:
            found.setdefault(peer.line.removeprefix("in "), []).append(peer)
        return found


def _calm(caller: int, inside: set[int]) -> tuple[bool, frozenset[int]]:
    """Whether the caller and every live child of it that is not inside are blocked (state
    S); and the live children's pids."""
    rows = probe.subtree([caller])
    me = rows.get(caller)
    kids = [row for row in probe.children(caller, rows) if not row.zombie]
    pids = frozenset(row.pid for row in kids)
    if me is None or me.state != "S":
        return False, pids
    return all(row.state == "S" for row in kids if row.pid not in inside), pids


def _watch(student, label: str, scenario, args: tuple, limit: int, count: int, raise_first: bool):
    with channel.Channel("13") as judge:
        running: Running = student.options(label=label).start_scenario(
            scenario, judge.address, *args
        )
        seen = Seen(running.pid, limit, count)
        end = time.monotonic() + RUN_S
        calm_since: float | None = None
        calm_samples = 0
        pending: channel.Peer | None = None  # let out, its end not read yet
        before: frozenset[int] = frozenset()
        children: frozenset[int] = frozenset()
        last_change = time.monotonic()
        finished = False
        while time.monotonic() < end and seen.gate is None:
            finished = running.finished()
            for said in judge.new_lines():  # a peer's first line says who it is
                if not said.first or said.peer in seen.holders:
                    continue
                if said.text != DONE:
                    seen.holders.append(said.peer)
                elif seen.gate is None and said.peer.pid == seen.caller:
                    seen.gate = probe.children(seen.caller, probe.subtree([seen.caller]))
                    said.peer.answer("ok")
            inside = [p for p in judge.peers if p in seen.holders and not p.ended]
            now = time.monotonic()
            ids = frozenset(id(p) for p in inside)
            if ids != before:
                before, last_change, calm_since, calm_samples = ids, now, None, 0
            if len(inside) > seen.peak:
                seen.peak, seen.peak_pids = len(inside), [p.pid for p in inside]
            if pending is not None and pending.ended:
                pending = None
            if pending is not None or seen.gate is not None:
                continue
            calm, kids = _calm(seen.caller, {p.pid for p in inside})
            if kids != children:  # a process started or ended: something is still moving
                children, last_change = kids, now
            if calm:
                calm_since = now if calm_since is None else calm_since
                calm_samples += 1
            else:
                calm_since, calm_samples = None, 0
            settled = calm_since is not None and calm_samples >= SETTLE_SAMPLES
            settled = settled and now - calm_since >= SETTLE_S
            left = max(0, count - sum(1 for p in seen.holders if p.ended))
            if not inside:
                if finished:
                    break
                if settled and left and now - last_change > HOLD_S:
                    seen.stuck = left  # nobody inside, everybody waiting: a permit was lost
                    break
                continue
            if settled:
                if seen.full is None:
                    seen.full = len(inside)
                elif len(inside) < min(limit, left) and seen.short is None:
                    seen.short = (len(inside), left)
            elif now - last_change <= HOLD_S:
                continue
            pending = inside[0]  # the oldest one inside goes out
            if raise_first and seen.raised is None:
                seen.raised = pending.line.removeprefix("in ")
                pending.answer(RAISE)
            else:
                pending.answer(GO)
            calm_since, calm_samples, last_change = None, 0, now
        if seen.gate is not None or finished:
            running.wait(RUN_S / 2)
            seen.outcome = running.stop(grace=0.5)
        else:
            seen.outcome = running.time_out()
        return seen


def _problem_first(seen: Seen) -> Outcome:
    """A stub, a missing name, a crash, a hang: nothing else to judge."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None and (outcome.error.todo or not seen.holders):
        raise outcome.as_problem()
    if outcome.timed_out and not seen.holders:
        raise outcome.as_problem()
    return outcome


def _stderr(outcome: Outcome) -> str:
    text = outcome.stderr.text.strip()
    return f"\n--- stderr ---\n{text[-1200:]}" if text else ""


# -- Part 1 ------------------------------------------------------------------------------------


def _watch_limited(student, limit: int = 3, count: int = 7) -> tuple[Seen, list[str]]:
    words = ["apple", "brick", "cedar", "delta", "ember", "flint", "grove", "hazel", "iris"]
    items = [f"{w}-{secrets.token_hex(2)}" for w in random.sample(words, count)]
    label = f"run_limited(task, {items!r}, {limit})"
    seen = _watch(student, label, _limited_scenario, (items, limit), limit, count, True)
    return seen, items


def _check_workers(seen: Seen, items: list[str]) -> Outcome:
    """Every item went through the section once, each in a child of the caller of its own."""
    outcome = _problem_first(seen)
    found = seen.items_seen()
    if not seen.holders:
        fail(
            en=f"task(item) was never called: run_limited calls task(item) once per item, in a "
            f"Process of its own.{_stderr(outcome)} {P1_EN}",
            zh=f"task(item) 一次也没有被调用：run_limited 要为每个元素在一个单独的 Process 里调用"
            f"一次 task(item)。{_stderr(outcome)}{P1_ZH}",
        )
    in_caller = [p for p in seen.holders if p.pid == seen.caller]
    if in_caller:
        fail(
            en=f"task() ran in the caller itself (pid {seen.caller}), not in a child process: "
            "each item needs a multiprocessing.Process of its own, started with start() (no "
            f"threads, no direct call) {P1_EN}.",
            zh=f"task() 是在调用者自己（pid {seen.caller}）里运行的，而不是在子进程里："
            "每个元素都要有自己的 multiprocessing.Process，用 start() 启动"
            f"（不要用线程，也不要直接调用）{P1_ZH}。",
        )
    for item in items:
        peers = found.get(item, [])
        if len(peers) != 1:
            fail(
                en=f"task({item!r}) was called {len(peers)} time(s), not once (the judge heard "
                f"from {sorted(found)}){_stderr(outcome)} {P1_EN}",
                zh=f"task({item!r}) 被调用了 {len(peers)} 次，而不是 1 次（评测程序收到的是 "
                f"{sorted(found)}）{_stderr(outcome)}{P1_ZH}",
            )
        row = peers[0].row
        check(
            row is not None and row.ppid == seen.caller,
            en=f"task({item!r}) ran in pid {peers[0].pid}, which is not a child of the caller "
            f"(pid {seen.caller}) {P1_EN}.",
            zh=f"task({item!r}) 运行在 pid {peers[0].pid} 里，它不是调用者（pid {seen.caller}）"
            f"的子进程{P1_ZH}。",
        )
    extra = sorted(set(found) - set(items))
    check(
        not extra,
        en=f"task() was called with items that are not in the list: {extra} {P1_EN}.",
        zh=f"task() 收到了列表里没有的元素：{extra}{P1_ZH}。",
    )
    pids = [p.pid for p in seen.holders]
    check(
        len(set(pids)) == len(pids),
        en=f"several items ran in the same process (pids {pids}): one Process per item {P1_EN}.",
        zh=f"好几个元素运行在同一个进程里（pid：{pids}）：每个元素一个 Process{P1_ZH}。",
    )
    return outcome


@pytest.mark.points(2)
def test_every_item_runs_in_a_child_of_its_own(student):
    seen, items = _watch_limited(student, limit=2, count=5)
    _check_workers(seen, items)


@pytest.mark.points(3)
def test_never_more_than_limit_inside(student):
    seen, items = _watch_limited(student)
    _check_workers(seen, items)
    check(
        seen.peak <= seen.limit,
        en=f"the judge counted {seen.peak} processes inside task() at the same moment (pids "
        f"{seen.peak_pids}), with limit = {seen.limit}. Create ONE Semaphore(limit) in "
        "run_limited, before the processes, pass it to every Process, and hold it around "
        "task(item): `with seats: task(item)`. A semaphore created inside each worker is a "
        "different one per worker, and a permit given back twice lets one more in "
        f"{P1_EN}.",
        zh=f"评测程序数到同一时刻有 {seen.peak} 个进程在 task() 里（pid：{seen.peak_pids}），"
        f"而 limit = {seen.limit}。要在 run_limited 里、创建进程之前只创建一个 Semaphore(limit)，"
        "把它传给每个 Process，并且只在 task(item) 外面持有它：`with seats: task(item)`。"
        "在每个工作进程里各建一个信号量，等于每人一个，什么也限制不了；一个许可还两次，"
        f"就会多放一个进程进来{P1_ZH}。",
    )


@pytest.mark.points(3)
def test_limit_workers_inside_at_once(student):
    seen, items = _watch_limited(student)
    _check_workers(seen, items)
    if seen.full is None:
        fail(
            en="the judge never saw the workers settle: every worker that is not inside "
            "task() should be blocked waiting for a permit, and the caller blocked in join() "
            f"(no busy loop) {P1_EN}.",
            zh="评测程序始终没有等到各进程安定下来：没进 task() 的工作进程应当阻塞在等待许可上，"
            f"调用者应当阻塞在 join() 里（不要忙等循环）{P1_ZH}。",
        )
    one_en = one_zh = ""
    if seen.full == 1:
        one_en = "One at a time means a Lock, Semaphore(1), or join() right after start(). "
        one_zh = "一次只放一个，说明用了 Lock、Semaphore(1)，或者 start() 之后紧接着 join()。"
    check(
        seen.full >= seen.limit,
        en=f"{seen.count} workers were started with limit = {seen.limit}, yet only {seen.full} "
        f"were inside task() while all the others waited: the section is over-serialised. "
        f"{one_en}"
        f"Use Semaphore(limit), start every process first, then join them all {P1_EN}.",
        zh=f"启动了 {seen.count} 个工作进程，limit = {seen.limit}，可其余进程都在等待时只有 "
        f"{seen.full} 个在 task() 里：临界区被过度串行化了。"
        f"{one_zh}"
        f"要用 Semaphore(limit)，先把所有进程都 start()，再逐个 join(){P1_ZH}。",
    )


@pytest.mark.points(2)
def test_a_failing_task_gives_back_its_permit(student):
    seen, items = _watch_limited(student, limit=2, count=5)
    outcome = _check_workers(seen, items)
    check(
        seen.raised is not None,
        en=f"the judge never got to let a worker out of task() {P1_EN}.{_stderr(outcome)}",
        zh=f"评测程序一直没能让任何工作进程离开 task(){P1_ZH}。{_stderr(outcome)}",
    )
    lost_en = (
        f"the task of {seen.raised!r} raised, and afterwards the section never again held "
        f"{seen.limit} workers"
    )
    lost_zh = f"{seen.raised!r} 的任务抛出异常之后，临界区里再也没有同时出现过 {seen.limit} 个进程"
    if seen.stuck is not None:
        fail(
            en=f"{lost_en}: the run stood still with nobody inside and {seen.stuck} task(s) "
            "waiting. A worker whose task raises must still release its permit: "
            f"`with seats: task(item)` (or try/finally) {P1_EN}.",
            zh=f"{lost_zh}：运行停住了，临界区里一个进程也没有，还有 {seen.stuck} 个任务在等。"
            "任务抛出异常的工作进程也必须归还许可：`with seats: task(item)`（或 try/finally）"
            f"{P1_ZH}。",
        )
    if seen.short is not None:
        inside, left = seen.short
        fail(
            en=f"{lost_en}: only {inside} were inside while {left} task(s) were left and the "
            "others waited. Its permit was never given back: release it however task() ends, "
            f"with `with seats: task(item)` or try/finally {P1_EN}.",
            zh=f"{lost_zh}：还剩 {left} 个任务、其余进程都在等待时，临界区里只有 {inside} 个。"
            "那个许可再也没有还回来：不管 task() 怎样结束都要释放许可，用 "
            f"`with seats: task(item)` 或 try/finally{P1_ZH}。",
        )


@pytest.mark.points(2)
def test_exit_codes_come_from_the_workers(student):
    seen, items = _watch_limited(student, limit=2, count=5)
    outcome = _check_workers(seen, items)
    value = outcome.value_or_raise()
    expected = [1 if item == seen.raised else 0 for item in items]
    check(
        value == expected,
        en=f"run_limited returned {value!r}; the judge expected {expected}: the exit codes "
        f"of the processes, in the order of items, read after join() (the task of "
        f"{seen.raised!r} raised, so its process ended with 1) {P1_EN}.",
        zh=f"run_limited 返回了 {value!r}；评测程序期望的是 {expected}：各进程的退出码，按 items "
        f"的顺序，在 join() 之后读取（{seen.raised!r} 的任务抛出了异常，所以它的进程退出码是 1）"
        f"{P1_ZH}。",
    )
    check(
        seen.gate is not None and not seen.gate,
        en="when run_limited returned, the caller still had children: "
        f"{probe.describe_all(seen.gate or [])}: join() every process {P1_EN}.",
        zh=f"run_limited 返回时，调用者还有子进程：{probe.describe_all(seen.gate or [])}："
        f"每个进程都要 join(){P1_ZH}。",
    )


# -- Part 2 ------------------------------------------------------------------------------------


def _watch_permits(student, extra: bool, limit: int = 2, workers: int = 4) -> Seen:
    label = f"permits({limit})" + (" and one release() too many" if extra else "")
    args = (limit, workers, extra)
    seen = _watch(student, label, _permits_scenario, args, limit, workers, False)
    outcome = _problem_first(seen)
    if len(seen.holders) < workers:
        fail(
            en=f"{workers} processes shared permits({limit}) with `with seats:`, and only "
            f"{len(seen.holders)} of them got in. permits(limit) returns a semaphore shared "
            f"by processes that lets `limit` of them in at once.{_stderr(outcome)} {P2_EN}",
            zh=f"{workers} 个进程用 `with seats:` 共用 permits({limit})，只有 {len(seen.holders)} "
            f"个进去了。permits(limit) 应当返回一个多进程共享、同时放 limit 个进程进去的信号量。"
            f"{_stderr(outcome)}{P2_ZH}",
        )
    return seen


@pytest.mark.points(2)
def test_permits_hold_limit_processes(student):
    seen = _watch_permits(student, extra=False)
    check(
        seen.peak <= seen.limit,
        en=f"with permits({seen.limit}), the judge counted {seen.peak} processes inside at "
        "once. The semaphore must be a multiprocessing one: a threading semaphore is copied "
        f"into every child by fork, and each copy lets everybody in {P2_EN}.",
        zh=f"用 permits({seen.limit}) 时，评测程序数到同一时刻有 {seen.peak} 个进程在里面。"
        "这个信号量必须来自 multiprocessing：threading 的信号量在 fork 时会被复制到每个子进程，"
        f"每份副本都会把所有人放进去{P2_ZH}。",
    )
    check(
        seen.full is not None and seen.full >= seen.limit,
        en=f"with permits({seen.limit}) and {seen.count} processes waiting, only "
        f"{seen.full} got in at once: create the semaphore with `limit` permits {P2_EN}.",
        zh=f"用 permits({seen.limit})、有 {seen.count} 个进程在等时，同时只进去了 {seen.full} "
        f"个：信号量的初始值应当是 limit{P2_ZH}。",
    )


@pytest.mark.points(2)
def test_an_extra_release_is_refused(student):
    seen = _watch_permits(student, extra=True)
    outcome = seen.outcome
    assert outcome is not None
    check(
        seen.peak <= seen.limit,
        en=f"release() was called once on a fresh permits({seen.limit}) with nothing acquired"
        f"{' and did not raise' if outcome.value is False else ''}; then the judge counted "
        f"{seen.peak} processes inside at once. A plain Semaphore counts the extra release "
        f"as one more permit for ever. multiprocessing.BoundedSemaphore(limit) raises "
        f"ValueError instead: the bug shows where it is made {P2_EN}.",
        zh=f"对一个刚创建、还没有 acquire 过的 permits({seen.limit}) 调用了一次 release()"
        f"{'，没有报错' if outcome.value is False else ''}；之后评测程序数到同一时刻有 "
        f"{seen.peak} 个进程在里面。普通的 Semaphore 会把多出来的这次 release 永久地算成一个"
        "新许可。multiprocessing.BoundedSemaphore(limit) 则会抛出 ValueError：错误在哪里"
        f"犯下，就在哪里暴露{P2_ZH}。",
    )
    refused = outcome.value_or_raise()
    check(
        refused is True,
        en=f"release() was called once on a fresh permits({seen.limit}), with nothing "
        "acquired, and it did not raise ValueError: the extra release was quietly counted as "
        f"one more permit. The section still held at most {seen.limit}, perhaps because the "
        "semaphore started with one permit fewer: that only hides the bug. permits(limit) "
        "must refuse the release: return multiprocessing.BoundedSemaphore(limit), whose "
        f"release() beyond its initial value raises ValueError {P2_EN}.",
        zh=f"对一个刚创建、还没有 acquire 过的 permits({seen.limit}) 调用了一次 release()，"
        "它却没有抛出 ValueError：多出来的这次 release 被悄悄算成了一个新许可。临界区里仍然最多"
        f"只有 {seen.limit} 个，也许是因为信号量一开始就少给了一个许可：这只是把 bug 藏了起来。"
        "permits(limit) 必须拒绝这次释放：返回 multiprocessing.BoundedSemaphore(limit)，"
        f"它的 release() 超过初始值时会抛出 ValueError{P2_ZH}。",
    )
