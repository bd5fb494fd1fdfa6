"""Spec for exercise 09 — Pipe. Run it with `grader check pipe`.

The judge observes; the sandbox only acts. The handlers and producers the student's code
runs are trusted functions of this file, and every verdict rests on what the judge (this
test process) sees itself:

* which process ran a handler or a producer: each one talks to a channel the judge holds,
  and the kernel names the process at the other end (``SO_PEERCRED``); the judge reads that
  process's parent in /proc. A handler that ran in the caller, or in a thread of it, is seen
  as the caller;
* results only real work can produce: a handler answers with a token (a hash with a salt
  drawn when the spec is loaded) or a transformation of a 1 MiB request, a producer yields
  items drawn from a seed: a result cannot be made up without the handler or the producer;
* how the worker ended: the handler registers, in the worker, a last word that
  ``multiprocessing`` says on the channel only when the worker's function returns (not when
  it is terminated or killed);
* which process holds which pipe end: the judge reads ``/proc/<pid>/fd`` and
  ``/proc/<pid>/fdinfo`` (a pipe's read and write ends share one inode and differ by their
  access mode), asks the kernel for the peer of each Unix socket (``sock_diag``, as
  ``ss -x`` does: a duplex ``Pipe()`` is a socket pair), and reads ``/proc/<pid>/syscall``
  to see in which call, on which descriptor, a process waits;
* what ends the worker (Part 1): at the last request the judge stops the caller (SIGSTOP),
  and once the last response is sent it stops the worker and lets the caller go on. While
  the caller waits for the worker to end, nothing may wait for the worker in any pipe (the
  kernel's queue of a socket, ``FIONREAD`` of a pipe), and the caller may hold no end that
  still writes to it; a worker that ends while the stopped caller holds its end (or the end
  it read its second request on, whatever the judge would set aside) did not end at EOF;
* that the worker waits for EOF: after its last response, while the caller stands still,
  the worker must be seen in a read of its end (``syscalls.threads``, ``input_fds``; a poll
  or select with no timeout on it will do), not asleep, on an Event or polling; once the
  caller has closed its end and joins, the judge stops the caller and every process below
  it but the worker, and lets the worker alone go on: it must end, sleeping at most
  ENDING_SLEEPS times (``voluntary_ctxt_switches``; its death is one);
* how the caller waits for a worker that dies: the handler holds the worker before it ends
  it, and the judge reads which ends the caller holds (no copy of the worker's end), its
  voluntary context switches (a caller blocked in ``recv()`` does not wake; a poller does)
  and the call its main thread waits in (a read of its end, or a wait with no timeout on it:
  a caller that polls, however rarely, is seen in a sleep or a wait with a timeout);
* a run that should end by itself and does not is given HANG_S seconds; then the judge says
  which process waits where and which copy of the other end keeps it waiting.

Nothing waits with a sleep: the judge polls with deadlines, and the producer's pause in the
stream test is the slowness it simulates, timed by the judge.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import multiprocessing.util
import os
import random
import secrets
import struct
import termios
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from grader.spec import (
    Ending,
    Outcome,
    channel,
    check,
    fail,
    holds_within,
    probe,
    stops,
    syscalls,
    unix_sockets,
)

# README references (checked by `grader verify` against the headings of both READMEs).
ONE_EN = "(README: 'One worker, one request at a time')"
ONE_ZH = "（README.zh-CN:「一个工作进程，一问一答」）"
BIG_EN = "(README: 'Big messages')"
BIG_ZH = "（README.zh-CN:「大消息」）"
END1_EN = "(README: 'The worker ends at EOF')"
END1_ZH = "（README.zh-CN:「工作进程读到 EOF 就结束」）"
DEAD_EN = "(README: 'A worker that dies')"
DEAD_ZH = "（README.zh-CN:「工作进程中途退出」）"
WHOLE_EN = "(README: 'The whole stream, in order')"
WHOLE_ZH = "（README.zh-CN:「完整且按顺序」）"
END2_EN = "(README: 'The reader ends at EOF')"
END2_ZH = "（README.zh-CN:「读端靠 EOF 结束」）"
CLOSE_EN = "(README: 'Close the end you do not use')"
CLOSE_ZH = "（README.zh-CN:「关闭不用的那一端」）"
OPEN_EN = "(README: 'Which end is left open')"
OPEN_ZH = "（README.zh-CN:「哪一端没有关」）"
PART2_EN = "(README: 'Part 2 — a one-way stream' and 'Close the end you do not use')"
PART2_ZH = "（README.zh-CN:「第二部分：单向数据流」和「关闭不用的那一端」）"

HANG_S = 5.0  # how long a run that should end by itself may take (correct code: ~0.1 s quiet)
PAUSE_S = 0.3  # the producer's pause in the middle of the stream (a slow producer)
SETTLE_S = 2.0  # how long the judge waits for the caller to settle in a wait of some kind
HOLD_S = 0.3  # how long the judge holds a dying worker, to see how the caller waits
ENDING_SLEEPS = 2  # most sleeps of a worker let run alone after EOF (its death is one)
WOKEN = 3  # most wake-ups of a caller that waits in recv() during HOLD_S (a poller: ~30)
TALK_S = 10.0  # how long a handler or producer waits for the judge's answer
BIG = 1 << 20  # Part 1's big requests and responses: 1 MiB, far above any pipe buffer
STREAM_BIG = 256 * 1024  # Part 2's big items: four times a Linux pipe's 64 KiB buffer
STOP = "stop"  # the request at which the fragile handler ends its worker

_SALT = secrets.token_hex(8)  # drawn in the session, inherited by every test and sandbox


def _token(x: object) -> str:
    """A handler's answer to request ``x``: only the handler knows the salt."""
    return "tok-" + hashlib.blake2b(f"{_SALT}:{x!r}".encode(), digest_size=6).hexdigest()


def _show(x: object) -> str:
    """One received value as plain text: bytes by their length and hash, others by repr."""
    if isinstance(x, bytes) and len(x) > 64:
        return f"<{len(x)} bytes {hashlib.blake2b(x, digest_size=6).hexdigest()}>"
    return repr(x)


# -- the sandbox side: trusted code that only acts --------------------------------------------

_farewell_registered = False  # in a worker: its last word is registered


def _farewell(address: str) -> None:
    try:
        channel.connect(address, "farewell", timeout=2.0).close()
    except OSError:
        pass


def _register_farewell(address: str) -> None:
    """Say 'farewell' when this multiprocessing child's function returns (not when killed)."""
    global _farewell_registered
    if not _farewell_registered:
        _farewell_registered = True
        multiprocessing.util.Finalize(None, _farewell, args=(address,), exitpriority=100)


def _answer(address: str, request: object) -> str:
    """Part 1's handler: tell the judge which request it handles (the kernel says where)."""
    _register_farewell(address)
    channel.talk(address, json.dumps(["handled", repr(request)]), timeout=TALK_S)
    return _token(request)


def _mirror(request: object) -> object:
    """Part 1's big handler: a 1 MiB response that only this function computes."""
    if not isinstance(request, bytes):
        return f"not bytes: {type(request).__name__}"
    return hashlib.blake2b(_SALT.encode() + request, digest_size=16).digest() + request[::-1]


def _fragile(address: str, request: object) -> str:
    """Part 1's handler that ends its process (exit code 7) at the request STOP, once the
    judge has looked at how the caller waits for the answer."""
    if request == STOP:
        channel.talk(address, "dying", timeout=TALK_S)
        os._exit(7)
    return _token(request)


def _big_requests(seeds: list[int]) -> list[bytes]:
    return [random.Random(seed).randbytes(BIG) for seed in seeds]


def _stream_items(seed: int, count: int) -> list[object]:
    """Part 2's stream: tokens, odd small values, and items bigger than the pipe's buffer."""
    rng = random.Random(seed)
    odd: list[object] = [None, 0, "", "管道 pipe", (1, "two"), [3.5, b"x"], {"k": "v"}]
    items: list[object] = []
    for i in range(count):
        if i % 3 == 1:
            items.append(rng.randbytes(STREAM_BIG))
        else:
            items.append((i, _token((seed, i)), rng.choice(odd)))
    return items


def _produce(address: str, seed: int, count: int, pause_at: int) -> Iterator[object]:
    """Part 2's producer: show itself to the judge, then yield the stream (pausing once)."""
    channel.talk(address, "producing", timeout=TALK_S)
    for i, item in enumerate(_stream_items(seed, count)):
        if i == pause_at:
            channel.talk(address, "pause", timeout=TALK_S)  # the judge answers after PAUSE_S
        yield item


def _shown(value: object) -> object:
    return [_show(x) for x in value] if isinstance(value, list) else value


def _done(address: str) -> None:
    """The caller: the student's function has returned or raised; wait while the judge looks."""
    try:
        channel.talk(address, "done", timeout=TALK_S)
    except OSError:
        pass


def _ask_scenario(module: ModuleType, address: str, kind: str, requests: list[Any]) -> object:
    handler: Callable[[Any], Any]
    if kind == "answer":
        handler = functools.partial(_answer, address)
    elif kind == "mirror":
        handler, requests = _mirror, _big_requests(requests)
    else:
        handler = functools.partial(_fragile, address)
    try:
        return _shown(module.ask(handler, requests))
    finally:
        _done(address)


def _collect_scenario(
    module: ModuleType, address: str, seed: int, count: int, pause_at: int
) -> object:
    try:
        return _shown(module.collect(functools.partial(_produce, address, seed, count, pause_at)))
    finally:
        _done(address)


# -- the judge's eyes on descriptors ------------------------------------------------------------

READ, WRITE, BOTH = 0, 1, 2  # a descriptor's access mode (O_ACCMODE of fdinfo's flags)

_READS = {"read", "recvfrom", "recvmsg"}
_WRITES = {"write", "sendto", "sendmsg"}
_WAITS = {"poll", "select", "pselect6", "ppoll", "epoll_wait", "epoll_pwait", "futex"}
_REAPS = {"wait4", "waitid"}
_KNOWN = _READS | _WRITES | _WAITS | _REAPS  # the calls the judge tells apart here


@dataclass(frozen=True)
class End:
    """One descriptor of a pipe or a socket, in one process."""

    pid: int
    fd: int
    kind: str  # "pipe" or "socket"
    inode: int
    mode: int  # READ, WRITE or BOTH


def _ends(pid: int) -> list[End]:
    """The pipes and sockets ``pid`` holds open, from /proc/<pid>/fd and fdinfo."""
    return [
        End(pid, d.fd, d.kind, d.inode, d.mode)
        for d in probe.descriptors(pid)
        if d.inode is not None
    ]


def _unix_peers(inodes: Iterable[int]) -> dict[int, int]:
    """The peer of each Unix socket (inode -> inode), from the kernel's sock_diag."""
    return {i: s.peer for i, s in unix_sockets(inodes).items() if s.peer is not None}


def _waiting_in(pid: int) -> tuple[str, int] | None:
    """The call ``pid``'s main thread waits in (one of ``_KNOWN``), and its first argument;
    None if it is in another, running, gone, or the judge cannot tell."""
    try:
        calls = syscalls.threads(pid)
    except syscalls.Hidden:
        return None
    for call in calls or []:
        if call.tid == pid and call.blocked and call.name in _KNOWN:
            return call.name, call.args[0]
    return None


@dataclass(frozen=True)
class Who:
    en: str
    zh: str


def _who(pid: int, caller: int) -> Who:
    if pid == caller:
        return Who(f"your function's process (pid {pid})", f"你的函数所在的进程（pid {pid}）")
    row = probe.read(pid)
    if row is not None and row.ppid == caller:
        return Who(f"its child (pid {pid})", f"它的子进程（pid {pid}）")
    return Who(f"pid {pid}", f"pid {pid}")


def _holders(ends: list[End], caller: int, me: int) -> Who:
    parts = [
        Who(
            (f"{_who(e.pid, caller).en} itself" if e.pid == me else _who(e.pid, caller).en)
            + f" as fd {e.fd}",
            ("它自己" if e.pid == me else _who(e.pid, caller).zh) + f"的 fd {e.fd}",
        )
        for e in ends
    ]
    return Who(", ".join(p.en for p in parts), "、".join(p.zh for p in parts))


def _stuck(caller: int, more: Iterable[int] = (), with_caller: bool = True) -> Who:
    """What the judge sees of a run that does not end: who waits where, and why."""
    below = [p.pid for p in probe.descendants(caller) if not p.zombie]
    pids = [caller, *below] if with_caller else below
    pids += [p for p in dict.fromkeys(more) if p not in pids and p != caller and probe.alive(p)]
    ends = {pid: _ends(pid) for pid in pids}
    every = [e for found in ends.values() for e in found]
    peers = _unix_peers({e.inode for e in every if e.kind == "socket"})
    en: list[str] = []
    zh: list[str] = []
    for pid in pids:
        who = _who(pid, caller)
        waiting = _waiting_in(pid)
        if waiting is None:
            continue
        call, fd = waiting
        if call in _REAPS:
            en.append(f"- {who.en} waits in join() for a child to end;")
            zh.append(f"- {who.zh}在 join() 里等子进程结束；")
            continue
        if call in _WAITS:
            en.append(f"- {who.en} waits in {call}() (a poll() or a wait on several things);")
            zh.append(f"- {who.zh}在 {call}() 里等待（poll() 或者同时等几样东西）；")
            continue
        end = next((e for e in ends[pid] if e.fd == fd), None)
        if end is None:
            continue
        if end.kind == "pipe":
            what_en, what_zh = "a one-way pipe", "单向管道"
            other = [e for e in every if e.kind == "pipe" and e.inode == end.inode]
            other = [e for e in other if e.mode != end.mode]
        else:
            what_en, what_zh = "a duplex pipe", "双向管道"
            peer = peers.get(end.inode)
            other = [e for e in every if e.kind == "socket" and e.inode == peer]
        holders = _holders(other, caller, pid)
        if call in _READS:
            if other:
                en.append(
                    f"- {who.en} waits in recv() on fd {fd}, an end of {what_en}; the other "
                    f"end is still open in {holders.en}. recv() raises EOFError only once "
                    "every copy of the other end is closed;"
                )
                zh.append(
                    f"- {who.zh}在 fd {fd}（{what_zh}的一端）上的 recv() 里等待；另一端仍然开着，"
                    f"持有它的是：{holders.zh}。只有另一端的所有副本都关闭了，recv() 才会抛出 "
                    "EOFError；"
                )
            else:
                en.append(f"- {who.en} waits in recv() on fd {fd}, an end of {what_en};")
                zh.append(f"- {who.zh}在 fd {fd}（{what_zh}的一端）上的 recv() 里等待；")
        elif call in _WRITES:
            en.append(
                f"- {who.en} waits in send() on fd {fd}, an end of {what_en}: the pipe's "
                f"buffer is full, and nobody reads the other end ({holders.en or 'closed'});"
            )
            zh.append(
                f"- {who.zh}在 fd {fd}（{what_zh}的一端）上的 send() 里等待：管道的缓冲区满了，"
                f"而另一端（{holders.zh or '已关闭'}）没有人在读；"
            )
    if not en:
        return Who("", "")
    en[-1], zh[-1] = en[-1][:-1] + ".", zh[-1][:-1] + "。"
    return Who(
        "The judge looked at the processes (README: 'Which end is left open'):\n" + "\n".join(en),
        "评测程序查看了这些进程（README.zh-CN:「哪一端没有关」）：\n" + "\n".join(zh),
    )


@dataclass(frozen=True)
class Link:
    """A pipe or socket pair from a child to the caller, and the copies that should be gone."""

    kind: str
    child_fd: int
    caller_fd: int
    child_also: tuple[End, ...]  # the child's copies of the caller's end
    caller_also: tuple[End, ...]  # the caller's copies of the child's end


def _links(child: int, caller: int, own: bool = False) -> list[Link]:
    """Pipes the child writes and the caller reads; socket pairs between the two.

    Not multiprocessing's own: ``Process.start()`` makes two pipes of its own, one each way.
    The child holds the send end of the caller's ``sentinel`` (join() waits on it) and the
    receive end of a twin the caller writes (the child's parent_process()); both are closed
    where they should be, and neither carries an item. The judge cannot tell the sentinel from
    a pipe of the student's, but the twin says it is there: for each pipe that only the caller
    writes and only the child reads, one clean pipe the child writes is set aside (the newest:
    start() makes its pipes after the student's Pipe()). With ``own``, nothing is set aside:
    the caller holds no copy of the child's end of multiprocessing's pipes either.
    """
    mine, theirs = _ends(child), _ends(caller)
    peers = _unix_peers({e.inode for e in mine + theirs if e.kind == "socket"})
    links: list[Link] = []
    for end in mine:
        if end.kind == "pipe" and end.mode == WRITE:
            reads = [e for e in theirs if e.kind == "pipe" and e.inode == end.inode]
            reads = [e for e in reads if e.mode == READ]
            if reads:
                child_also = tuple(
                    e for e in mine if e.kind == "pipe" and e.inode == end.inode and e.mode == READ
                )
                caller_also = tuple(
                    e
                    for e in theirs
                    if e.kind == "pipe" and e.inode == end.inode and e.mode != READ
                )
                links.append(Link("pipe", end.fd, reads[0].fd, child_also, caller_also))
        elif end.kind == "socket" and end.inode in peers:
            peer = peers[end.inode]
            other = [e for e in theirs if e.kind == "socket" and e.inode == peer]
            if other:
                child_also = tuple(e for e in mine if e.kind == "socket" and e.inode == peer)
                caller_also = tuple(
                    e for e in theirs if e.kind == "socket" and e.inode == end.inode
                )
                links.append(Link("socket", end.fd, other[0].fd, child_also, caller_also))
    if own:
        return links
    twins = {
        e.inode
        for e in mine
        if e.kind == "pipe"
        and e.mode == READ
        and not any(o.kind == "pipe" and o.inode == e.inode and o.mode != READ for o in mine)
        and any(o.kind == "pipe" and o.inode == e.inode for o in theirs)
        and not any(o.kind == "pipe" and o.inode == e.inode and o.mode != WRITE for o in theirs)
    }
    for _ in twins:
        clean = [
            link
            for link in links
            if link.kind == "pipe" and not link.child_also and not link.caller_also
        ]
        if clean:
            links.remove(max(clean, key=lambda link: link.caller_fd))
    return links


# -- Part 1's looks: what waits for the worker, and who can still write to it -----------------


def _queued_in_pipe(end: End) -> int | None:
    """Bytes waiting in the pipe whose read end is ``end``: FIONREAD on a copy of that end the
    judge opens through /proc/<pid>/fd (it reads nothing); None where it may not."""
    try:
        with probe.owner_rights(end.pid):
            fd = os.open(f"/proc/{end.pid}/fd/{end.fd}", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return None
    finally:
        os.close(fd)


def _waiting_for(pid: int, skip: set[int], sender: int | None = None) -> list[tuple[End, int]]:
    """What waits to be read at ``pid``'s ends: (end, bytes) for every pipe it reads and every
    socket it holds, but those whose peer is in ``skip`` (the judge's own sockets); with
    ``sender``, only the ends that process writes to."""
    ends = [e for e in _ends(pid) if e.kind == "socket" or e.mode == READ]
    diag = unix_sockets({e.inode for e in ends if e.kind == "socket"})
    theirs = _ends(sender) if sender is not None else []
    sockets = {e.inode for e in theirs if e.kind == "socket"}
    pipes = {e.inode for e in theirs if e.kind == "pipe" and e.mode != READ}
    found = []
    for end in ends:
        if end.kind == "socket":
            known = diag.get(end.inode)
            peer, queued = (known.peer, known.unread) if known else (None, None)
            if peer in skip or (sender is not None and peer not in sockets):
                continue
        elif sender is not None and end.inode not in pipes:
            continue
        else:
            queued = _queued_in_pipe(end)
        if queued:
            found.append((end, queued))
    return found


def _feeds(src: int, dst: int) -> list[End]:
    """The ends through which ``src`` can still write to ``dst``: its end of a duplex pipe
    whose other end ``dst`` holds, the send end of a pipe ``dst`` reads.

    One pipe that ``src`` writes and its child ``dst`` reads is multiprocessing's own: the
    child's ``parent_process()`` waits on it, and nothing is ever written on it. The judge
    cannot tell it from a student's pipe, so one such pipe is set aside (the newest).
    """
    mine, theirs = _ends(src), _ends(dst)
    peers = _unix_peers({e.inode for e in theirs if e.kind == "socket"})
    found = [e for e in mine if e.kind == "socket" and e.inode in peers.values()]
    reads = {e.inode for e in theirs if e.kind == "pipe" and e.mode == READ}
    pipes = [e for e in mine if e.kind == "pipe" and e.mode != READ and e.inode in reads]
    if pipes:
        twin = max(pipes, key=lambda e: e.fd).inode
        pipes = [e for e in pipes if e.inode != twin]
    return found + pipes


def _fed_by(dst: int, src: int) -> frozenset[int]:
    """The descriptors of ``dst`` on which ``src`` can make news: ``dst``'s end of a duplex
    pipe whose other end ``src`` holds, the read end of a pipe ``src`` writes (news: a message,
    or EOF once ``src`` closes its end). Nothing is set aside here: a wait on
    ``multiprocessing``'s own pipe is still a wait on the other process."""
    mine, theirs = _ends(dst), _ends(src)
    peers = _unix_peers({e.inode for e in mine if e.kind == "socket"})
    sockets = {e.inode for e in theirs if e.kind == "socket"}
    writes = {e.inode for e in theirs if e.kind == "pipe" and e.mode != READ}
    return frozenset(
        e.fd
        for e in mine
        if (e.kind == "socket" and peers.get(e.inode) in sockets)
        or (e.kind == "pipe" and e.mode != WRITE and e.inode in writes)
    )


def _no_timeout(call: syscalls.Call) -> bool:
    """A wait for input that lasts until there is news: a read, or a poll, select or epoll
    wait with no timeout (-1 or a NULL timeout, as ``poll(None)`` and ``wait()`` make)."""
    args = call.args
    if call.name in syscalls.RECEIVES:
        return True
    if call.name in {"poll", "epoll_wait", "epoll_pwait"}:
        timeout = args[2] if call.name == "poll" else args[3]
        return timeout & 0xFFFFFFFF >= 0x80000000  # an int below zero
    if call.name in {"ppoll", "epoll_pwait2"}:
        return args[2 if call.name == "ppoll" else 3] == 0
    if call.name in syscalls.SELECTS:
        return args[4] == 0
    return False


@dataclass(frozen=True)
class Wait:
    """How ``pid``'s main thread waits, at one look, for news from another process."""

    call: syscalls.Call | None  # None: not in a system call, or the judge cannot tell
    on_it: bool  # in a read of an end the other process feeds, or a wait with no timeout
    # whose descriptors hold one


def _how_it_waits(pid: int, other: int) -> Wait | None:
    """Whether ``pid`` waits, in its main thread, for news from ``other`` only: None where the
    judge cannot tell (no syscall file, another architecture, a non-dumpable process)."""
    try:
        calls = syscalls.threads(pid)
    except syscalls.Hidden:
        return None
    if calls is None:
        return None
    call = next((c for c in calls if c.tid == pid), None)
    if call is None or not call.blocked:
        return Wait(call, False)
    if not call.waits_for_input or not _no_timeout(call):
        return Wait(call, False)
    fds = syscalls.input_fds(pid, call)
    if fds is None:
        return None  # a set in memory the judge could not read
    return Wait(call, bool(fds & _fed_by(pid, other)))


def _stand_still(pid: int) -> bool:
    """Stop ``pid`` (SIGSTOP) and wait until it stands still; False if it did not in time, or
    had ended."""
    return bool(stops.stop([pid])) and stops.wait_stopped([pid], SETTLE_S) and probe.alive(pid)


@dataclass
class EofLook:
    """What the judge saw around the worker's end in test_the_worker_ends_at_eof."""

    worker: int
    early: list[tuple[End, int]] = field(default_factory=list)  # waiting at the last request
    ended_fed: list[End] = field(default_factory=list)  # it ended; the caller still held these
    looked: bool = False  # the judge saw the caller wait for the stopped worker to end
    caller_wait: tuple[str, int] | None = None  # ... in this call
    extra: list[tuple[End, int]] = field(default_factory=list)  # waiting for the worker then
    feeding: list[End] = field(default_factory=list)  # the caller's ends into the worker then
    reading: Wait | None = None  # how the worker waited for a request after its last response
    alone: bool | None = None  # with only the worker let run, it ended (None: not looked)
    woke: int | None = None  # ... and slept this many times from then until its end


def _look_at_the_first(seen: Seen, peer: channel.Peer) -> None:
    """At the first request, see which pipe the worker reads its requests on.

    The judge stops the caller (it waits for the first response) and answers; the worker
    sends the response and waits for the next request, which cannot come: the judge notes
    which of the caller's ends feed what the worker waits on. At the last request, a worker
    that ends while the stopped caller holds one of them did not end at EOF, whatever pipe
    the judge would set aside as multiprocessing's own.
    """
    caller, worker = seen.caller, peer.pid
    seen.asked = frozenset()
    began = time.monotonic()
    try:
        if not _stand_still(caller):
            peer.answer("ok")
            return  # a machine too busy to stop it in time: no look
        skip = probe.socket_inodes(os.getpid())
        peer.answer("ok")

        def reads() -> bool:  # the response waits for the caller; the worker waits for more
            row = probe.read(worker)
            if row is None or row.zombie:
                return True
            if not _waiting_for(caller, skip, worker):
                return False
            wait = _how_it_waits(worker, caller)
            if wait is None or not wait.on_it or wait.call is None:
                return False
            fds = (syscalls.input_fds(worker, wait.call) or frozenset()) & _fed_by(worker, caller)
            ends = [e for e in _ends(worker) if e.fd in fds]
            peers = _unix_peers({e.inode for e in ends if e.kind == "socket"})
            seen.asked = frozenset(
                peers.get(e.inode, 0) if e.kind == "socket" else e.inode for e in ends
            )
            return True

        holds_within(reads, SETTLE_S)  # no verdict of its own: the last request judges
    finally:
        stops.resume([caller])
        seen.paused += time.monotonic() - began


def _look_at_the_eof(last: str, seen: Seen, peer: channel.Peer, line: str) -> float | None:
    """At the last request, see what ends the worker, and that nothing more is sent to it.

    The worker says it handles the last request: the judge stops the caller (it waits for
    that response) and reads what waits for the worker. It answers; the worker sends the
    response and waits for more. The judge stops the worker, lets the caller go on, and once
    the caller waits (for the worker to end: join()), reads again what waits for the worker
    and which ends of the caller still reach it.

    Before it stops the worker, the judge waits until the worker waits in a read of its end
    (a poll, select or epoll with no timeout on it will do): a worker that sleeps, waits on an
    Event or polls with a timeout is not waiting for EOF. After the look at the caller, the
    judge stops the caller again, and every other process below it, and lets only the worker
    go on: nothing but what is in its pipes (EOF) can end it then, so it must end, and it may
    sleep at most once on its way out (a wait for something else sleeps again).
    """
    if not line.startswith('["handled"') or seen.eof is not None or peer.pid == seen.caller:
        return 0.0
    if json.loads(line)[1] != last:
        if seen.asked is not None:
            return 0.0
        _look_at_the_first(seen, peer)
        return None
    caller, worker = seen.caller, peer.pid
    look = seen.eof = EofLook(worker)
    began = time.monotonic()
    held = [caller, worker]  # whatever the judge stops, it lets go on in the end
    try:
        if not _stand_still(caller):
            return 0.0  # a machine too busy to stop it in time: no look, no verdict
        skip = probe.socket_inodes(os.getpid())
        look.early = _waiting_for(worker, skip)
        fed = _feeds(caller, worker)
        fed += [  # the pipe it reads its requests on is never set aside
            e for e in _ends(caller) if e.inode in (seen.asked or ()) and e.mode != READ
        ]
        fed = list(dict.fromkeys(fed))
        peer.answer("ok")
        state: list[str] = []

        def responded() -> bool:  # the response waits for the caller, or the worker ended
            row = probe.read(worker)
            if row is None or row.zombie:
                state.append("ended")
            elif _waiting_for(caller, skip, worker):
                state.append("responded")
            return bool(state)

        if not holds_within(responded, SETTLE_S):
            return None
        if state[0] == "ended":
            look.ended_fed = fed
            return None

        reading: list[Wait | None] = []

        def waits() -> bool:  # for the next request, in a read of its end (the caller stands)
            row = probe.read(worker)
            if row is None or row.zombie:
                state.append("ended")
                return True
            reading.append(_how_it_waits(worker, caller))
            return reading[-1] is None or reading[-1].on_it

        holds_within(waits, SETTLE_S)  # a worker that sleeps or polls is never seen reading
        if state[-1] == "ended":
            look.ended_fed = fed
            return None
        look.reading = reading[-1] if reading else None
        if look.reading is not None and not look.reading.on_it:
            return None  # the verdict: it does not wait for EOF
        if not _stand_still(worker):
            return None
        stops.resume([caller])
        calm: list[tuple[str, int]] = []

        def settled() -> bool:  # the caller took the response and waits (in join())
            call = _waiting_in(caller)
            if call is None or call[0] in _WRITES or _waiting_for(caller, skip, worker):
                calm.clear()
                return False
            calm.append(call)
            return len(calm) >= 2

        holds_within(settled, HANG_S)  # then look all the same: it still does not wait
        look.looked = True
        look.caller_wait = _waiting_in(caller)
        look.extra = _waiting_for(worker, skip)
        look.feeding = _feeds(caller, worker)
        if look.extra or look.feeding or look.reading is None:
            return None
        # Only the worker goes on now: whatever ends it is already in its pipes.
        held += [p.pid for p in probe.descendants(caller) if p.pid != worker and not p.zombie]
        stops.stop(held)
        if not stops.wait_stopped(held, SETTLE_S) or not probe.alive(caller):
            return None  # a machine too busy to stop them in time: no verdict
        first = probe.voluntary_switches(worker)
        stops.resume([worker])
        counts: list[int] = []

        def ended() -> bool:
            row = probe.read(worker)
            if row is None:
                return True  # reaped by the kernel (SIGCHLD ignored): ended all the same
            count = probe.voluntary_switches(worker)
            if count is not None:
                counts.append(count)
            return row.zombie

        look.alone = holds_within(ended, HANG_S)
        if first is not None and counts:
            look.woke = counts[-1] - first
        return None
    finally:
        stops.resume(held)
        seen.paused += time.monotonic() - began


@dataclass
class DeadLook:
    """How the caller waited for the answer of a worker about to die."""

    worker: int
    links: list[Link] = field(default_factory=list)
    switches: int | None = None  # the caller's voluntary context switches in the hold
    wait: Wait | None = None  # how the caller waited (the last look; None: cannot tell)


def _look_at_the_death(seen: Seen, peer: channel.Peer, line: str) -> float | None:
    """The worker is about to die: which ends does the caller hold, and does it wait?"""
    if line != "dying" or seen.dead is not None or peer.pid == seen.caller:
        return _at_once(seen, peer, line)
    look = seen.dead = DeadLook(peer.pid)
    began = time.monotonic()
    look.links = _links(peer.pid, seen.caller, own=True)
    first = probe.voluntary_switches(seen.caller)
    if first is not None:
        woke: list[int] = []

        def spins() -> bool:
            now = probe.voluntary_switches(seen.caller)
            if now is not None:
                woke.append(now - first)
            return bool(woke) and woke[-1] > WOKEN

        holds_within(spins, HOLD_S)
        look.switches = woke[-1] if woke else None
    waits: list[Wait | None] = []

    def in_recv() -> bool:  # the caller waits in a read of its end, with no timeout
        waits.append(_how_it_waits(seen.caller, peer.pid))
        return waits[-1] is None or waits[-1].on_it

    holds_within(in_recv, SETTLE_S)  # a caller that polls is never seen there
    look.wait = waits[-1] if waits else None
    seen.paused += time.monotonic() - began
    return 0.0


# -- the judge's side of a run ----------------------------------------------------------------


@dataclass
class Seen:
    """One run, and what the judge saw of it."""

    caller: int
    label: str
    lines: list[tuple[channel.Peer, str]] = field(default_factory=list)  # in arrival order
    hung: bool = False
    stuck: Who = field(default_factory=lambda: Who("", ""))
    outcome: Outcome | None = None
    links: list[Link] | None = None  # the closing test: what the judge found
    settled: tuple[str, int] | None = None  # ... and where the caller waited then
    gate: list[probe.Proc] | None = None  # the caller's children when the function was over
    stop_now: bool = False
    eof: EofLook | None = None  # test_the_worker_ends_at_eof: the look at the worker's end
    asked: frozenset[int] | None = None  # ... the inodes of the caller's ends the worker
    # waited on for its second request (the first look)
    dead: DeadLook | None = None  # test_a_dead_worker_is_an_eof_error: the look at its death
    paused: float = 0.0  # time the judge spent looking (stopped processes): not the run's

    def from_(self, line: str) -> list[channel.Peer]:
        return [peer for peer, said in self.lines if said == line]

    def handled(self) -> list[tuple[channel.Peer, str]]:
        found = []
        for peer, said in self.lines:
            if said.startswith('["handled"'):
                found.append((peer, json.loads(said)[1]))
        return found


OnLine = Callable[[Seen, channel.Peer, str], "float | None"]


def _at_once(seen: Seen, peer: channel.Peer, line: str) -> float | None:
    return None if line == "farewell" else 0.0


def _watch(
    student: Any,
    label: str,
    scenario: Callable[..., object],
    *args: Any,
    on_line: OnLine = _at_once,
) -> Seen:
    """Run ``scenario`` and answer what its handlers say; give it HANG_S to end by itself.

    ``on_line`` says, for each line a process says, how long to wait before answering it
    (None: no answer).
    """
    with channel.Channel("09") as judge:
        running = student.options(label=label).start_scenario(scenario, judge.address, *args)
        seen = Seen(running.pid, label)
        due: list[tuple[float, channel.Peer]] = []

        def take() -> None:
            for peer, line, *_ in judge.new_lines(0):  # wait_for does the waiting
                seen.lines.append((peer, line))
                if line == "done" and peer.pid == seen.caller and seen.gate is None:
                    # The function is over and the caller waits for our answer: what is
                    # still below it now was left behind (the judge reads, never reaps).
                    seen.gate = probe.children(seen.caller)
                    if any(not p.zombie for p in seen.gate):
                        seen.stuck = _stuck(seen.caller, with_caller=False)
                delay = on_line(seen, peer, line)
                if delay is not None:
                    due.append((time.monotonic() + delay, peer))
            now = time.monotonic()
            for entry in [d for d in due if d[0] <= now]:
                due.remove(entry)
                entry[1].answer("ok")

        def step() -> bool:
            finished = running.finished()  # first: what was said before it finished is read
            take()
            return finished or seen.stop_now

        began, ended = time.monotonic(), False
        while not ended and (left := began + HANG_S + seen.paused - time.monotonic()) > 0:
            ended = bool(judge.wait_for(step, left))  # a look in step() adds to seen.paused
        if ended:
            for _ in range(3):  # last words said just before the end (the worker's farewell)
                judge.poll(0.005)
            take()
            seen.outcome = running.stop(grace=0.5)
        else:
            seen.hung = True
            seen.stuck = _stuck(running.pid, [p.pid for p, _ in seen.lines])
            seen.outcome = running.time_out()
        return seen


def _outcome(seen: Seen) -> Outcome:
    """The run's outcome; a stub or a file that does not import fails the test here."""
    outcome = seen.outcome
    assert outcome is not None
    if outcome.error is not None and (outcome.error.todo or outcome.error.import_failed):
        raise outcome.as_problem()
    return outcome


def _not_hung(seen: Seen, lesson_en: str, lesson_zh: str, ref_en: str, ref_zh: str) -> Outcome:
    outcome = _outcome(seen)
    if seen.hung:
        fail(
            en=f"{seen.label} had not returned {HANG_S:g} s after it began (correct code takes "
            f"well under a second). {seen.stuck.en}\n{lesson_en} {ref_en}",
            zh=f"{seen.label} 开始 {HANG_S:g} 秒后还没有返回（正确的代码用不了一秒）。"
            f"{seen.stuck.zh}\n{lesson_zh}{ref_zh}",
        )
    return outcome


def _left_behind(seen: Seen, ref_en: str, ref_zh: str) -> None:
    """Nothing was below the caller when the student's function was over (the judge's gate)."""
    if seen.gate is None:
        raise _outcome(seen).as_problem()  # it never got there: ended the process, say
    zombies = [p for p in seen.gate if p.zombie]
    running = [p for p in seen.gate if not p.zombie]
    if not seen.gate:
        return
    seen_en, seen_zh = [], []
    if running:
        seen_en.append(f"still running: {probe.describe_all(running)}")
        seen_zh.append(f"还在运行的：{probe.describe_all(running)}")
    if zombies:
        seen_en.append(f"ended but never reaped (zombies): {probe.describe_all(zombies)}")
        seen_zh.append(f"已经结束却没有被回收的（僵尸进程）：{probe.describe_all(zombies)}")
    fail(
        en=f"when {seen.label} was over, its child was still there; "
        + "; ".join(seen_en)
        + f". {seen.stuck.en}\nClose your end, so that the child's recv() raises EOFError "
        "and its function returns, and join() the child before you return or raise (in a "
        f"finally block): join() waits for it and reaps it {ref_en}",
        zh=f"{seen.label} 结束时，它的子进程还在；"
        + "；".join(seen_zh)
        + f"。{seen.stuck.zh}\n关闭你这一端，让子进程的 recv() 抛出 EOFError、它的函数返回；"
        "并在返回或抛出异常之前（放在 finally 里）join() 子进程：join() 会等它结束并回收它"
        f"{ref_zh}",
    )


# -- Part 1: a worker you ask ---------------------------------------------------------------


def _requests() -> list[Any]:
    words = ["alpha", "管道", "", "delta", "kilo"]
    pool: list[Any] = [random.randint(-9, 99), random.choice(words), None, (1, "two"), 0]
    random.shuffle(pool)
    return [*pool[: random.randint(4, 5)], secrets.token_hex(3)]


EOF1_EN = (
    "When every response is in, close your end: the worker's recv() then raises EOFError and "
    "its function returns. That happens only once EVERY copy of your end is closed, and fork "
    "gave the worker one too: the worker closes its copy of your end first thing, and you "
    "close yours (and the worker's, which you do not use) right after start()."
)
EOF1_ZH = (
    "收齐所有应答之后，关闭你这一端：工作进程的 recv() 就会抛出 EOFError，它的函数随之返回。"
    "但只有你这一端的所有副本都关闭了才会这样，而 fork 也给了工作进程一份副本：工作进程一开始"
    "就要关闭它手里你这一端的副本；你则在 start() 之后马上关闭你用不到的那一端"
    "（工作进程的那一端）。"
)


def _check_answers(seen: Seen, requests: list[Any]) -> channel.Peer:
    """ask() returned the handler's answers, computed by one worker, a child of the caller."""
    outcome = _not_hung(seen, EOF1_EN, EOF1_ZH, END1_EN, END1_ZH)
    handled = seen.handled()
    if not handled:
        if outcome.returned:
            fail(
                en=f"{seen.label} returned {outcome.value!r}, and the handler was never called. "
                f"Send each request to the worker, which calls handler(request) {ONE_EN}.",
                zh=f"{seen.label} 返回了 {outcome.value!r}，但 handler 一次也没有被调用。要把每个"
                f"请求发给工作进程，由工作进程调用 handler(request){ONE_ZH}。",
            )
        raise outcome.as_problem()
    pids = list(dict.fromkeys(peer.pid for peer, _ in handled))
    if seen.caller in pids:
        fail(
            en=f"the handler ran in your function's own process (pid {seen.caller}): the "
            "kernel says so. A thread, or calling handler() yourself, is not a worker process: "
            "start a multiprocessing.Process that receives the requests on its end of the "
            f"pipe and calls handler there {ONE_EN}.",
            zh=f"handler 是在你的函数自己的进程（pid {seen.caller}）里运行的：内核是这么说的。"
            "线程、或者自己直接调用 handler()，都不是工作进程：要启动一个 multiprocessing.Process，"
            f"让它从自己那一端收请求，在那里调用 handler{ONE_ZH}。",
        )
    for peer, _ in handled:
        check(
            peer.row is not None and peer.row.ppid == seen.caller,
            en=f"the handler ran in pid {peer.pid}, which is not a child of your function's "
            f"process (pid {seen.caller}) {ONE_EN}.",
            zh=f"handler 运行在 pid {peer.pid} 里，它不是你的函数所在进程（pid {seen.caller}）"
            f"的子进程{ONE_ZH}。",
        )
    check(
        len(pids) == 1,
        en=f"the {len(requests)} requests were handled by {len(pids)} different processes "
        f"(pids {pids}): start ONE worker and send it every request, one after another "
        f"{ONE_EN}.",
        zh=f"这 {len(requests)} 个请求由 {len(pids)} 个不同的进程处理（pid {pids}）：只启动"
        f"一个工作进程，把所有请求依次发给它{ONE_ZH}。",
    )
    got = [said for _, said in handled]
    want = [repr(r) for r in requests]
    check(
        got == want,
        en=f"the worker handled the requests {got}; sent were {want}: each request exactly "
        f"once, in order, as one object (a tuple stays one request) {ONE_EN}.",
        zh=f"工作进程处理的请求依次是 {got}；发出的是 {want}：每个请求恰好处理一次，按顺序，"
        f"作为一个整体（元组也只是一个请求）{ONE_ZH}。",
    )
    value = outcome.value_or_raise()
    expected = [_show(_token(r)) for r in requests]
    check(
        value == expected,
        en=f"{seen.label} returned {value!r}; the handler's responses were {expected!r}. "
        f"Return what the worker sent back for each request, in the order of the requests "
        f"{ONE_EN}.",
        zh=f"{seen.label} 返回了 {value!r}；handler 的应答依次是 {expected!r}。要按请求的顺序"
        f"返回工作进程为每个请求发回的结果{ONE_ZH}。",
    )
    return handled[0][0]


def _named(ends: Iterable[End]) -> Who:
    ends = list(ends)
    kinds = {"socket": ("a duplex pipe", "双向管道"), "pipe": ("a pipe", "管道")}
    en = ", ".join(f"fd {e.fd} ({kinds[e.kind][0]})" for e in ends)
    zh = "、".join(f"fd {e.fd}（{kinds[e.kind][1]}）" for e in ends)
    return Who(en, zh)


def _described(wait: Wait) -> Who:
    """Where a process was seen instead of a read of its end, in words."""
    call = wait.call
    if call is None or not call.blocked:
        return Who("running, in no wait at all", "在运行，没有在任何调用里等待")
    if call.waits_for_input and not _no_timeout(call):
        return Who(f"in {call.name}() with a timeout", f"在带超时的 {call.name}() 里")
    if call.waits_for_input:
        return Who(
            f"in {call.name}() on other descriptors than its end",
            f"在 {call.name}() 里等别的文件描述符，而不是它那一端",
        )
    return Who(f"in {call.name}()", f"在 {call.name}() 里")


def _check_the_eof(seen: Seen, worker: int) -> None:
    """The judge's look at the last request: the worker ends at EOF, with no message."""
    look = seen.eof
    if look is None or look.worker != worker:
        return  # the judge could not stop the caller in time: no verdict
    caller = seen.caller
    if look.early:
        end, size = look.early[0]
        where = _named([end])
        fail(
            en=f"while the worker (pid {worker}) handled the last request, {size} byte(s) "
            f"already waited for it on {where.en}: your process sent it something after the "
            "last request, before that request's response came (a stop message?). Send "
            "nothing but the requests: when every response is in, close your end; the "
            f"worker's recv() raises EOFError, and that is its signal to end {END1_EN}.",
            zh=f"工作进程（pid {worker}）处理最后一个请求的时候，{where.zh}上已经有 {size} 字节"
            "在等它读：最后一个请求之后、它的应答到来之前，你的进程又给它发了别的东西（一条“停止”"
            "消息？）。除了请求什么都不要发：收齐应答之后关闭你这一端，工作进程的 recv() 会抛出 "
            f"EOFError，这就是它结束的信号{END1_ZH}。",
        )
    if look.ended_fed:
        held = _named(look.ended_fed)
        fail(
            en=f"the worker (pid {worker}) ended right after its last response, while your "
            f"process (pid {caller}) stood still (the judge had stopped it) and still held "
            f"its end, {held.en}: the worker's recv() could not raise EOFError then, so the "
            "worker ended by itself (after a count of requests, or on a message). Let it "
            "loop until recv() raises EOFError, which happens when you close your end "
            f"{END1_EN}.",
            zh=f"工作进程（pid {worker}）发出最后一个应答后马上就结束了，而当时你的进程"
            f"（pid {caller}）被评测程序暂停着，手里还开着它那一端（{held.zh}）：那时工作进程的 "
            "recv() 不可能抛出 EOFError，所以它是自己决定结束的（数够了请求，或者收到了某条消息）。"
            f"让它一直循环，直到 recv() 抛出 EOFError；你关闭自己这一端时就会这样{END1_ZH}。",
        )
    reading = look.reading
    if reading is not None and not reading.on_it:
        how = _described(reading)
        fail(
            en=f"the worker (pid {worker}) sent its last response while your process (pid "
            f"{caller}) stood still (the judge had stopped it) with its end still open; for "
            f"{SETTLE_S:g} s the worker did not wait in recv() on its end of the pipe: it was "
            f"seen {how.en}. A worker that ends at EOF waits for the next request in recv() "
            "(or in a wait with no timeout on that end), until recv() raises EOFError because "
            "you closed your end. One that sleeps, waits on an Event or polls with a timeout "
            f"learns some other way that it is done {END1_EN}.",
            zh=f"工作进程（pid {worker}）发出最后一个应答时，你的进程（pid {caller}）被评测程序"
            f"暂停着，它那一端还开着；在 {SETTLE_S:g} 秒里，工作进程都没有在自己那一端的 recv() "
            f"里等待：评测程序看到它{how.zh}。靠 EOF 结束的工作进程在 recv()（或者在这一端上不带"
            "超时的等待）里等下一个请求，直到你关闭你这一端、recv() 抛出 EOFError 为止。睡眠、"
            f"等 Event、带超时轮询的工作进程，是从别的途径得知该结束了{END1_ZH}。",
        )
    if not look.looked:
        return  # the worker never settled, or would not stop in time: no verdict
    call = look.caller_wait
    if call is None:
        how = Who("", "")
    elif call[0] in _REAPS:
        how = Who(" in join()", "（在 join() 里）")
    else:
        how = Who(f" in {call[0]}()", f"（在 {call[0]}() 里）")
    if look.extra:
        end, size = look.extra[0]
        where = _named([end])
        fail(
            en=f"the judge stopped the worker (pid {worker}) once it had sent its last "
            f"response, and let your process go on. When your process waited{how.en} for the "
            f"worker to end, {size} byte(s) waited for the worker on {where.en}: after the "
            "last response you sent it one more message (a stop message?). The worker must "
            "end because your end is closed (its recv() raises EOFError), not because of a "
            f"message {END1_EN}.",
            zh=f"工作进程（pid {worker}）发出最后一个应答后，评测程序暂停了它，让你的进程继续运行。"
            f"你的进程等工作进程结束{how.zh}的时候，{where.zh}上有 {size} 字节在等工作进程读："
            "收到最后一个应答之后，你又给它发了一条消息（“停止”消息？）。工作进程应当因为你关闭了"
            f"你这一端（它的 recv() 抛出 EOFError）而结束，而不是因为收到某条消息{END1_ZH}。",
        )
    if look.feeding:
        held = _named(look.feeding)
        fail(
            en=f"when your process (pid {caller}) waited{how.en} for the worker (pid {worker}) "
            f"to end, it still held its end of the pipe, {held.en}: while a copy of it is "
            "open, the worker's recv() cannot raise EOFError, so the worker can only end some "
            f"other way. Close your end first, then join() the worker {END1_EN}.",
            zh=f"你的进程（pid {caller}）等工作进程（pid {worker}）结束{how.zh}的时候，手里还开着"
            f"管道的自己这一端（{held.zh}）：只要它还有一份副本开着，工作进程的 recv() 就不会抛出 "
            f"EOFError，工作进程只能以别的方式结束。先关闭你这一端，再 join() 工作进程{END1_ZH}。",
        )
    if look.alone is False:
        fail(
            en=f"your process (pid {caller}) had closed its end and waited{how.en} for the "
            f"worker (pid {worker}); then the judge stopped your process, and every other "
            f"process below it, and let only the worker run: it did not end within {HANG_S:g} "
            "s. The EOF was there to read, so the worker waited for something else from your "
            "side (a message sent later, from another thread or process, on a pipe the judge "
            "took for multiprocessing's own?). Let the worker's recv() raise EOFError and its "
            f"loop end: nothing but your closed end should end it {END1_EN}.",
            zh=f"你的进程（pid {caller}）已经关闭了自己这一端，正在等工作进程（pid {worker}）"
            f"结束{how.zh}；这时评测程序暂停了你的进程以及它下面的其他所有进程，只让工作"
            f"进程运行：它在 {HANG_S:g} 秒内没有结束。EOF 明明已经可以读到，工作进程却在等你这边"
            "的别的东西（一条稍后才发的消息？来自另一个线程或进程，走的是评测程序当作 "
            "multiprocessing 自用的那根管道？）。让工作进程的 recv() 抛出 EOFError、循环结束："
            f"结束它的只应当是你关闭的那一端{END1_ZH}。",
        )
    if look.woke is not None and look.woke > ENDING_SLEEPS:
        fail(
            en=f"once your process (pid {caller}) had closed its end, the judge stopped it and "
            f"let only the worker (pid {worker}) run: it slept {look.woke} times before it "
            f"ended (its end counts one; at most {ENDING_SLEEPS} pass). A worker whose recv() "
            "raises EOFError ends at once; this one waited for something else after the EOF "
            f"(a timer, another message) {END1_EN}.",
            zh=f"你的进程（pid {caller}）关闭自己这一端之后，评测程序暂停了它，只让工作进程"
            f"（pid {worker}）运行：工作进程在结束之前睡眠了 {look.woke} 次（进程结束本身算一次；"
            f"最多 {ENDING_SLEEPS} 次）。recv() 抛出 EOFError 的工作进程会马上结束；这个工作进程在 "
            f"EOF 之后还在等别的东西（定时器、另一条消息）{END1_ZH}。",
        )


def _check_the_death(seen: Seen) -> None:
    """The judge's look before the worker died: the caller waits in recv(), and only the
    worker holds the worker's end, so the worker's death is what makes recv() raise."""
    look = seen.dead
    if look is None:
        return  # the worker never got there: the checks after this one say why
    worker, caller = look.worker, seen.caller
    if not look.links:
        fail(
            en=f"while the worker (pid {worker}) was about to die, the judge found no pipe "
            f"from it to your process (pid {caller}). Start the worker as a "
            "multiprocessing.Process; the responses come through a Pipe, and the EOFError "
            f"from your recv() on it says the worker is gone {DEAD_EN}.",
            zh=f"工作进程（pid {worker}）快要退出的时候，评测程序没有找到从它通向你的进程"
            f"（pid {caller}）的任何管道。要用 multiprocessing.Process 启动工作进程；应答经 Pipe "
            f"传回来，工作进程不在了，由你在它上面的 recv() 抛出 EOFError 来告诉你{DEAD_ZH}。",
        )
    for link in look.links:
        if link.caller_also:
            held = _named(link.caller_also)
            fail(
                en=f"while the worker (pid {worker}) was about to die, your process (pid "
                f"{caller}) still held a copy of the worker's end, {held.en}. Your recv() "
                "raises EOFError only once every copy of the worker's end is closed: with "
                "this one open it can never see the worker die. Close it right after start(), "
                "and let recv() raise the EOFError; don't find the death with is_alive() and "
                f"raise one yourself {DEAD_EN}.",
                zh=f"工作进程（pid {worker}）快要退出的时候，你的进程（pid {caller}）手里还有工作"
                f"进程那一端的副本（{held.zh}）。只有工作进程那一端的所有副本都关闭了，你的 recv() "
                "才会抛出 EOFError：这份副本开着，它就永远看不到工作进程退出。start() 之后马上关闭"
                "它，让 recv() 抛出 EOFError；不要用 is_alive() 去发现工作进程死了、再自己抛出一个"
                f"{DEAD_ZH}。",
            )
    if look.switches is not None and look.switches > WOKEN:
        fail(
            en=f"while the judge held the worker (pid {worker}) for {HOLD_S:g} s before it "
            f"died, your process (pid {caller}) woke up {look.switches} times or more: it "
            "polled (poll(timeout), is_alive(), sleep()) instead of waiting. Wait in recv(): "
            "it returns the response, or raises EOFError as soon as the worker is gone "
            f"{DEAD_EN}.",
            zh=f"评测程序让工作进程（pid {worker}）在退出前停留了 {HOLD_S:g} 秒，这期间你的进程"
            f"（pid {caller}）醒来了至少 {look.switches} 次：它在轮询（poll(timeout)、is_alive()、"
            "sleep()），而不是在等待。就在 recv() 里等：它要么返回应答，要么在工作进程一不在了就"
            f"抛出 EOFError{DEAD_ZH}。",
        )
    wait = look.wait
    if wait is not None and not wait.on_it:
        how = _described(wait)
        fail(
            en=f"while the judge held the worker (pid {worker}) before it died, your process "
            f"(pid {caller}) did not wait in recv() for the response: for {SETTLE_S:g} s it "
            f"was seen {how.en}. A caller that polls (poll(timeout), is_alive(), sleep()), "
            "however rarely, finds the death late and raises an EOFError of its own. Wait in "
            "recv() on your end: it returns the response, or raises EOFError as soon as the "
            f"worker is gone {DEAD_EN}.",
            zh=f"评测程序让工作进程（pid {worker}）在退出前停留的时候，你的进程（pid {caller}）"
            f"没有在 recv() 里等应答：在 {SETTLE_S:g} 秒里，评测程序看到它{how.zh}。轮询的调用者"
            "（poll(timeout)、is_alive()、sleep()），不管隔多久轮询一次，都会晚一步才发现工作进程"
            "死了，再自己抛出一个 EOFError。就在你这一端的 recv() 里等：它要么返回应答，要么在"
            f"工作进程一不在了就抛出 EOFError{DEAD_ZH}。",
        )


@pytest.mark.points(3)
def test_one_worker_answers_each_request(student):
    requests = _requests()
    seen = _watch(student, f"ask(handler, {requests!r})", _ask_scenario, "answer", requests)
    _check_answers(seen, requests)


@pytest.mark.points(3)
def test_the_worker_ends_at_eof(student):
    requests = _requests()
    seen = _watch(
        student, f"ask(handler, {requests!r})", _ask_scenario, "answer", requests,
        on_line=functools.partial(_look_at_the_eof, repr(requests[-1])),
    )  # fmt: skip
    worker = _check_answers(seen, requests)
    _check_the_eof(seen, worker.pid)
    check(
        worker.pid in {peer.pid for peer in seen.from_("farewell")},
        en=f"the worker (pid {worker.pid}) never returned from its function: it was ended "
        "from outside (terminate(), kill()) or left with os._exit(). A worker that is "
        "killed may be in the middle of a response; let it end by itself: close your end, "
        f"its recv() raises EOFError, its loop ends and its function returns {END1_EN}.",
        zh=f"工作进程（pid {worker.pid}）的函数没有正常返回：它是被从外面结束的（terminate()、"
        "kill()），或者用 os._exit() 退出的。被杀掉的工作进程可能正发着一半应答；要让它自己结束："
        f"关闭你这一端，它的 recv() 抛出 EOFError，循环结束，函数返回{END1_ZH}。",
    )
    _left_behind(seen, END1_EN, END1_ZH)


@pytest.mark.points(2)
def test_big_messages_one_at_a_time(student):
    seeds = [random.randrange(1 << 30) for _ in range(3)]
    label = f"ask(handler, [three requests of {BIG >> 20} MiB])"
    seen = _watch(student, label, _ask_scenario, "mirror", seeds)
    outcome = _not_hung(
        seen,
        "Each request and each response here is 1 MiB, far more than a pipe's buffer holds: "
        "send() returns only once the other side has read most of it. If you send every "
        "request before you read any response, the worker, whose response nobody reads, "
        "stops in send(), and so do you: each waits for the other for ever. Send one "
        "request, receive its response, then send the next.",
        "这里每个请求、每个应答都有 1 MiB，远远超过管道缓冲区的容量：只有对方读走了大部分数据，"
        "send() 才会返回。如果你先把所有请求都发出去再读应答，工作进程的应答没人读，它就停在 "
        "send() 里，你也停在 send() 里：双方永远互相等待。应当发一个请求，收它的应答，再发下一个。",
        BIG_EN,
        BIG_ZH,
    )
    value = outcome.value_or_raise()
    expected = [_show(_mirror(r)) for r in _big_requests(seeds)]
    check(
        value == expected,
        en=f"{label} returned {value!r}; the handler's responses were {expected!r} {BIG_EN}.",
        zh=f"{label} 返回了 {value!r}；handler 的应答是 {expected!r}{BIG_ZH}。",
    )


@pytest.mark.points(2)
def test_a_dead_worker_is_an_eof_error(student):
    requests = ["one", "two", STOP, "four"]
    label = f"ask(handler, {requests!r})"
    seen = _watch(student, label, _ask_scenario, "fragile", requests, on_line=_look_at_the_death)
    outcome = _not_hung(
        seen,
        f"The handler ends the worker (exit code 7) at the request {STOP!r}, so its answer "
        "never comes. Your recv() raises EOFError only if no process holds the worker's end "
        "any more: close your copy of it right after start(), and the worker's death closes "
        "the last one.",
        f"handler 在处理请求 {STOP!r} 时结束了工作进程（退出码 7），它的应答永远不会来了。只有当"
        "任何进程都不再持有工作进程那一端时，你的 recv() 才会抛出 EOFError：start() 之后马上关闭"
        "你手里的那份副本，工作进程一死，最后一份副本也就关闭了。",
        DEAD_EN,
        DEAD_ZH,
    )
    if outcome.ending is Ending.CRASHED and outcome.exit is not None and outcome.exit.code == 7:
        fail(
            en=f"{label}: your function's own process ended with exit code 7, the handler's: "
            f"the handler ran in your process, not in a worker {ONE_EN}.",
            zh=f"{label}：你的函数自己的进程以退出码 7 结束了，这正是 handler 的退出码：handler "
            f"是在你的进程里运行的，而不是在工作进程里{ONE_ZH}。",
        )
    if outcome.returned:
        fail(
            en=f"{label} returned {outcome.value!r}, though the worker died at {STOP!r} and "
            "never answered it. Let the EOFError that recv() raises propagate: a caller that "
            f"gets a list cannot tell that answers are missing {DEAD_EN}.",
            zh=f"{label} 返回了 {outcome.value!r}，可是工作进程在处理 {STOP!r} 时就死了，根本没有"
            "应答。让 recv() 抛出的 EOFError 传出去：拿到一个列表的调用者无从知道少了应答"
            f"{DEAD_ZH}。",
        )
    _check_the_death(seen)
    error = outcome.error
    if error is None:
        raise outcome.as_problem()
    check(
        error.type == "EOFError",
        en=f"{label} raised {error.type}: {error.message}; expected the EOFError that recv() "
        f"raises when the worker is gone. Don't catch it or replace it {DEAD_EN}.\n"
        f"{error.traceback}",
        zh=f"{label} 抛出了 {error.type}: {error.message}；应当是工作进程不在了时 recv() 抛出的 "
        f"EOFError。不要捕获它，也不要换成别的异常{DEAD_ZH}。\n{error.traceback}",
    )
    _left_behind(seen, DEAD_EN, DEAD_ZH)


# -- Part 2: a one-way stream ---------------------------------------------------------------

EOF2_EN = (
    "The loop ends when recv() raises EOFError, and that happens only once EVERY copy of the "
    "send end is closed: fork gave your process one too, so close it right after start(). "
    "And join the child only after the loop: a child with more to send than the pipe holds "
    "waits in send() until you read."
)
EOF2_ZH = (
    "循环在 recv() 抛出 EOFError 时结束，而只有发送端的所有副本都关闭了才会这样：fork 让你的进程"
    "也持有一份，所以 start() 之后马上关闭它。另外，要在循环结束之后才 join() 子进程：要发送的数据"
    "超过管道容量时，子进程会在 send() 里一直等到你去读。"
)


def _check_producer(seen: Seen, outcome: Outcome) -> None:
    """produce() ran, in a child of the caller."""
    producing = seen.from_("producing")
    if not producing:
        if outcome.returned:
            fail(
                en=f"{seen.label} returned {outcome.value!r}, and produce() was never called. "
                f"Start a child Process that calls produce() and sends what it yields {WHOLE_EN}.",
                zh=f"{seen.label} 返回了 {outcome.value!r}，但 produce() 一次也没有被调用。要启动"
                f"一个子进程，由它调用 produce() 并把产生的每一项发出来{WHOLE_ZH}。",
            )
        raise outcome.as_problem()
    peer = producing[0]
    check(
        peer.pid != seen.caller,
        en=f"produce() ran in your function's own process (pid {seen.caller}): the kernel says "
        "so. The items must come from a child Process, through the pipe; a thread is not a "
        f"process {WHOLE_EN}.",
        zh=f"produce() 是在你的函数自己的进程（pid {seen.caller}）里运行的：内核是这么说的。数据"
        f"必须由子进程产生、经管道送过来；线程不是进程{WHOLE_ZH}。",
    )
    check(
        peer.row is not None and peer.row.ppid == seen.caller,
        en=f"produce() ran in pid {peer.pid}, which is not a child of your function's process "
        f"(pid {seen.caller}) {WHOLE_EN}.",
        zh=f"produce() 运行在 pid {peer.pid} 里，它不是你的函数所在进程（pid {seen.caller}）"
        f"的子进程{WHOLE_ZH}。",
    )


def _pause_in_the_middle(seen: Seen, peer: channel.Peer, line: str) -> float | None:
    return PAUSE_S if line == "pause" else 0.0


@pytest.mark.points(3)
def test_the_stream_arrives_whole_and_in_order(student):
    seed, count = random.randrange(1 << 30), random.randint(6, 8)
    pause_at = count - 2
    label = "collect(produce)"
    seen = _watch(
        student, label, _collect_scenario, seed, count, pause_at, on_line=_pause_in_the_middle
    )
    outcome = _not_hung(seen, EOF2_EN, EOF2_ZH, END2_EN, END2_ZH)
    _check_producer(seen, outcome)
    value = outcome.value_or_raise()
    expected = [_show(x) for x in _stream_items(seed, count)]
    if isinstance(value, list) and value == expected[: len(value)] and len(value) < count:
        fail(
            en=f"{label} returned the first {len(value)} of the {count} items produce() yields. "
            f"The producer only paused ({PAUSE_S:g} s) before item {pause_at}: a pipe with "
            "nothing in it does not mean the stream is over. Don't stop on poll(timeout) or "
            "on a count; only EOFError, once the child has closed the send end, says the "
            f"stream is over {END2_EN}.",
            zh=f"{label} 只返回了 produce() 产生的 {count} 项中的前 {len(value)} 项。生产者只是在"
            f"第 {pause_at} 项之前停了一下（{PAUSE_S:g} 秒）：管道里暂时没有数据，并不代表数据流"
            "结束了。不要靠 poll(timeout) 或者计数来判断结束；只有子进程关闭发送端之后 recv() "
            f"抛出的 EOFError 才说明数据流结束了{END2_ZH}。",
        )
    check(
        value == expected,
        en=f"{label} returned {value!r}; produce() yielded {expected!r}: every item, in the "
        f"order it was sent, each one whole {WHOLE_EN}.",
        zh=f"{label} 返回了 {value!r}；produce() 产生的是 {expected!r}：每一项都要收到，按发送"
        f"的顺序，每一项都完整{WHOLE_ZH}。",
    )


@pytest.mark.points(3)
def test_the_reader_ends_at_eof(student):
    label = "collect(produce)  # produce() yields nothing"
    seen = _watch(student, label, _collect_scenario, 0, 0, -1)
    outcome = _not_hung(seen, EOF2_EN, EOF2_ZH, END2_EN, END2_ZH)
    _check_producer(seen, outcome)
    value = outcome.value_or_raise()
    check(
        value == [],
        en=f"{label} returned {value!r}: an empty stream is an empty list. The first recv() "
        f"raises EOFError at once {END2_EN}.",
        zh=f"{label} 返回了 {value!r}：空的数据流就是空列表。第一次 recv() 就会抛出 EOFError"
        f"{END2_ZH}。",
    )
    _left_behind(seen, END2_EN, END2_ZH)


def _look_at_the_ends(seen: Seen, peer: channel.Peer, line: str) -> float | None:
    """While the child waits in produce(), see which process holds which end."""
    if line != "producing" or seen.links is not None:
        return 0.0
    if peer.pid == seen.caller:
        seen.links = []
        return 0.0

    def settled() -> bool:
        seen.settled = _waiting_in(seen.caller)
        return seen.settled is not None and seen.settled[0] not in _WRITES

    holds_within(settled, SETTLE_S)  # the caller is past its setup: it waits for the items
    seen.links = _links(peer.pid, seen.caller)
    seen.stop_now = any(link.child_also or link.caller_also for link in seen.links)
    return 0.0


@pytest.mark.points(2)
def test_each_process_closes_the_end_it_does_not_use(student):
    label = "collect(produce)"
    seen = _watch(
        student, label, _collect_scenario, random.randrange(1 << 30), 2, -1,
        on_line=_look_at_the_ends,
    )  # fmt: skip
    outcome = _outcome(seen)
    # No "producing" line (the run ended, raised or hung before produce() ran), or one from
    # the caller itself (seen.links == []): _check_producer says so, and the test ends there.
    _check_producer(seen, outcome)
    child = seen.from_("producing")[0].pid
    links = seen.links
    assert links is not None  # the judge looked at the ends when the child said "producing"
    for link in links:
        kind_en = "pipe" if link.kind == "pipe" else "duplex pipe"
        kind_zh = "管道" if link.kind == "pipe" else "双向管道"
        fds = ", ".join(str(e.fd) for e in link.child_also)
        check(
            not link.child_also,
            en=f"when the child (pid {child}) was about to send on fd {link.child_fd}, it still "
            f"held the end that your process reads, as fd {fds}. The child never reads: close "
            "that copy first thing in the child (otherwise, should your process stop reading "
            f"or die, the child's send() would never fail, it would wait for ever) {CLOSE_EN}.",
            zh=f"子进程（pid {child}）正要在 fd {link.child_fd} 上发送的时候，还持有你的进程"
            f"用来读的那一端（fd {fds}）。子进程从来不读：要在子进程一开始就关闭这份副本"
            "（否则，万一你的进程不读了或者死了，子进程的 send() 不会出错，只会永远等下去）"
            f"{CLOSE_ZH}。",
        )
        fds = ", ".join(str(e.fd) for e in link.caller_also)
        check(
            not link.caller_also,
            en=f"while your function's process (pid {seen.caller}) waited for the items on fd "
            f"{link.caller_fd}, it still held the {kind_en}'s send end, as fd {fds}. Your process "
            "never sends: close it right after start(), or recv() never raises EOFError, "
            f"because a copy of the send end is still open - your own {CLOSE_EN}.",
            zh=f"你的函数所在的进程（pid {seen.caller}）在 fd {link.caller_fd} 上等数据的时候，"
            f"还持有{kind_zh}的发送端（fd {fds}）。你的进程从来不发送：start() 之后马上关闭它，"
            f"否则发送端还有一份副本开着——就在你自己手里——recv() 永远不会抛出 EOFError{CLOSE_ZH}。",
        )
    check(
        bool(links),
        en=f"while the child (pid {child}) was producing, the judge found no pipe between it "
        f"and your function's process (pid {seen.caller}): no pipe the child writes and your "
        "process reads, no duplex pipe joining the two (the pipe multiprocessing keeps for "
        "join() carries no items and does not count). Items handed over another way (shared "
        "memory, a file, a manager) are not what this part practises: create receive_end, "
        "send_end = Pipe(duplex=False) before start(); the child sends every item on "
        "send_end, your process receives them on receive_end until EOFError, and each "
        f"closes the end it does not use {PART2_EN}.",
        zh=f"子进程（pid {child}）产生数据的时候，评测程序在它和你的函数所在的进程"
        f"（pid {seen.caller}）之间没有找到任何管道：既没有子进程写、你的进程读的管道，也没有"
        "连接两者的双向管道（multiprocessing 为 join() 自己留的那根管道不传数据，不算数）。"
        "用别的办法（共享内存、文件、manager）把数据交过来，都不是这一部分要练的："
        "在 start() 之前创建 receive_end, send_end = Pipe(duplex=False)；子进程在 send_end "
        "上发送每一项，你的进程在 receive_end 上一直接收到 EOFError 为止，双方各自关闭用不到的"
        f"那一端{PART2_ZH}。",
    )
    if seen.hung:
        _not_hung(seen, EOF2_EN, EOF2_ZH, END2_EN, END2_ZH)
    outcome.value_or_raise()
