"""Spec for exercise 10 — Queue. Run it with `grader check queues`.

The judge observes; the sandbox only acts. The ``source`` and ``sink`` the student's code is
given are trusted functions of this file, and each of them talks to the judge (this test
process) over a ``channel`` the judge holds:

* every item comes from the judge: a producer's ``source(k)`` asks the judge for its next
  item and the judge answers with a value drawn at random for this run (a few are falsy:
  ``0`` and ``""``). An item can reach ``sink`` only if it travelled from the producer that
  received it; the judge keeps the list of what it handed out;
* every ``sink(item)`` tells the judge the item on a connection whose process the kernel
  names (``SO_PEERCRED``): the judge knows which process consumed what, and which produced
  what, and reads their parents in the process table. It can hold a consumer in ``sink``
  (by not answering) and pause a producer (by not handing out its next item);
* with every consumer held, a bounded queue fills up and the producers block in ``put``:
  the judge counts the items it handed out and not yet saw consumed (exactly
  ``maxsize + producers`` for a queue of ``maxsize``), and reads from
  ``/proc/<pid>/task/*/schedstat`` how long each producer was running or waiting to run
  while nothing moved (a busy loop is, however loaded the machine; a blocked ``put`` is not);
* the judge pauses the producers while the queue is empty: a consumer that stops because the
  queue *looked* empty ends there, and the judge sees its connection end;
* "done": the scenario tells the judge when the student's function returned, and waits while
  the judge reads the caller's children (nothing left running, no zombie). Part 2 times the
  return on the judge's clock, from the moment it handed out the last item.

No count, pid or time a sandbox process reports about itself is evidence. Nothing waits with
a sleep: the judge polls its channel with deadlines.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from grader.spec import Outcome, channel, check, fail, probe

P1_EN = "(README: 'Part 1 — producers and consumers')"
P1_ZH = "（README.zh-CN:「第一部分：生产者与消费者」）"
FULL_EN = "(README: 'A bounded queue')"
FULL_ZH = "（README.zh-CN:「有界队列」）"
STOP_EN = "(README: 'Sentinels')"
STOP_ZH = "（README.zh-CN:「哨兵」）"
P2_EN = "(README: 'Part 2 — waiting with a timeout')"
P2_ZH = "（README.zh-CN:「第二部分：带超时的等待」）"

ANSWER_S = 20.0  # the longest a source or sink waits for the judge (the judge answers)
FILL_S = 4.0  # the longest the judge waits for the queue to fill while consumers are held
QUIET_S = 0.1  # the queue counts as full once nothing moved for this long at the full count
WINDOW_S = 0.25  # how long the judge watches the blocked producers
PAUSE_S = 0.5  # how long the queue stays empty while the judge pauses the producers
STALL_S = 3.0  # nothing moved for this long after the last item: the run is stuck
RUN_S = 10.0  # the longest the judge watches one run
TIMEOUT_S = 0.4  # Part 2: the timeout given when the producer stalls
LATE_S = 2.5  # ... how long past it collect() may take to return
QUICK_TIMEOUT_S = 4.0  # Part 2: the timeout given when collect() must not wait for it
QUICK_S = 2.0  # ... how soon it must return after its last item


# -- the sandbox side: trusted code that only acts ---------------------------------------------


def _source(address: str, k: int) -> Any:
    """source(k): the items the judge hands producer k, one request each, until it says end."""
    with channel.connect(address, f"source {k}", ANSWER_S) as conn:
        while True:
            line = channel.read_line(conn)
            if not line:
                return
            yield json.loads(line)
            conn.sendall(b"next\n")


_sinks: dict[int, Any] = {}  # this process's connection to the judge, by pid (forks: new one)


def _sink(address: str, item: object) -> None:
    """sink(item): tell the judge, and wait until it says go on."""
    pid = os.getpid()
    conn = _sinks.get(pid)
    if conn is None:
        conn = _sinks[pid] = channel.connect(address, "sink", ANSWER_S)
    conn.sendall(json.dumps(item, default=repr).encode() + b"\n")
    channel.read_line(conn)


def _pipeline_scenario(
    module: ModuleType, address: str, producers: int, consumers: int, maxsize: int
) -> object:
    source = functools.partial(_source, address)
    sink = functools.partial(_sink, address)
    value = module.run_pipeline(source, sink, producers, consumers, maxsize)
    channel.talk(address, "done", ANSWER_S)
    return value


def _collect_source(address: str) -> Any:
    return _source(address, 0)


def _collect_scenario(module: ModuleType, address: str, count: int, timeout: float) -> object:
    value = module.collect(functools.partial(_collect_source, address), count, timeout)
    channel.talk(address, "done", ANSWER_S)
    return value


# -- the judge's side ---------------------------------------------------------------------------


def _busy_s(pid: int) -> float | None:
    """Seconds every thread of ``pid`` has been running or waiting to run (schedstat)."""
    total = 0.0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        for tid in tasks:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                on_cpu, queued, _ = f.read().split()
            total += (int(on_cpu) + int(queued)) / 1e9
    except (OSError, ValueError):
        return None
    return total


@dataclass
class Full:
    """The queue as the judge found it with every consumer held."""

    waiting: int  # items handed out and not seen in sink
    consumers_held: int
    busy: dict[int, float] = field(default_factory=dict)  # producer pid -> running or queued
    window: float = 0.0


@dataclass
class Seen:
    """Everything the judge saw of one run of run_pipeline."""

    caller: int
    plan: list[list[object]]  # the items of each producer, in order
    consumers: int
    maxsize: int
    sources: dict[int, channel.Peer] = field(default_factory=dict)  # k -> its connection
    strays: list[channel.Peer] = field(default_factory=list)  # a second source(k), odd lines
    handed: dict[int, int] = field(default_factory=dict)  # k -> items handed out so far
    ended: set[int] = field(default_factory=set)  # the k told "no more"
    issued: list[str] = field(default_factory=list)  # every item handed out (JSON)
    sinks: dict[int, channel.Peer] = field(default_factory=dict)  # pid -> its connection
    consumed: list[tuple[str, int]] = field(default_factory=list)  # (item JSON, pid)
    full: Full | None = None
    early: list[int] = field(default_factory=list)  # consumers that ended before the last item
    done_children: list[probe.Proc] | None = None  # the caller's children when it returned
    outcome: Outcome | None = None

    def producer_pids(self) -> set[int]:
        return {peer.pid for peer in self.sources.values()}

    def waiting(self) -> int:
        return len(self.issued) - len(self.consumed)


def _plan(counts: list[int]) -> list[list[object]]:
    """Items for each producer: random tokens, with one 0 and one "" among them."""
    plan: list[list[object]] = [
        [f"p{k}-{i}-{secrets.token_hex(3)}" for i in range(n)] for k, n in enumerate(counts)
    ]
    plan[-1][-3] = 0
    plan[0][-2] = ""
    return plan


class _Judge:
    """Runs the protocol of one run: hands out items, holds and releases consumers."""

    def __init__(self, seen: Seen, judge: channel.Channel) -> None:
        self.seen = seen
        self.judge = judge
        self.pending: list[channel.Peer] = []  # sources waiting for an item
        self.held: list[channel.Peer] = []  # sinks waiting for the judge's go
        self.hold_sinks = True
        self.paused = False  # hand out nothing until the consumers waited PAUSE_S for items
        self.last_move = time.monotonic()

    def all_handed(self) -> bool:
        return all(k in self.seen.ended for k in range(len(self.seen.plan)))

    def step(self, wait: float = channel.POLL_S) -> bool:
        """One poll; True once the caller said done."""
        done = False
        for said in self.judge.new_lines(wait):
            peer, line = said.peer, said.text
            first = said.first  # its first line, not a repeat of it
            if first and line == "done" and peer.pid == self.seen.caller:
                self.seen.done_children = probe.children(self.seen.caller)
                peer.answer("ok")
                done = True
            elif first and line.startswith("source "):
                self._new_source(peer, line)
            elif first and line == "sink":
                self.seen.sinks.setdefault(peer.pid, peer)
            elif line == "next" and peer in self.seen.sources.values():
                self.pending.append(peer)
            elif not first and peer.line == "sink":
                self.seen.consumed.append((line, peer.pid))
                self.last_move = time.monotonic()
                if self.hold_sinks:
                    self.held.append(peer)
                else:
                    peer.answer("ok")
        if not self.all_handed():  # a consumer that ended while items were still to come
            for peer in self.judge.peers:
                if peer.ended and peer.line == "sink" and peer.pid not in self.seen.early:
                    self.seen.early.append(peer.pid)
        if self.paused and time.monotonic() - self.last_move >= PAUSE_S:
            self.paused = False  # the queue has been empty, the consumers idle, for PAUSE_S
        if not self.paused:
            while self.pending:
                self._hand(self.pending.pop(0))
        return done

    def _new_source(self, peer: channel.Peer, line: str) -> None:
        try:
            k = int(line.split()[1])
        except (IndexError, ValueError):
            k = -1
        if k not in range(len(self.seen.plan)) or k in self.seen.sources:
            self.seen.strays.append(peer)
            peer.answer("")
            return
        self.seen.sources[k] = peer
        self.pending.append(peer)

    def _hand(self, peer: channel.Peer) -> None:
        k = next(k for k, p in self.seen.sources.items() if p is peer)
        i = self.seen.handed.get(k, 0)
        items = self.seen.plan[k]
        if i < len(items):
            text = json.dumps(items[i])
            self.seen.issued.append(text)
            self.seen.handed[k] = i + 1
            peer.answer(text)
        else:
            self.seen.ended.add(k)
            peer.answer("")
        self.last_move = time.monotonic()

    def release(self) -> None:
        self.hold_sinks = False
        self.last_move = time.monotonic()
        for peer in self.held:
            peer.answer("ok")
        self.held.clear()


def _watch_pipeline(
    student: Any,
    counts: list[int],
    consumers: int,
    maxsize: int,
    window: bool = False,
    pause: bool = False,
) -> Seen:
    producers = len(counts)
    label = (
        f"run_pipeline(source, sink, producers={producers}, consumers={consumers}, "
        f"maxsize={maxsize})"
    )
    with channel.Channel("10") as judge:
        running = student.options(label=label).start_scenario(
            _pipeline_scenario, judge.address, producers, consumers, maxsize
        )
        seen = Seen(running.pid, _plan(counts), consumers, maxsize)
        j = _Judge(seen, judge)
        began = time.monotonic()
        done = False
        full_count = maxsize + producers
        # 1. Every consumer is held in sink: the queue fills, the producers block in put.
        while not done and time.monotonic() - began < FILL_S:
            finished = running.finished()
            done = j.step()
            quiet = time.monotonic() - j.last_move >= QUIET_S
            if quiet and len(j.held) >= consumers and seen.waiting() >= full_count:
                break
            if quiet and j.all_handed():
                break
            if finished:
                break
        if not done and not running.finished():
            full = Full(seen.waiting(), len(j.held))  # consumed counts the held items
            if window:  # watch the producers while nothing can move
                before = {pid: _busy_s(pid) for pid in seen.producer_pids()}
                start = time.monotonic()
                while time.monotonic() - start < WINDOW_S and not done:
                    done = j.step(min(0.02, WINDOW_S))
                full.window = time.monotonic() - start
                for pid, was in before.items():
                    now = _busy_s(pid)
                    if was is not None and now is not None:
                        full.busy[pid] = now - was
                full.waiting = seen.waiting()
            seen.full = full
        # 2. Let the consumers go; pause the producers once the queue is empty.
        # The pause lasts until no item was consumed for PAUSE_S: by then the consumers have
        # drained the queue and waited that long in get(), however slow the machine.
        j.paused = pause
        j.release()
        while not done and time.monotonic() - began < RUN_S:
            finished = running.finished()
            done = j.step()
            if finished or time.monotonic() - j.last_move > STALL_S:
                break
        if done:
            running.wait(RUN_S / 2)
        seen.outcome = running.stop(grace=0.5)
    return seen


def _problem_first(seen: Seen) -> None:
    """A stub, a missing name, an import error: nothing else to judge."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None and (outcome.error.todo or outcome.error.import_failed):
        raise outcome.as_problem()


def _show(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _check_roles(seen: Seen) -> None:
    """Each source(k) iterated in a child of its own; sinks in other children."""
    _problem_first(seen)
    outcome = seen.outcome
    assert outcome is not None
    producers = len(seen.plan)
    if not seen.sources:
        if outcome.error is not None or not outcome.returned:
            raise outcome.as_problem()
        fail(
            en=f"run_pipeline returned, but no producer ever took an item from source(k): "
            f"start {producers} producer processes, producer k putting every item of source(k) "
            f"into the queue {P1_EN}.",
            zh=f"run_pipeline 返回了，但没有任何生产者从 source(k) 取过数据：要启动 {producers} "
            f"个生产者进程，第 k 个把 source(k) 的每一项都 put 进队列{P1_ZH}。",
        )
    missing = [k for k in range(producers) if k not in seen.sources]
    check(
        not missing,
        en=f"source(k) was never iterated for k = {missing}: with producers={producers}, "
        f"producer k iterates source(k) for every k in range({producers}) {P1_EN}.",
        zh=f"k = {missing} 的 source(k) 从来没有被遍历过：producers={producers} 时，"
        f"第 k 个生产者遍历 source(k)，k 取遍 range({producers}){P1_ZH}。",
    )
    check(
        not seen.strays,
        en=f"source(k) was iterated twice for the same k, or with a k outside "
        f"range({producers}) (pids {[p.pid for p in seen.strays]}): each producer iterates "
        f"its own source(k) once {P1_EN}.",
        zh=f"同一个 k 的 source(k) 被遍历了两次，或者 k 超出了 range({producers})（pid "
        f"{[p.pid for p in seen.strays]}）：每个生产者只遍历一次自己的 source(k){P1_ZH}。",
    )
    for k, peer in sorted(seen.sources.items()):
        row = peer.row
        check(
            peer.pid != seen.caller and row is not None and row.ppid == seen.caller,
            en=f"source({k}) was iterated in pid {peer.pid}"
            f"{' — the caller itself' if peer.pid == seen.caller else ''}, not in a child "
            f"process of the caller (pid {seen.caller}): start each producer with "
            f"Process(target=..., args=(q, source, k)).start() and iterate source(k) there "
            f"{P1_EN}.",
            zh=f"source({k}) 是在 pid {peer.pid}"
            f"{'（也就是调用者自己）' if peer.pid == seen.caller else ''}里遍历的，而不是在调用者"
            f"（pid {seen.caller}）的子进程里：每个生产者用 Process(target=..., "
            f"args=(q, source, k)).start() 启动，在子进程里遍历 source(k){P1_ZH}。",
        )
    pids = [peer.pid for peer in seen.sources.values()]
    check(
        len(set(pids)) == len(pids),
        en=f"the sources were iterated in the processes {pids}: one producer process per k, "
        f"each iterating only its own source(k) {P1_EN}.",
        zh=f"这些 source 是在进程 {pids} 里遍历的：每个 k 一个生产者进程，各自只遍历自己的 "
        f"source(k){P1_ZH}。",
    )
    if not seen.sinks:
        fail(
            en=f"sink() was never called, though the producers took {len(seen.issued)} "
            f"item(s): start {seen.consumers} consumer processes that get the items from the "
            f"queue and call sink(item) for each, until their sentinels. A consumer that stops "
            f"when the queue looks empty (q.empty(), qsize(), a get timeout) may end before the "
            f"first item arrives {STOP_EN}. {P1_EN}",
            zh=f"生产者已经取了 {len(seen.issued)} 项数据，可 sink() 一次也没有被调用：要启动 "
            f"{seen.consumers} 个消费者进程，从队列里 get 数据，每一项调用一次 sink(item)，"
            f"直到拿到哨兵。队列看上去空了就停下的消费者（用 q.empty()、qsize() 或者 get 超时"
            f"来判断）可能在第一项数据到达之前就结束了{STOP_ZH}。{P1_ZH}",
        )
    for pid, peer in sorted(seen.sinks.items()):
        row = peer.row
        if pid in seen.producer_pids():
            fail(
                en=f"sink() was called in pid {pid}, the producer that iterated the source: "
                f"the items never went through a queue. Producers put the items into one "
                f"multiprocessing.Queue; separate consumer processes get them from it and call "
                f"sink {P1_EN}.",
                zh=f"sink() 是在 pid {pid} 里调用的，也就是遍历 source 的那个生产者：数据根本"
                f"没有经过队列。生产者把数据 put 进同一个 multiprocessing.Queue，另外的消费者"
                f"进程从里面 get 出来再调用 sink{P1_ZH}。",
            )
        check(
            pid != seen.caller and row is not None and row.ppid == seen.caller,
            en=f"sink() was called in pid {pid}"
            f"{' — the caller itself' if pid == seen.caller else ''}, not in a child process "
            f"of the caller (pid {seen.caller}): the consumers are processes of their own, "
            f"not the caller and not threads {P1_EN}.",
            zh=f"sink() 是在 pid {pid}{'（也就是调用者自己）' if pid == seen.caller else ''}"
            f"里调用的，而不是在调用者（pid {seen.caller}）的子进程里：消费者是独立的进程，"
            f"不是调用者，也不是线程{P1_ZH}。",
        )
    check(
        len(seen.sinks) == seen.consumers,
        en=f"sink() was called from {len(seen.sinks)} process(es) (pids {sorted(seen.sinks)}), "
        f"not from {seen.consumers}: with consumers={seen.consumers}, start exactly "
        f"{seen.consumers} consumer processes, each taking items until its sentinel. (While "
        f"the consumers are held in sink, each holds one item, so every one of them gets one. "
        f"A consumer that stops when the queue looks empty — q.empty(), qsize(), a get "
        f"timeout — may end before the first item arrives {STOP_EN}.) {P1_EN}",
        zh=f"sink() 是从 {len(seen.sinks)} 个进程（pid {sorted(seen.sinks)}）里调用的，而不是 "
        f"{seen.consumers} 个：consumers={seen.consumers} 时，要恰好启动 {seen.consumers} 个"
        f"消费者进程，每个一直取数据，直到拿到自己的哨兵。（评测程序会把消费者卡在 sink 里，"
        f"每个消费者手里各压着一项，所以每个消费者都一定能拿到数据。队列看上去空了就停下的"
        f"消费者——用 q.empty()、qsize() 或者 get 超时来判断——可能在第一项数据到达之前就"
        f"结束了{STOP_ZH}。）{P1_ZH}",
    )


def _check_every_item(seen: Seen) -> None:
    """Nothing lost, nothing duplicated, nothing invented."""
    counts: dict[str, int] = {}
    for item, _ in seen.consumed:
        counts[item] = counts.get(item, 0) + 1
    issued = set(seen.issued)
    invented = [item for item in counts if item not in issued]
    check(
        not invented,
        en=f"sink() received {', '.join(_show(i) for i in invented[:3])}, which no source "
        f"ever produced: only real items go to sink — the sentinel is for the consumer "
        f"itself, it is never passed on {P1_EN}.",
        zh=f"sink() 收到了 {', '.join(_show(i) for i in invented[:3])}，可没有任何 source "
        f"产生过它：只有真正的数据才交给 sink——哨兵是给消费者自己看的，不要把它传下去"
        f"{P1_ZH}。",
    )
    twice = [item for item, n in counts.items() if n > 1]
    check(
        not twice,
        en=f"{len(twice)} item(s) reached sink() more than once (e.g. "
        f"{_show(twice[0]) if twice else ''}): each item is put into the queue once, and a "
        f"get() hands it to exactly one consumer {P1_EN}.",
        zh=f"有 {len(twice)} 项数据不止一次到达 sink()（例如 "
        f"{_show(twice[0]) if twice else ''}）：每项数据只 put 一次，一次 get() 只会把它交给"
        f"一个消费者{P1_ZH}。",
    )
    unread = [k for k, items in enumerate(seen.plan) if k not in seen.ended]
    lost = [item for item in seen.issued if item not in counts]
    if lost or unread:
        falsy = [item for item in lost if item in ("0", '""')]
        why_en = why_zh = ""
        if falsy:
            why_en += (
                f" Among them the falsy item(s) {', '.join(falsy)}: a consumer that stops on "
                "`if not item` takes a real item for the sentinel. Compare with the sentinel "
                "itself: `if item is None`."
            )
            why_zh += (
                f"其中有假值数据 {', '.join(falsy)}：用 `if not item` 判断结束的消费者，会把"
                "真正的数据当成哨兵。要和哨兵本身比较：`if item is None`。"
            )
        if seen.early:
            why_en += (
                f" The consumer(s) {seen.early} ended while the producers still had items: a "
                "consumer stops only at its sentinel, never because the queue looked empty "
                f"{STOP_EN}."
            )
            why_zh += (
                f"消费者 {seen.early} 在生产者还有数据的时候就结束了：消费者只有拿到哨兵才能停，"
                f"不能因为队列看上去空了就停{STOP_ZH}。"
            )
        if unread:
            why_en += (
                f" source(k) was not iterated to its end for k = {unread} (the producers were "
                "stuck, or stopped early)."
            )
            why_zh += f"k = {unread} 的 source(k) 没有被遍历到底（生产者卡住了，或者提前停了）。"
        fail(
            en=f"{len(lost)} of the {len(seen.issued)} items the producers took never reached "
            f"sink() (e.g. {', '.join(_show(i) for i in lost[:3]) or 'none'}).{why_en} Every "
            f"item put into the queue must be consumed: put() waits while the queue is full "
            f"instead of dropping the item, and each consumer takes items until its own "
            f"sentinel {P1_EN}.",
            zh=f"生产者取走的 {len(seen.issued)} 项数据里，有 {len(lost)} 项始终没有到达 sink()"
            f"（例如 {', '.join(_show(i) for i in lost[:3]) or '无'}）。{why_zh}put 进队列的"
            f"每一项都必须被消费：队列满时 put() 要等待，而不是把数据丢掉；每个消费者一直取，"
            f"直到拿到自己的哨兵{P1_ZH}。",
        )


def _check_returned(seen: Seen, section: tuple[str, str] = (P1_EN, P1_ZH)) -> None:
    outcome = seen.outcome
    assert outcome is not None
    if seen.done_children is None:
        if outcome.error is not None:
            raise outcome.as_problem()
        alive = [pid for pid, peer in seen.sinks.items() if not peer.ended]
        if alive and seen.waiting() == 0:
            fail(
                en=f"every item was consumed, yet run_pipeline did not return: the consumer(s) "
                f"{alive} were still waiting in get() {STALL_S:g} s later. Each consumer stops "
                f"at the first sentinel it gets: after joining the producers, put one sentinel "
                f"per consumer ({seen.consumers} here, not one per producer), then join the "
                f"consumers {STOP_EN}.",
                zh=f"所有数据都已经消费完了，run_pipeline 却没有返回：{STALL_S:g} 秒之后，消费者 "
                f"{alive} 还在 get() 里等着。每个消费者拿到第一个哨兵就停下：join 完生产者之后，"
                f"每个消费者放一个哨兵（这里是 {seen.consumers} 个，而不是每个生产者一个），"
                f"再 join 消费者{STOP_ZH}。",
            )
        fail(
            en=f"run_pipeline did not return ({outcome.ending.value}; nothing moved for "
            f"{STALL_S:g} s): {len(seen.consumed)} of {len(seen.issued)} items handed out were "
            f"consumed, the consumers still running: {alive}. {section[0]}",
            zh=f"run_pipeline 没有返回（{outcome.ending.value}；{STALL_S:g} 秒内没有任何进展）："
            f"发出的 {len(seen.issued)} 项里有 {len(seen.consumed)} 项被消费，仍在运行的消费者："
            f"{alive}。{section[1]}",
        )


# -- Part 1 -------------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_every_item_is_consumed_exactly_once(student):
    seen = _watch_pipeline(student, [7, 11, 15], consumers=2, maxsize=3)
    _check_roles(seen)
    _check_every_item(seen)
    _check_returned(seen)


@pytest.mark.points(2)
def test_producers_and_consumers_are_processes(student):
    seen = _watch_pipeline(student, [9, 12], consumers=3, maxsize=2)
    _check_roles(seen)
    _check_every_item(seen)


@pytest.mark.points(3)
def test_put_blocks_while_the_queue_is_full(student):
    producers, consumers, maxsize = 3, 2, 4
    seen = _watch_pipeline(student, [9, 12, 10], consumers, maxsize, window=True)
    _check_roles(seen)
    full = seen.full
    if full is None:
        raise seen.outcome.as_problem()  # type: ignore[union-attr]
    want = maxsize + producers
    check(
        full.waiting <= want,
        en=f"with every consumer held in sink(), {full.waiting} items were out of the "
        f"producers' hands and not consumed: the queue did not stop them. Queue(maxsize) "
        f"holds at most maxsize items ({maxsize} here, plus one in each blocked producer's "
        f"hand: {want}); create the queue with maxsize, and let put() wait {FULL_EN}.",
        zh=f"所有消费者都被卡在 sink() 里的时候，有 {full.waiting} 项数据离开了生产者却没有被"
        f"消费：队列没有拦住生产者。Queue(maxsize) 最多存放 maxsize 项（这里是 {maxsize}，再加上"
        f"每个被阻塞的生产者手里的一项：{want}）；创建队列时要传入 maxsize，让 put() 去等待"
        f"{FULL_ZH}。",
    )
    check(
        full.waiting >= want,
        en=f"with every consumer held in sink(), the producers stopped after only "
        f"{full.waiting} items were out of their hands and not consumed, not {want}: the "
        f"queue holds maxsize = {maxsize} items (plus one in each blocked producer's hand). "
        f"Create it as Queue(maxsize), not smaller {FULL_EN}.",
        zh=f"所有消费者都被卡在 sink() 里的时候，生产者只送出了 {full.waiting} 项未被消费的"
        f"数据就停了，而不是 {want} 项：队列应能存放 maxsize = {maxsize} 项（再加上每个被阻塞的"
        f"生产者手里的一项）。要用 Queue(maxsize) 创建，不要更小{FULL_ZH}。",
    )
    spinning = {pid: s for pid, s in full.busy.items() if s > full.window / 2}
    check(
        not spinning,
        en=f"while the queue was full, the producer(s) {sorted(spinning)} kept running: in the "
        f"{full.window:.2f} s the judge watched, their threads were running or waiting to run "
        f"for up to {max(spinning.values(), default=0):.2f} s (/proc/<pid>/task/*/schedstat), "
        f"where a blocked producer sleeps. That is a busy loop "
        f"around put_nowait(), full() or put(block=False). A plain q.put(item) sleeps in the "
        f"kernel until there is room, and costs no CPU {FULL_EN}.",
        zh=f"队列满的时候，生产者 {sorted(spinning)} 一直在跑：评测程序观察的 {full.window:.2f} "
        f"秒里，它们的线程在运行或等待运行的时间多达 {max(spinning.values(), default=0):.2f} 秒"
        f"（/proc/<pid>/task/*/schedstat），而被阻塞的生产者应当在睡眠。这是围着 put_nowait()、"
        f"full() 或 "
        f"put(block=False) 的忙等循环。直接 q.put(item) 会在内核里睡眠，直到有空位，不占 CPU"
        f"{FULL_ZH}。",
    )
    _check_every_item(seen)


@pytest.mark.points(3)
def test_consumers_stop_on_sentinels(student):
    seen = _watch_pipeline(student, [8, 13], consumers=3, maxsize=2, pause=True)
    _check_roles(seen)
    check(
        not seen.early,
        en=f"the consumer(s) {seen.early} ended while the producers were still at work: the "
        f"judge had paused them for {PAUSE_S:g} s, and the queue was empty meanwhile. An empty "
        f"queue only means the producers are slow: q.empty(), q.qsize() and a get(timeout=...) "
        f"that raises queue.Empty say nothing about the end. Stop a consumer only when it gets "
        f"its sentinel {STOP_EN}.",
        zh=f"生产者还在工作，消费者 {seen.early} 就结束了：评测程序让生产者暂停了 {PAUSE_S:g} "
        f"秒，这段时间队列是空的。队列空只说明生产者慢：q.empty()、q.qsize()、抛出 queue.Empty "
        f"的 get(timeout=...) 都不能说明数据已经结束。只有拿到哨兵，消费者才能停下{STOP_ZH}。",
    )
    _check_every_item(seen)
    _check_returned(seen, (STOP_EN, STOP_ZH))
    left = seen.done_children or []
    check(
        not left,
        en=f"when run_pipeline returned, the caller still had children: "
        f"{probe.describe_all(left)}. join() every producer and every consumer before "
        f"returning {STOP_EN}.",
        zh=f"run_pipeline 返回时，调用者还有子进程：{probe.describe_all(left)}。返回之前要 "
        f"join() 每一个生产者和每一个消费者{STOP_ZH}。",
    )


# -- Part 2 -------------------------------------------------------------------------------------


@dataclass
class Collected:
    caller: int
    items: list[object]
    stall_after: int | None  # hand out this many items, then never answer again
    end_after: int | None  # hand out this many, then say "no more"
    source: channel.Peer | None = None
    handed_at: list[float] = field(default_factory=list)  # the judge's clock, per item
    end_at: float | None = None  # when the judge said "no more" (its clock)
    done_at: float | None = None  # when the judge read "done" (its clock: Said.at)
    done_children: list[probe.Proc] | None = None
    outcome: Outcome | None = None


def _watch_collect(
    student: Any, count: int, timeout: float, stall_after: int | None, end_after: int | None
) -> Collected:
    items: list[object] = [f"c{i}-{secrets.token_hex(3)}" for i in range(count + 3)]
    items[1] = 0
    label = f"collect(source, count={count}, timeout={timeout:g})"
    with channel.Channel("10c") as judge:
        running = student.options(label=label).start_scenario(
            _collect_scenario, judge.address, count, timeout
        )
        seen = Collected(running.pid, items, stall_after, end_after)
        end = time.monotonic() + RUN_S
        while time.monotonic() < end and seen.done_at is None:
            finished = running.finished()
            for said in judge.new_lines():
                peer, line = said.peer, said.text
                if line == "done" and peer.pid == seen.caller:
                    seen.done_at = said.at
                    seen.done_children = probe.children(seen.caller)
                    peer.answer("ok")
                elif line.startswith("source") and seen.source is None:
                    seen.source = peer
                elif line.startswith("source"):
                    peer.answer("")
                    continue
                if peer is not seen.source or line == "done":
                    continue
                handed = len(seen.handed_at)
                if end_after is not None and handed >= end_after:
                    peer.answer("")
                    seen.end_at = judge.now()
                elif stall_after is not None and handed >= stall_after:
                    pass  # stalled: never answered
                elif handed < len(items):
                    peer.answer(json.dumps(items[handed]))
                    seen.handed_at.append(judge.now())
            if finished:
                break
            last = seen.end_at or (seen.handed_at[-1] if seen.handed_at else None)
            if last is not None and judge.now() - last > timeout + LATE_S:
                break
        if seen.done_at is not None:
            running.wait(RUN_S / 2)
            seen.outcome = running.stop(grace=0.5)
        elif running.finished():
            seen.outcome = running.stop(grace=0.5)
        else:
            seen.outcome = running.time_out()
    return seen


def _check_collected(
    seen: Collected, count: int, timeout: float, expected: list[object], since: str
) -> float:
    """The items came from a producer process, the right ones came back; the delay of the
    return after ``since``: "end" (the judge said no more) or "last" (the last item it
    expects to be collected was handed out)."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None and (outcome.error.todo or outcome.error.import_failed):
        raise outcome.as_problem()
    if seen.source is None:
        if seen.done_at is None and outcome.error is not None:
            raise outcome.as_problem()
        fail(
            en=f"source() was never iterated: collect starts one producer process that puts "
            f"every item of source() into a Queue {P2_EN}.",
            zh=f"source() 从来没有被遍历过：collect 要启动一个生产者进程，把 source() 的每一项"
            f"都 put 进一个 Queue{P2_ZH}。",
        )
    row = seen.source.row
    check(
        seen.source.pid != seen.caller and row is not None and row.ppid == seen.caller,
        en=f"source() was iterated in pid {seen.source.pid}, not in a child process of the "
        f"caller (pid {seen.caller}): the producer is a Process of its own, and the caller "
        f"only gets items from the queue {P2_EN}.",
        zh=f"source() 是在 pid {seen.source.pid} 里遍历的，而不是在调用者（pid {seen.caller}）"
        f"的子进程里：生产者是一个独立的 Process，调用者只从队列里 get 数据{P2_ZH}。",
    )
    if since == "end":
        moment = seen.end_at
    else:
        moment = seen.handed_at[len(expected) - 1] if len(seen.handed_at) >= len(expected) else None
    if moment is None:
        if outcome.error is not None or not outcome.returned:
            raise outcome.as_problem()
        fail(
            en=f"collect(source, {count}, timeout={timeout:g}) returned {outcome.value!r} after "
            f"the producer took only {len(seen.handed_at)} item(s) from source(): the producer "
            f"puts every item of source() into the queue, and collect gets them {P2_EN}.",
            zh=f"collect(source, {count}, timeout={timeout:g}) 返回了 {outcome.value!r}，而生产者"
            f"只从 source() 取了 {len(seen.handed_at)} 项：生产者要把 source() 的每一项都 put 进"
            f"队列，collect 再把它们 get 出来{P2_ZH}。",
        )
    if seen.done_at is None:
        if outcome.error is not None:
            raise outcome.as_problem()
        fail(
            en=f"collect(source, {count}, timeout={timeout:g}) was still running "
            f"{timeout + LATE_S:g} s after the producer's last item. Wait for each item with "
            f"q.get(timeout=timeout), stop when it raises queue.Empty, then terminate() and "
            f"join() the producer: a stalled producer never ends by itself {P2_EN}.",
            zh=f"生产者给出最后一项之后过了 {timeout + LATE_S:g} 秒，collect(source, {count}, "
            f"timeout={timeout:g}) 还在运行。每一项都用 q.get(timeout=timeout) 来等，抛出 "
            f"queue.Empty 就停下，然后 terminate() 并 join() 生产者：卡住的生产者自己是不会结束的"
            f"{P2_ZH}。",
        )
    value = outcome.value_or_raise()
    got = list(value) if isinstance(value, (list, tuple)) else value
    check(
        got == expected,
        en=f"collect(source, {count}, timeout={timeout:g}) returned {got!r}; the producer got "
        f"{len(seen.handed_at)} item(s) from source(), and the answer is {expected!r}: the "
        f"items in the order they came, at most count of them, 0 included {P2_EN}.",
        zh=f"collect(source, {count}, timeout={timeout:g}) 返回了 {got!r}；生产者从 source() "
        f"拿到了 {len(seen.handed_at)} 项，正确答案是 {expected!r}：按到达的顺序，最多 count 项，0 "
        f"也算一项{P2_ZH}。",
    )
    left = [p for p in seen.done_children or [] if p.pid == seen.source.pid or p.zombie]
    check(
        not left,
        en=f"when collect returned, the producer was still there: {probe.describe_all(left)}. "
        f"terminate() it (it may be stuck in source() for ever) and join() it {P2_EN}.",
        zh=f"collect 返回时生产者还在：{probe.describe_all(left)}。要 terminate() 它（它可能"
        f"永远卡在 source() 里），再 join() 它{P2_ZH}。",
    )
    assert seen.done_at is not None
    return seen.done_at - moment


@pytest.mark.points(3)
def test_collect_gives_up_after_the_timeout(student):
    count, stall = 6, 3
    seen = _watch_collect(student, count, TIMEOUT_S, stall_after=stall, end_after=None)
    took = _check_collected(seen, count, TIMEOUT_S, seen.items[:stall], "last")
    check(
        took >= TIMEOUT_S - 0.02,
        en=f"the producer stalled after {stall} items, and collect returned {took:.2f} s "
        f"later, before the timeout of {TIMEOUT_S:g} s: the queue was only empty for a moment. "
        f"Do not decide with q.empty() or get_nowait(): q.get(timeout=timeout) waits up to "
        f"timeout seconds for the next item {P2_EN}.",
        zh=f"生产者给了 {stall} 项之后卡住了，collect 在 {took:.2f} 秒后就返回了，还没到 "
        f"{TIMEOUT_S:g} 秒的超时：队列只是暂时空了。不要用 q.empty() 或 get_nowait() 来判断："
        f"q.get(timeout=timeout) 会为下一项最多等待 timeout 秒{P2_ZH}。",
    )


@pytest.mark.points(2)
def test_collect_does_not_wait_needlessly(student):
    # The source never stalls: collect returns as soon as it has count items.
    count = 4
    seen = _watch_collect(student, count, QUICK_TIMEOUT_S, stall_after=None, end_after=None)
    took = _check_collected(seen, count, QUICK_TIMEOUT_S, seen.items[:count], "last")
    check(
        took < QUICK_S,
        en=f"collect had its {count} items, yet returned {took:.2f} s after the last one "
        f"(timeout={QUICK_TIMEOUT_S:g}): stop getting once you have count items {P2_EN}.",
        zh=f"collect 已经拿到了 {count} 项，却在最后一项之后 {took:.2f} 秒才返回"
        f"（timeout={QUICK_TIMEOUT_S:g}）：拿够 count 项就不要再 get 了{P2_ZH}。",
    )
    # The source ends after 2 items: the producer's sentinel says so, no timeout needed.
    seen = _watch_collect(student, 5, QUICK_TIMEOUT_S, stall_after=None, end_after=2)
    took = _check_collected(seen, 5, QUICK_TIMEOUT_S, seen.items[:2], "end")
    check(
        took < QUICK_S,
        en=f"source() ended after 2 items, and collect returned {took:.2f} s later "
        f"(timeout={QUICK_TIMEOUT_S:g}): it waited for the timeout. When source() is "
        f"exhausted, the producer puts a sentinel, and collect stops as soon as it gets it "
        f"{P2_EN}.",
        zh=f"source() 给了 2 项就结束了，collect 却在 {took:.2f} 秒后才返回"
        f"（timeout={QUICK_TIMEOUT_S:g}）：它一直等到了超时。source() 遍历完之后，生产者放一个"
        f"哨兵，collect 一拿到哨兵就停下{P2_ZH}。",
    )
