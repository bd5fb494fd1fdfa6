"""Spec for exercise 11 — shared memory. Run it with `grader check shared_memory`.

The judge observes; the sandbox only acts. The callables the student's children call
(``read(i)``, ``fetch(i)``) and the ``reader(name)`` the parent calls are trusted functions
of this file that talk to a channel the judge (this test process) holds:

* each child asks the judge for its piece; the kernel names the asking process
  (``SO_PEERCRED``) and the judge reads its parent in the process table. The judge answers
  only once every index has been asked (or after BARRIER_S), so it also sees how many
  children were waiting at once. The pieces are drawn at random for each run: a result
  that holds them can only come from children that asked;
* on Linux the judge reads, itself, the memory the caller shares with its children (the
  ``multiprocessing`` heap, a ``/dev/shm/pym-*`` file mapped by the caller, through
  ``/proc/<pid>/mem``) when the student's function has returned: the pieces must be there,
  not only in what came back through a Queue or a Pipe. It reads which ``/dev/shm`` segments
  each asking child has mapped (``/proc/<pid>/maps``);
* each child writes its own piece, not the caller nor another child: once every index has
  been asked, the judge answers the children one at a time, in an order drawn at random. For
  each, it stops (SIGSTOP) the caller first, then every other process below it but that child
  (the other children, a helper, the resource tracker) and any orphan re-parented to it since
  the run began, answers that child, waits until it has ended, and reads the caller's heap and
  the segments mapped then, before it continues them (_answer_one_held). That child's piece
  must be there already: nothing else could run to write it. A caller that gets the results
  through a Queue and copies them into memory it created before start() (so that the children
  map it too) has copied nothing yet; a child that sends its piece to another child to write
  finds that child stopped. An honest child needs nothing of its parent or of its siblings to
  write and end. Where a process cannot be stopped within STOP_S (a machine far too busy),
  that child and the rest are answered without a look;
* Part 3's ``reader(name)`` only says a name: the judge opens that segment in ``/dev/shm``
  itself and reads its bytes. Once the function has returned (the scenario waits on the
  channel while the judge looks), the judge checks ``/dev/shm`` for the segment and for any
  other file the sandbox's user left there.

Nothing waits with a sleep: the judge polls its channel with deadlines, and the sandbox
waits for the judge's answers.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import re
import secrets
import stat
import struct
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType

import pytest

from grader.spec import Outcome, Running, channel, check, fail, holds_within, probe, stops

# README references (checked by `grader verify` against the headings of both READMEs).
P1_EN = "(README: 'Part 1 — one slot per child')"
P1_ZH = "（见 README：「第一部分：每个子进程一个槽位」）"
P2_EN = "(README: 'Part 2 — a byte buffer')"
P2_ZH = "（见 README：「第二部分：字节缓冲区」）"
P3_EN = "(README: 'Part 3 — a named segment')"
P3_ZH = "（见 README：「第三部分：命名的共享内存段」）"
TYPES_EN = "(README: 'Typecodes')"
TYPES_ZH = "（见 README：「类型码」）"
CHILD_EN = "(README: 'Children and joining')"
CHILD_ZH = "（见 README：「子进程与 join」）"

LINUX = sys.platform.startswith("linux")
BARRIER_S = 5.0  # the longest the judge waits for every index to be asked before answering
RUN_S = 12.0  # the longest the judge watches one run
ANSWER_S = 20.0  # the longest a sandbox callable waits for the judge (it always answers)
STOP_S = 3.0  # the longest the judge waits for the caller to stop (SIGSTOP) before it answers
END_S = 5.0  # the longest the judge, caller held, waits for the answered children to end
SHM = "/dev/shm"
NAME_OK = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,200}")


# -- the sandbox side: trusted code that only acts -------------------------------------------


class ReaderError(Exception):
    """Part 3: the reader could not use the segment (the judge said so)."""


def _read(address: str, index: int) -> tuple[int, float]:
    """Part 1's ``read(i)``: the judge's (count, value) for index i."""
    count, value = json.loads(channel.talk(address, f"ask {index}", ANSWER_S))
    return count, value


def _fetch(address: str, index: int) -> bytes:
    """Parts 2 and 3: the judge's piece for index i."""
    return bytes.fromhex(channel.talk(address, f"ask {index}", ANSWER_S))


def _reader(address: str, name: str) -> str:
    """Part 3's ``reader(name)``: the judge attaches to the segment by name and reads it."""
    answer = channel.talk(address, f"read {name}", ANSWER_S)
    if answer.startswith("fail"):
        raise ReaderError(f"the reader could not use segment {name!r}")
    return answer


def _done(address: str, how: str) -> None:
    """The caller: the student's function has returned or raised; wait while the judge looks."""
    channel.talk(address, f"done {how}", ANSWER_S)


def _around(address: str, call: functools.partial[object]) -> object:
    try:
        value = call()
    except BaseException as exc:
        _done(address, type(exc).__name__)
        raise
    _done(address, "returned")
    return value


def _readings_scenario(module: ModuleType, address: str, n: int) -> object:
    read = functools.partial(_read, address)
    return _around(address, functools.partial(module.collect_readings, read, n))


def _bytes_scenario(module: ModuleType, address: str, sizes: list[int]) -> object:
    fetch = functools.partial(_fetch, address)
    return _around(address, functools.partial(module.gather_bytes, fetch, list(sizes)))


def _segment_scenario(module: ModuleType, address: str, sizes: list[int]) -> object:
    fetch = functools.partial(_fetch, address)
    reader = functools.partial(_reader, address)
    return _around(address, functools.partial(module.share_blocks, fetch, list(sizes), reader))


# -- the judge's eyes --------------------------------------------------------------------------


def _mapped_segments(pid: int) -> set[str]:
    """The /dev/shm files (other than multiprocessing's own) that the process has mapped."""
    names = set()
    for line in probe.maps(pid):
        path = line.split(maxsplit=5)[5] if len(line.split(maxsplit=5)) == 6 else ""
        if path.startswith(SHM + "/"):
            name = path[len(SHM) + 1 :].removesuffix(" (deleted)")
            if not name.startswith(("pym-", "sem.")):
                names.add(name)
    return names


def _uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _shm_files(uid: int | None) -> set[str]:
    """Regular files in /dev/shm (of ``uid``, when given)."""
    found = set()
    try:
        entries = list(os.scandir(SHM))
    except OSError:
        return found
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and (uid is None or info.st_uid == uid):
            found.add(entry.name)
    return found


def _read_segment(name: str, uid: int | None) -> bytes | None:
    """The bytes of shared memory segment ``name``, read by the judge; None if there is none."""
    if not NAME_OK.fullmatch(name):
        return None
    if LINUX:
        try:
            fd = os.open(f"{SHM}/{name}", os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
                return None
            return os.pread(fd, min(info.st_size, 1 << 20), 0)
        finally:
            os.close(fd)
    import _posixshmem  # type: ignore[import-not-found]
    import mmap

    try:
        fd = _posixshmem.shm_open("/" + name, os.O_RDONLY, mode=0o600)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        if not size:
            return b""
        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as view:
            return bytes(view[: 1 << 20])
    finally:
        os.close(fd)


def _segment_exists(name: str) -> bool:
    if LINUX:
        return os.path.lexists(f"{SHM}/{name}")
    return _read_segment(name, None) is not None


def _is_tracker(pid: int) -> bool:
    """multiprocessing's resource tracker (a child SharedMemory starts): not a worker."""
    return any("resource_tracker" in part for part in probe.cmdline(pid) or [])


def _has_ended(peer: channel.Peer) -> bool:
    """The process that asked has ended: gone, a zombie, or its pid is another process's."""
    row = probe.read(peer.pid)
    if row is None or row.zombie:
        return True
    return peer.row is not None and row.start != peer.row.start


def _others(seen: Seen, child: int) -> dict[int, probe.Proc]:
    """Every live process that could write the shared memory but ``child`` (and what ``child``
    itself started): the caller and everything below it (the other children, the resource
    tracker, any helper of the student's), and what was re-parented to the judge since the run
    began (a double-forked helper, as the sandbox counts escapees)."""
    judge = os.getpid()
    skip = frozenset(seen.before - {seen.caller}) | {child}
    rows = probe.settled_subtree([judge], skip=skip)
    return {pid: row for pid, row in rows.items() if pid != judge and not row.zombie}


@contextlib.contextmanager
def _all_stopped_but(seen: Seen, child: int) -> Iterator[bool]:
    """Stop the caller first, then every other process of _others(child); yield True once every
    one of them shows it stopped (one that forked or was re-parented just before the stop is
    stopped too), False where that did not happen within STOP_S (no look then). All go on
    (SIGCONT) when the block ends, however it ends."""
    first = _others(seen, child)
    pids = [seen.caller, *sorted(set(first) - {seen.caller})]
    with stops.held(pids, STOP_S) as held:
        if held is None:  # the caller did not stop in time: no look
            yield False
            return
        stopped = set(held)
        try:
            complete = False
            for _ in range(4):
                new = set(_others(seen, child)) - stopped
                if not new:
                    complete = all(stops.is_stopped(pid) for pid in stopped)
                    break
                reached = stops.stop(new)
                stopped.update(reached)
                stops.wait_stopped(reached, STOP_S)
            yield complete
        finally:
            stops.resume(stopped - set(held))


def _answer_one_held(seen: Seen, index: int, peer: channel.Peer, answer: str) -> bool:
    """Answer one child while every other process that could write the shared memory (the
    caller, the other children, any helper) is held stopped, and read the shared memory once
    that child has ended, before the others run again: whatever piece is there then, that child
    wrote. False where no look was taken (the child is answered all the same)."""
    with _all_stopped_but(seen, peer.pid) as complete:
        if complete:
            peer.answer(answer)
            ended = holds_within(lambda: _has_ended(peer), END_S)
            uid = _uid(seen.caller)
            names = _mapped_segments(seen.caller) | seen.child_maps.get(peer.pid, set())
            seen.held.setdefault(
                index,
                Held(
                    ended,
                    probe.shared_heap(seen.caller),
                    {name: _read_segment(name, uid) for name in sorted(names)[:16]},
                ),
            )
            return ended  # one that did not end: no more looks (the verdict is made)
    peer.answer(answer)
    return False


def _answer_held(seen: Seen, batch: list[tuple[int, channel.Peer]], answers: list[str]) -> None:
    """Answer the children of ``batch`` one at a time, in an order drawn at random, each while
    every other process is held stopped (_answer_one_held). A child that sends its piece to
    another child (or to a helper) to write has it written by nobody before it ends: the other
    is stopped. Where a look could not be taken (a machine too busy to stop them in time), the
    rest are answered at once, as the caller asking itself is."""
    children = [(index, peer) for index, peer in batch if peer.pid != seen.caller]
    if LINUX:
        random.shuffle(children)
        while children and seen.looking:
            index, peer = children.pop()
            seen.looking = _answer_one_held(seen, index, peer, answers[index])
    for index, peer in [*children, *((i, p) for i, p in batch if p.pid == seen.caller)]:
        peer.answer(answers[index])


# -- watching one run --------------------------------------------------------------------------


@dataclass
class Held:
    """What the judge read while every process but one child was held stopped, once that
    child, answered alone, had ended (or END_S had passed): nothing but that child wrote it."""

    ended: bool  # the child answered in that round had ended
    heap: bytes | None  # the caller's multiprocessing heap (None: unreadable)
    segments: dict[str, bytes | None]  # the /dev/shm segments the caller or that child maps


@dataclass
class Seen:
    caller: int
    n: int
    before: frozenset[int] = frozenset()  # the judge's children before the run (not its own)
    looking: bool = True  # the judge still answers each child alone, the others held
    uid: int | None = None
    asks: dict[int, channel.Peer] = field(default_factory=dict)  # index -> who asked first
    again: list[tuple[int, channel.Peer]] = field(default_factory=list)  # asked twice
    child_maps: dict[int, set[str]] = field(default_factory=dict)  # pid -> segments mapped
    at_once: int = 0  # distinct children waiting when the judge answered
    released: bool = False
    name: str | None = None  # what reader() said
    segment: bytes | None = None  # what the judge read there
    read_by: channel.Peer | None = None
    receipt: str = ""
    done: str | None = None  # how the student's function ended, as the caller said
    left: list[probe.Proc] = field(default_factory=list)  # the caller's children then
    heap: bytes | None = b""  # the caller's multiprocessing heap then (Linux)
    segment_after: bool = False  # the named segment still existed then
    leftovers: set[str] = field(default_factory=set)  # new /dev/shm files of the sandbox's uid
    held: dict[int, Held] = field(default_factory=dict)  # index -> the look at its child's end
    outcome: Outcome | None = None


def _watch(
    student, label: str, scenario, arg: object, answers: list[str], *, reader_fails: bool = False
) -> Seen:
    """Run ``scenario`` in the sandbox and answer its callables; what the judge saw."""
    with channel.Channel("11") as judge:
        before = _shm_files(None) if LINUX else set()
        children_before = frozenset(probe.child_pids(os.getpid()))
        running: Running = student.options(label=label).start_scenario(scenario, judge.address, arg)
        seen = Seen(running.pid, len(answers), children_before)
        first_ask: float | None = None
        end = time.monotonic() + RUN_S
        while time.monotonic() < end:
            finished = running.finished()
            for said in judge.new_lines():
                peer = said.peer
                if not said.first:
                    continue  # its first line (that very one) says what it wants: only that
                verb, _, rest = said.text.partition(" ")
                if verb == "ask" and rest.isdigit() and int(rest) < len(answers):
                    index = int(rest)
                    if LINUX:
                        seen.child_maps[peer.pid] = _mapped_segments(peer.pid)
                    if index in seen.asks:
                        seen.again.append((index, peer))
                    else:
                        seen.asks[index] = peer
                    first_ask = first_ask if first_ask is not None else time.monotonic()
                    if seen.released:  # a late child: answered alone, the others held
                        _answer_held(seen, [(index, peer)], answers)
                elif verb == "read":
                    seen.name, seen.read_by = rest, peer
                    seen.uid = _uid(seen.caller)  # the sandbox's uid, once it has dropped to it
                    seen.segment = _read_segment(rest, seen.uid)
                    seen.receipt = secrets.token_hex(6)
                    peer.answer("fail" if reader_fails else seen.receipt)
                elif verb == "done" and peer.pid == seen.caller:  # the scenario, nobody else
                    seen.done = rest
                    kids = probe.children(seen.caller)
                    seen.left = [row for row in kids if not _is_tracker(row.pid)]
                    if LINUX:
                        seen.heap = probe.shared_heap(seen.caller)
                        seen.leftovers = _shm_files(_uid(seen.caller)) - before
                    if seen.name is not None:
                        seen.segment_after = _segment_exists(seen.name)
                    peer.answer("ok")
            all_asked = len(seen.asks) == len(answers)
            waited = first_ask is not None and time.monotonic() - first_ask > BARRIER_S
            if not seen.released and (all_asked or waited):
                waiting = {p.pid for p in seen.asks.values() if not p.ended}
                seen.at_once = len(waiting - {seen.caller})
                seen.released = True
                _answer_held(seen, [*seen.asks.items(), *seen.again], answers)
            if seen.done is not None or finished:
                break
        if seen.done is not None or running.finished():
            running.wait(RUN_S / 2)
            seen.outcome = running.stop(grace=0.5)
        else:
            seen.outcome = running.time_out()
        return seen


# -- shared checks ------------------------------------------------------------------------------


def _todo_first(seen: Seen) -> Outcome:
    """A stub, a missing name or a crash before anything happened: nothing else to judge."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None and outcome.error.todo:
        raise outcome.as_problem()
    if outcome.timed_out:
        fail(
            en=f"the call did not return within {RUN_S:g} s. Start every child, then join "
            f"every child, and return {CHILD_EN}.",
            zh=f"调用在 {RUN_S:g} 秒内没有返回。先启动所有子进程，再逐个 join()，然后返回"
            f"{CHILD_ZH}。",
        )
    return outcome


def _check_children(seen: Seen, what: str, ref_en: str, ref_zh: str) -> None:
    """Every index was asked by a child of the caller of its own, all at once; all joined."""
    outcome = _todo_first(seen)
    if not seen.asks:
        if outcome.error is not None:
            raise outcome.as_problem()
        fail(
            en=f"{what}(i) was never called: start one Process per index and call {what}(i) "
            f"in child i {ref_en}.",
            zh=f"{what}(i) 一次都没有被调用：每个下标启动一个 Process，在第 i 个子进程里调用 "
            f"{what}(i){ref_zh}。",
        )
    askers = [peer.pid for peer in seen.asks.values()] + [peer.pid for _, peer in seen.again]
    if seen.caller in askers:
        fail(
            en=f"{what}() was called in the calling process itself (pid {seen.caller}), not "
            "in a child: call Process(...).start(), never the function directly or run(); the "
            f"children do the work {ref_en}.",
            zh=f"{what}() 是在调用者自己（pid {seen.caller}）里调用的，不是在子进程里：要用 "
            f"Process(...).start()，不要直接调用函数，也不要调用 run()；活要由子进程来干{ref_zh}。",
        )
    for index, peer in sorted(seen.asks.items()):
        row = peer.row
        if row is None or row.ppid != seen.caller:
            fail(
                en=f"{what}({index}) was called by pid {peer.pid}, which is not a child of the "
                f"calling process (pid {seen.caller}): start the children from the function "
                f"itself with multiprocessing.Process {ref_en}.",
                zh=f"{what}({index}) 是由 pid {peer.pid} 调用的，它不是调用者（pid {seen.caller}）"
                f"的子进程：要在函数里直接用 multiprocessing.Process 启动子进程{ref_zh}。",
            )
    missing = sorted(set(range(seen.n)) - set(seen.asks))
    check(
        not missing,
        en=f"{what}(i) was never called for i in {missing}: one child for every index "
        f"0..{seen.n - 1} {ref_en}.",
        zh=f"下标 {missing} 的 {what}(i) 从来没有被调用：0..{seen.n - 1} 每个下标都要有一个子进程"
        f"{ref_zh}。",
    )
    by_pid: dict[int, list[int]] = {}
    for index, peer in seen.asks.items():
        by_pid.setdefault(peer.pid, []).append(index)
    shared = {pid: sorted(ix) for pid, ix in by_pid.items() if len(ix) > 1}
    check(
        not shared and not seen.again,
        en=f"one child did the work of several indexes ({shared or 'an index asked twice'}): "
        f"start one Process per index, each with its own index {ref_en}.",
        zh=f"一个子进程干了好几个下标的活（{shared or '同一个下标被请求了两次'}）："
        f"每个下标启动一个 Process，各自带上自己的下标{ref_zh}。",
    )
    check(
        seen.at_once == seen.n,
        en=f"only {seen.at_once} of the {seen.n} children were running at the same moment: the "
        "judge holds every child until all of them have asked, and waited "
        f"{BARRIER_S:g} s in vain. Start every child first, then join them in a second loop; a "
        f"join() right after each start() runs them one after another {CHILD_EN}.",
        zh=f"{seen.n} 个子进程里只有 {seen.at_once} 个同时在运行：评测程序会拦住每个子进程，直到"
        f"所有子进程都来请求过，可它白等了 {BARRIER_S:g} 秒。要先把所有子进程都 start()，再用第二个"
        f"循环 join()；每个 start() 之后马上 join()，子进程就只能一个接一个地运行{CHILD_ZH}。",
    )


def _check_joined(seen: Seen) -> None:
    if seen.done is None:
        return
    check(
        not seen.left,
        en=f"when the function {seen.done}, the caller still had children: "
        f"{probe.describe_all(seen.left)}. join() every child before returning: only then are "
        f"all the writes done, and no zombie is left {CHILD_EN}.",
        zh=f"函数结束（{seen.done}）时，调用者还有子进程：{probe.describe_all(seen.left)}。返回之前"
        f"要 join() 每一个子进程：只有这样所有写入才算完成，也不会留下僵尸进程{CHILD_ZH}。",
    )


# -- Part 1 ------------------------------------------------------------------------------------

N1 = 3


def _readings() -> list[tuple[int, float]]:
    """Counts that need 8 bytes (one negative), values that need a double's 53 bits."""
    rows = []
    for i in range(N1):
        count = random.randrange(2**33, 2**52) * (-1 if i == 1 else 1)
        value = random.uniform(100.0, 1000.0) * (-1 if i == 2 else 1) + 1 / 3
        rows.append((count, value))
    return rows


def _watch_readings(student) -> tuple[Seen, list[tuple[int, float]]]:
    rows = _readings()
    answers = [json.dumps([c, v]) for c, v in rows]
    seen = _watch(student, f"collect_readings(read, {N1})", _readings_scenario, N1, answers)
    return seen, rows


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _wrapped32(x: int) -> int:
    return (x + 2**31) % 2**32 - 2**31


def _check_readings(seen: Seen, rows: list[tuple[int, float]]) -> None:
    outcome = _todo_first(seen)
    value = outcome.value_or_raise()
    if not isinstance(value, (list, tuple)) or len(value) != len(rows):
        fail(
            en=f"collect_readings(read, {N1}) returned {value!r}: it returns a list of "
            f"{N1} (count, value) pairs, one per child, in the order of the indexes {P1_EN}.",
            zh=f"collect_readings(read, {N1}) 返回了 {value!r}：应当返回 {N1} 个 (count, value) "
            f"对组成的列表，每个子进程一对，按下标顺序排列{P1_ZH}。",
        )
    for index, (got, (count, real)) in enumerate(zip(value, rows, strict=True)):
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            fail(
                en=f"entry {index} is {got!r}, not a (count, value) pair {P1_EN}.",
                zh=f"第 {index} 项是 {got!r}，不是一个 (count, value) 对{P1_ZH}。",
            )
        got_count, got_value = got
        if got_count == 0 and got_value == 0:
            fail(
                en=f"entry {index} is still (0, 0.0): the parent never saw what child {index} "
                "wrote. A child writes into its own copy of ordinary variables (a list, a "
                "global); only a Value or an Array created BEFORE start() and passed to the "
                "child is shared. And read it only after join() "
                f"{P1_EN}.",
                zh=f"第 {index} 项仍然是 (0, 0.0)：父进程根本没看到第 {index} 个子进程"
                "写的值。子进程改的是普通变量（列表、全局变量）自己的那份拷贝；只有在 start() "
                "之前创建、并传给子进程的 Value 或 Array 才是共享的。"
                f"而且要在 join() 之后再读{P1_ZH}。",
            )
        if got_count != count:
            hint_en = hint_zh = ""
            if got_count == _wrapped32(count):
                hint_en = (
                    " That is the count cut to 32 bits: typecode 'i' is a 4-byte C int and "
                    "wraps silently. Use 'q' (long long, 8 bytes)."
                )
                hint_zh = (
                    "这正是截断成 32 位之后的值：类型码 'i' 是 4 字节的 C int，溢出时不会报错，"
                )
                hint_zh += "只会悄悄回绕。要用 'q'（long long，8 字节）。"
            fail(
                en=f"entry {index}: the count is {got_count!r}, read({index}) gave {count}."
                f"{hint_en} {TYPES_EN}",
                zh=f"第 {index} 项：count 是 {got_count!r}，而 read({index}) 给的是 {count}。"
                f"{hint_zh}{TYPES_ZH}",
            )
        if got_value != real:
            hint_en = hint_zh = ""
            if isinstance(got_value, float) and got_value == _float32(real):
                hint_en = (
                    " That is the value rounded to a C float (typecode 'f': about 7 digits). "
                    "Use 'd', a C double: the same 64-bit float as Python's."
                )
                hint_zh = (
                    "这是被舍入成 C float 的值（类型码 'f'：只有大约 7 位有效数字）。要用 'd'，"
                )
                hint_zh += "也就是 C double：和 Python 的 float 一样是 64 位。"
            elif isinstance(got_value, int) or got_value == int(real):
                hint_en = " The fraction is gone: an integer typecode. Use 'd' for a float."
                hint_zh = "小数部分没了：用的是整数类型码。浮点数要用 'd'。"
            fail(
                en=f"entry {index}: the value is {got_value!r}, read({index}) gave {real!r}."
                f"{hint_en} {TYPES_EN}",
                zh=f"第 {index} 项：value 是 {got_value!r}，而 read({index}) 给的是 {real!r}。"
                f"{hint_zh}{TYPES_ZH}",
            )


@pytest.mark.points(3)
def test_each_reading_comes_from_a_child_of_its_own(student):
    seen, _ = _watch_readings(student)
    _check_children(seen, "read", P1_EN, P1_ZH)


@pytest.mark.points(3)
def test_readings_keep_every_digit(student):
    seen, rows = _watch_readings(student)
    _check_readings(seen, rows)


def _check_in_heap(seen: Seen, packed: list[bytes], what_en: str, what_zh: str, ref: tuple) -> None:
    """On Linux: the caller's shared heap holds every packed piece (not only a Queue did)."""
    if not LINUX or seen.heap is None:
        return  # nothing the judge can read here; the other checks stand
    missing = [p for p in packed if p not in seen.heap]
    if not seen.heap:
        fail(
            en=f"{what_en} came back, but the calling process maps no shared memory of "
            "multiprocessing at all: no Value or Array was created. The children must write "
            f"into a Value or Array the parent created, not send through a Queue or a Pipe "
            f"{ref[0]}.",
            zh=f"{what_zh}是拿回来了，可调用者根本没有映射 multiprocessing 的共享内存："
            "没有创建任何 Value 或 Array。子进程要写进父进程创建的 Value 或 Array，"
            f"而不是通过 Queue 或 Pipe 发回来{ref[1]}。",
        )
    check(
        not missing,
        en=f"{what_en} came back, but the judge, reading the caller's shared memory (its Values "
        f"and Arrays), found {len(missing)} of the {len(packed)} pieces missing there: the "
        "children must write into the shared Array itself, not send the results through a Queue "
        f"or a Pipe {ref[0]}.",
        zh=f"{what_zh}是拿回来了，可评测程序直接读取调用者的共享内存（它的 Value 和 Array）时，"
        f"{len(packed)} 份数据里有 {len(missing)} 份不在那里：子进程要直接写进共享的 Array，"
        f"而不是通过 Queue 或 Pipe 把结果发回来{ref[1]}。",
    )


def _check_held(
    seen: Seen, found: Callable[[Held, int], bool], where_en: str, where_zh: str, ref: tuple
) -> None:
    """On Linux: each child was answered alone, every other process held stopped; when it had
    ended, its piece was in the shared memory already, so that child wrote it (not the caller,
    nor another child it sent its piece to)."""
    if not LINUX:
        return
    late = sorted(index for index, look in seen.held.items() if not look.ended)
    pids = [seen.asks[index].pid for index in late if index in seen.asks]
    check(
        not late,
        en=f"the children {pids} (indexes {late}) had not ended {END_S:g} s after they got "
        "their pieces. The judge answers the children one at a time, and while one works it "
        "holds the calling process and every other child stopped. A child writes its piece "
        "into the shared memory and ends on its own: it never waits for its parent (to take a "
        "result from a Queue or a Pipe, say) nor for another child (to collect the others' "
        f"pieces) {ref[0]}.",
        zh=f"子进程 {pids}（下标 {late}）拿到数据 {END_S:g} 秒后还没有结束。评测程序一次只回答一个"
        "子进程，在它干活时让调用者和其他所有子进程都停着。子进程把自己那块数据写进共享内存，"
        "然后自己结束：它从不等父进程（比如等父进程从 Queue 或 Pipe 里取走结果），"
        f"也不等别的子进程（比如等着收集别人的数据）{ref[1]}。",
    )
    missing = sorted(index for index, look in seen.held.items() if not found(look, index))
    check(
        not missing,
        en="the judge answered the children one at a time, held the calling process and every "
        "other child stopped from the moment that child got its piece until it had ended, then "
        f"read {where_en} itself: the pieces of indexes {missing} were not there. Those "
        "children did not write them: they went elsewhere to be copied in later (to the "
        "caller, a helper, or another child, through a Queue or a Pipe). Each child writes its "
        f"own piece into {where_en}, before it ends {ref[0]}.",
        zh="评测程序一次只回答一个子进程，从它拿到数据起到它结束，一直让调用者和其他所有子进程"
        f"都停着，然后亲自读取{where_zh}：下标 {missing} 的数据并不在那里。"
        "它们不是由拿到它的子进程写进去的，而是被送到别处（经 Queue 或 Pipe 交给调用者、"
        "帮手或另一个子进程）事后再拷进去的。"
        f"每个子进程要在结束之前，亲自把自己那块数据写进{where_zh}{ref[1]}。",
    )


@pytest.mark.points(2)
def test_readings_live_in_shared_memory(student):
    seen, rows = _watch_readings(student)
    _check_readings(seen, rows)
    packed = [struct.pack("q", c) for c, _ in rows] + [struct.pack("d", v) for _, v in rows]
    _check_in_heap(seen, packed, "the readings", "读数", (P1_EN, P1_ZH))

    def found(look: Held, index: int) -> bool:
        count, value = rows[index]
        heap = look.heap
        return heap is None or (struct.pack("q", count) in heap and struct.pack("d", value) in heap)

    _check_held(seen, found, "the shared Arrays", "共享的 Array", (P1_EN, P1_ZH))
    _check_joined(seen)


# -- Part 2 ------------------------------------------------------------------------------------


def _pieces(sizes: list[int]) -> list[bytes]:
    """Random bytes; zero bytes inside the first piece and at the very end; high bytes."""
    pieces = [bytearray(secrets.token_bytes(size)) for size in sizes]
    for piece in pieces:
        for k in range(len(piece)):
            if piece[k] == 0:
                piece[k] = 0x80 + k % 0x7F  # zeros only where placed below
    pieces[0][len(pieces[0]) // 2] = 0
    pieces[-1][-1] = 0
    pieces[-1][0] = 0xFF
    return [bytes(piece) for piece in pieces]


SIZES2 = [9, 14, 3, 20]


def _watch_bytes(student) -> tuple[Seen, list[bytes]]:
    sizes = list(SIZES2)
    random.shuffle(sizes)
    pieces = _pieces(sizes)
    seen = _watch(
        student, f"gather_bytes(fetch, {sizes})", _bytes_scenario, sizes, [p.hex() for p in pieces]
    )
    return seen, pieces


def _check_buffer(seen: Seen, want: bytes) -> None:
    outcome = _todo_first(seen)
    got = outcome.value_or_raise()
    label = "gather_bytes(fetch, sizes)"
    if isinstance(got, str) or not isinstance(got, bytes):
        fail(
            en=f"{label} returned {type(got).__name__} {got!r:.80}, not bytes. A 'c' Array "
            f"holds bytes: return buffer.raw {P2_EN}.",
            zh=f"{label} 返回的是 {type(got).__name__} {got!r:.80}，不是 bytes。'c' 类型的 "
            f"Array 装的是字节：返回 buffer.raw{P2_ZH}。",
        )
    if got == want:
        return
    if got and want.startswith(got) and want[len(got)] == 0:
        fail(
            en=f"{label} returned {len(got)} bytes, not {len(want)}: it stopped right before "
            "a zero byte. That is what buffer.value does (it reads like a C string, up to the "
            f"first zero byte); buffer.raw is every byte {P2_EN}.",
            zh=f"{label} 返回了 {len(got)} 个字节，而不是 {len(want)} 个：正好停在一个零字节前面。"
            "buffer.value 就是这样（像 C 字符串一样读到第一个零字节为止）；buffer.raw 才是全部字节"
            f"{P2_ZH}。",
        )
    if len(got) != len(want):
        fail(
            en=f"{label} returned {len(got)} bytes, not {len(want)} (the sum of sizes): make "
            f"the buffer Array('c', sum(sizes)) and return all of it {P2_EN}.",
            zh=f"{label} 返回了 {len(got)} 个字节，而不是 {len(want)} 个（sizes 之和）："
            f"缓冲区要建成 Array('c', sum(sizes))，并把它整个返回{P2_ZH}。",
        )
    if not any(got):
        fail(
            en=f"{label} returned {len(got)} zero bytes: the parent never saw the children's "
            "writes. Create the Array BEFORE start(), pass it to each child, and read it after "
            f"join() {P2_EN}.",
            zh=f"{label} 返回了 {len(got)} 个零字节：父进程根本没看到子进程写的内容。要在 start() "
            f"之前创建 Array，把它传给每个子进程，并在 join() 之后再读{P2_ZH}。",
        )
    first = next(k for k in range(len(want)) if got[k] != want[k])
    fail(
        en=f"{label}: the bytes differ from offset {first} on (got {got[first : first + 8]!r}, "
        f"want {want[first : first + 8]!r}). Piece i goes at offset sizes[0] + ... + "
        f"sizes[i-1], exactly as fetch(i) returned it {P2_EN}.",
        zh=f"{label}：从偏移 {first} 开始字节就不对了（得到 {got[first : first + 8]!r}，应为 "
        f"{want[first : first + 8]!r}）。第 i 块放在偏移 sizes[0] + ... + sizes[i-1] 处，原样写入 "
        f"fetch(i) 返回的字节{P2_ZH}。",
    )


@pytest.mark.points(3)
def test_pieces_land_in_one_byte_buffer(student):
    seen, pieces = _watch_bytes(student)
    _check_buffer(seen, b"".join(pieces))


@pytest.mark.points(2)
def test_each_piece_is_written_by_a_child_into_shared_memory(student):
    seen, pieces = _watch_bytes(student)
    want = b"".join(pieces)
    _check_children(seen, "fetch", P2_EN, P2_ZH)
    _check_buffer(seen, want)
    _check_in_heap(seen, [want], "the bytes", "字节", (P2_EN, P2_ZH))

    def found(look: Held, index: int) -> bool:
        return look.heap is None or pieces[index] in look.heap

    _check_held(seen, found, "the shared byte buffer", "共享的字节缓冲区", (P2_EN, P2_ZH))
    _check_joined(seen)


# -- Part 3 ------------------------------------------------------------------------------------

SIZES3 = [300, 17, 1001]


def _watch_segment(student, reader_fails: bool = False) -> tuple[Seen, list[bytes]]:
    sizes = list(SIZES3)
    random.shuffle(sizes)
    pieces = _pieces(sizes)
    seen = _watch(
        student,
        f"share_blocks(fetch, {sizes}, reader)",
        _segment_scenario,
        sizes,
        [p.hex() for p in pieces],
        reader_fails=reader_fails,
    )
    return seen, pieces


def _check_segment_read(seen: Seen, want: bytes) -> None:
    """reader(name) was called, and the judge found the children's bytes in that segment."""
    outcome = _todo_first(seen)
    if seen.name is None:
        if outcome.error is not None:
            raise outcome.as_problem()
        fail(
            en="reader(name) was never called: once every child is joined, call "
            f"reader(shm.name) with the segment's name {P3_EN}.",
            zh=f"reader(name) 一次都没有被调用：所有子进程 join() 之后，要用共享内存段的名字调用 "
            f"reader(shm.name){P3_ZH}。",
        )
    name = seen.name
    if seen.segment is None:
        fail(
            en=f"reader({name!r}): the judge found no shared memory segment of that name in "
            f"{SHM}. Pass shm.name of a SharedMemory(create=True, size=...) that is still there "
            f"(unlink it only after the reader has read it) {P3_EN}.",
            zh=f"reader({name!r})：评测程序在 {SHM} 里找不到叫这个名字的共享内存段。要传入 "
            "SharedMemory(create=True, size=...) 的 shm.name，而且这时段还必须在（等 reader 读完"
            f"再 unlink）{P3_ZH}。",
        )
    got = seen.segment[: len(want)]
    check(
        len(seen.segment) >= len(want),
        en=f"segment {name!r} holds {len(seen.segment)} bytes, fewer than the {len(want)} "
        f"of the pieces: create it with size=sum(sizes) {P3_EN}.",
        zh=f"共享内存段 {name!r} 只有 {len(seen.segment)} 个字节，比所有块加起来的 {len(want)} "
        f"个少：创建时要用 size=sum(sizes){P3_ZH}。",
    )
    if got != want:
        if not any(got):
            fail(
                en=f"the judge read segment {name!r} when reader() was called: all zero bytes. "
                "The children never wrote into it (or wrote into segments of their own, or "
                "the reader was called before join()). Create the segment BEFORE start(), "
                f"write through shm.buf in the children, join them, then call reader {P3_EN}.",
                zh=f"reader() 被调用时，评测程序读了共享内存段 {name!r}：全是零字节。"
                "子进程根本没写进去（或者各自写进了自己新建的段，或者在 join() 之前就调用了 "
                "reader）。要在 start() 之前创建共享内存段，在子进程里通过 shm.buf 写入，"
                f"join() 之后再调用 reader{P3_ZH}。",
            )
        first = next(k for k in range(len(want)) if got[k] != want[k])
        fail(
            en=f"the judge read segment {name!r} when reader() was called: the bytes differ "
            f"from offset {first} on (got {got[first : first + 8]!r}, want "
            f"{want[first : first + 8]!r}). Piece i goes at offset sizes[0] + ... + sizes[i-1], "
            f"and every child is joined before reader() {P3_EN}.",
            zh=f"reader() 被调用时，评测程序读了共享内存段 {name!r}：从偏移 {first} "
            f"开始字节就不对了（得到 {got[first : first + 8]!r}，"
            f"应为 {want[first : first + 8]!r}）。第 i 块放在偏移 sizes[0] + ... + sizes[i-1] "
            f"处，而且调用 reader() 之前要 join() 所有子进程{P3_ZH}。",
        )


@pytest.mark.points(3)
def test_children_fill_a_segment_the_reader_finds_by_name(student):
    seen, pieces = _watch_segment(student)
    _check_children(seen, "fetch", P3_EN, P3_ZH)
    _check_segment_read(seen, b"".join(pieces))
    if LINUX and seen.name is not None:
        blind = [
            peer.pid
            for peer in seen.asks.values()
            if seen.name not in seen.child_maps.get(peer.pid, {seen.name})
        ]
        check(
            not blind,
            en=f"the children {blind} did not have segment {seen.name!r} mapped when they asked "
            "for their piece: create the segment in the parent before start(), and let each "
            f"child write into it (it inherits it, or attaches by name) {P3_EN}.",
            zh=f"子进程 {blind} 请求数据时并没有映射共享内存段 {seen.name!r}："
            "要在 start() 之前由父进程创建这个段，让每个子进程写进它"
            f"（继承下来，或者按名字连接）{P3_ZH}。",
        )
    starts = [sum(len(p) for p in pieces[:i]) for i in range(len(pieces))]

    def found(look: Held, index: int) -> bool:
        segment = look.segments.get(seen.name or "")
        start, piece = starts[index], pieces[index]
        return segment is not None and segment[start : start + len(piece)] == piece

    where_en, where_zh = f"segment {seen.name!r}", f"共享内存段 {seen.name!r}"
    _check_held(seen, found, where_en, where_zh, (P3_EN, P3_ZH))
    outcome = seen.outcome
    assert outcome is not None
    got = outcome.value_or_raise()
    check(
        got == seen.receipt,
        en=f"share_blocks returned {got!r}, not what reader(name) returned ({seen.receipt!r}): "
        f"return the reader's result {P3_EN}.",
        zh=f"share_blocks 返回了 {got!r}，而不是 reader(name) 的返回值（{seen.receipt!r}）："
        f"要把 reader 的结果返回{P3_ZH}。",
    )


def _check_unlinked(seen: Seen) -> None:
    name = seen.name
    check(
        not seen.segment_after,
        en=f"when share_blocks ended ({seen.done}), segment {name!r} was still in {SHM}. "
        "close() only unmaps it from this process; the segment lives on, after your program "
        "has ended too, until someone calls unlink(). The creator calls shm.unlink() once, in "
        f"a finally: block, after the reader is done {P3_EN}.",
        zh=f"share_blocks 结束（{seen.done}）时，共享内存段 {name!r} 还在 {SHM} 里。close() 只是在"
        "本进程里解除映射；这个段会一直存在，连程序结束之后也还在，直到有人调用 unlink()。由创建者"
        f"在 reader 用完之后、在 finally: 块里调用一次 shm.unlink(){P3_ZH}。",
    )
    others = sorted(seen.leftovers - {name})
    check(
        not others,
        en=f"when share_blocks ended, these files of yours were left in {SHM}: {others}. "
        f"Create one segment, and unlink every segment you create {P3_EN}.",
        zh=f"share_blocks 结束时，{SHM} 里留下了你的这些文件：{others}。只创建一个共享内存段，"
        f"并且创建的每个段都要 unlink(){P3_ZH}。",
    )


@pytest.mark.points(2)
def test_the_segment_is_unlinked(student):
    seen, pieces = _watch_segment(student)
    _check_segment_read(seen, b"".join(pieces))
    outcome = seen.outcome
    assert outcome is not None
    outcome.value_or_raise()
    _check_unlinked(seen)
    _check_joined(seen)


@pytest.mark.points(2)
def test_the_segment_is_unlinked_when_the_reader_fails(student):
    seen, pieces = _watch_segment(student, reader_fails=True)
    _check_segment_read(seen, b"".join(pieces))
    outcome = seen.outcome
    assert outcome is not None
    check(
        outcome.raised("ReaderError"),
        en="reader(name) raised ReaderError, and share_blocks "
        + (f"returned {outcome.value!r}" if outcome.returned else "did not raise it")
        + f": let the reader's exception reach the caller (no except that swallows it) {P3_EN}.",
        zh="reader(name) 抛出了 ReaderError，可 share_blocks "
        + (f"却返回了 {outcome.value!r}" if outcome.returned else "并没有把它抛出来")
        + f"：要让 reader 的异常传给调用者（不要用 except 把它吞掉）{P3_ZH}。",
    )
    _check_unlinked(seen)
