"""What each thread of a process is blocked in, read from outside the process.

The kernel shows, in ``/proc/<pid>/task/<tid>/syscall``, the system call a blocked thread is
in and its six arguments. That is how the judge tells *how* a process waits, which nothing the
process says can change: a task let go by a signal waits in ``rt_sigtimedwait``, a thread
serving one client waits in ``recvfrom`` on that client's socket, a polling loop sits in
``clock_nanosleep``. Specs read it here rather than each keeping a table of call numbers.

These readers never signal, stop or attach to the process. Reading another process's syscall
file needs the right to ptrace it (the same uid and a dumpable process, or ``CAP_SYS_PTRACE``):
a process that makes itself non-dumpable hides its calls from a judge that is not root, which
:class:`Hidden` reports, so that a spec can fail it rather than give no verdict. Linux on
x86_64 and aarch64 only; elsewhere every reader says "cannot tell" (None).
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from dataclasses import dataclass

from grader import probe

# System call numbers as the syscall file shows them, for the calls a waiting thread sits in
# and a few it passes through (from the kernels' syscall tables: x86_64's own, and the generic
# table aarch64 uses).
_TABLES: dict[str, dict[int, str]] = {
    "x86_64": {0: "read", 1: "write", 7: "poll", 19: "readv", 23: "select", 34: "pause",
               35: "nanosleep", 43: "accept", 44: "sendto", 45: "recvfrom", 46: "sendmsg",
               47: "recvmsg", 61: "wait4", 128: "rt_sigtimedwait", 130: "rt_sigsuspend",
               202: "futex", 219: "restart_syscall", 230: "clock_nanosleep",
               232: "epoll_wait", 247: "waitid", 270: "pselect6", 271: "ppoll",
               281: "epoll_pwait", 288: "accept4", 299: "recvmmsg", 441: "epoll_pwait2"},
    "aarch64": {22: "epoll_pwait", 63: "read", 64: "write", 65: "readv", 72: "pselect6",
                73: "ppoll", 95: "waitid", 98: "futex", 101: "nanosleep",
                115: "clock_nanosleep", 128: "restart_syscall", 133: "rt_sigsuspend",
                137: "rt_sigtimedwait", 202: "accept", 206: "sendto", 207: "recvfrom",
                211: "sendmsg", 212: "recvmsg", 242: "accept4", 243: "recvmmsg",
                260: "wait4", 441: "epoll_pwait2"},
}  # fmt: skip
# A thread stopped (SIGSTOP) in a wait with a timeout that the kernel restarts by itself (a
# futex with a timeout, as a multiprocessing acquire(timeout=...)) shows "restart_syscall"
# once continued, with the first call's arguments still in its registers, until that wait
# ends: a look after a stop may see it where a look before saw the call by its name.
NAMES: dict[int, str] | None = (
    _TABLES.get(os.uname().machine) if sys.platform.startswith("linux") else None
)

RECEIVES = {"read": None, "readv": None, "recvfrom": 3, "recvmsg": 2, "recvmmsg": 3}
"""Calls that read one descriptor (their first argument), with the index of their flags."""
POLLS = frozenset({"poll", "ppoll"})
SELECTS = frozenset({"select", "pselect6"})
EPOLLS = frozenset({"epoll_wait", "epoll_pwait", "epoll_pwait2"})
SIGNAL_WAITS = frozenset({"rt_sigtimedwait", "rt_sigsuspend"})  # a signal of the set ends it
SLEEPS = frozenset({"nanosleep", "clock_nanosleep"})

SEMAPHORE_FILES = "/dev/shm/sem."
"""Where glibc maps named POSIX semaphores from: on Linux, multiprocessing's Lock, RLock,
Semaphore, Condition and Event (``SemLock``) wait in ``futex`` on a word of such a page."""

_FUTEX_COMMAND = 0x7F  # a futex call's operation, without its private and clock flags
_FUTEX_WAITS = frozenset({0, 9})  # FUTEX_WAIT, FUTEX_WAIT_BITSET (glibc's sem_wait)
_MSG_PEEK = 2  # a peek leaves the bytes for somebody else to read
_POLLIN = 1  # POLLIN and EPOLLIN
_MOST_FDS = 1 << 13  # the most descriptors the judge reads of one poll or select


class Hidden(Exception):
    """The process made itself non-dumpable: a judge that is not root may not read its calls."""


@dataclass(frozen=True)
class Call:
    """What one thread was doing at one look."""

    tid: int
    name: str  # the call's name; "running" (on a CPU or about to be), "syscall N" (not listed)
    args: tuple[int, ...]  # its six arguments; () when it is not in a system call
    line: str  # the whole line, stack and instruction pointers too: the same line twice is
    # the same wait (or, rarely, the same call made again from the same place)

    @property
    def blocked(self) -> bool:
        """In a system call (a thread shown in one that has not yet returned)."""
        return bool(self.args)

    @property
    def peeks(self) -> bool:
        """A receive that leaves the bytes where they are (``MSG_PEEK``)."""
        flags = RECEIVES.get(self.name)
        return flags is not None and bool(self.args[flags] & _MSG_PEEK)

    @property
    def waits_for_input(self) -> bool:
        """A read of one descriptor (not a peek), or a poll, select or epoll wait."""
        if self.name in RECEIVES:
            return not self.peeks
        return self.name in POLLS or self.name in SELECTS or self.name in EPOLLS


def parse(tid: int, line: str) -> Call:
    """One syscall file's line: ``NR arg1 .. arg6 sp pc``, ``-1 sp pc`` (blocked but not in a
    system call) or ``running``."""
    fields = line.split()
    if len(fields) >= 7 and fields[0].isdigit():
        number = int(fields[0])
        name = (NAMES or {}).get(number, f"syscall {number}")
        return Call(tid, name, tuple(int(a, 16) for a in fields[1:7]), line.strip())
    return Call(tid, fields[0] if fields else "running", (), line.strip())


def threads(pid: int) -> list[Call] | None:
    """What every thread of ``pid`` is doing, in the order of their ids.

    None where the judge cannot tell: not Linux, an architecture without a table here, the
    process gone, or a kernel or policy that hides the files. Raises :class:`Hidden` where the
    process hid them itself (non-dumpable). A thread that ends while it is read is left out.
    """
    if NAMES is None:
        return None
    try:
        tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None
    calls = []
    for tid in tids:
        try:
            with probe.owner_rights(pid), open(f"/proc/{pid}/task/{tid}/syscall") as f:
                line = f.read()
        except PermissionError:
            if probe.non_dumpable(pid):
                raise Hidden(pid) from None
            return None
        except OSError:
            continue  # the thread ended meanwhile
        calls.append(parse(tid, line))
    return calls


def input_fds(pid: int, call: Call) -> frozenset[int] | None:
    """The descriptors ``call`` (a thread of ``pid``) waits to read from.

    One for a read or receive, the read set of a select, the ``POLLIN`` entries of a poll
    (both read from the process's memory), what an epoll instance watches for input (its
    ``fdinfo``). Empty: a select or poll on no descriptor, which is a sleep. None: not a wait
    for input (see :attr:`Call.waits_for_input`), or one whose descriptors could not be read.
    """
    if not call.waits_for_input:
        return None
    args = call.args
    if call.name in RECEIVES:
        return frozenset({args[0]})
    if call.name in EPOLLS:
        return _epoll_fds(pid, args[0])
    if call.name in POLLS:
        count = args[1]
        raw = _read_memory(pid, args[0], 8 * count)  # struct pollfd {int fd; short events, revents}
        if raw is None:
            return None
        polled = (struct.unpack_from("=ihh", raw, 8 * i) for i in range(count))
        return frozenset(fd for fd, events, _ in polled if fd >= 0 and events & _POLLIN)
    count = args[0]  # a select: nfds, then the read set's address
    if args[1] == 0 or count == 0:
        return frozenset()
    raw = _read_memory(pid, args[1], (count + 7) // 8)
    if raw is None:
        return None
    bits = int.from_bytes(raw, "little")
    return frozenset(fd for fd in range(count) if bits >> fd & 1)


def signals_waited(pid: int, call: Call) -> frozenset[int] | None:
    """The signals ``call`` (a thread of ``pid`` in ``rt_sigtimedwait``) waits for: its set,
    read from the process's memory. None: another call, or a set that could not be read."""
    if call.name != "rt_sigtimedwait" or not call.blocked:
        return None
    size = call.args[3]  # sigsetsize: 8 on Linux, whatever the architecture
    raw = _read_memory(pid, call.args[0], size) if 0 < size <= 128 else None
    if raw is None:
        return None
    bits = int.from_bytes(raw, "little")
    return frozenset(n + 1 for n in range(8 * size) if bits >> n & 1)  # bit n: signal n + 1


class Semaphores:
    """Which POSIX semaphore a thread of one process waits on.

    A thread blocked in a ``multiprocessing`` semaphore sits in ``futex`` on a word of a page
    mapped from a ``/dev/shm/sem.*`` file; the file's (device, inode) names the semaphore, the
    same in every process that shares it, even after its name was unlinked. The judge owns an
    instance per process it watches: it keeps that process's semaphore mappings and reads them
    again only when a futex word lies outside them (a semaphore made since).
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._pages: list[tuple[int, int, str, int]] = []  # start, end, device, inode

    def waited_on(self, call: Call) -> tuple[str, int] | None:
        """The (device, inode) of the semaphore file ``call`` waits on in ``futex`` (or in the
        ``restart_syscall`` of one, after a stop); None where it is no futex wait or
        its word lies on no semaphore (a threading lock or Event, a ``join()``). Raises
        ProcessLookupError where the process's mappings cannot be read (it ended meanwhile)."""
        # A restarted wait keeps its arguments, the futex word first; no other call a thread
        # restarts has a semaphore page's address there. A FUTEX_WAKE is a release (sem_post)
        # seen on its way, in a process stopped or caught just then: no wait.
        if call.name not in ("futex", "restart_syscall") or not call.blocked:
            return None
        if (call.args[1] & _FUTEX_COMMAND) not in _FUTEX_WAITS:
            return None
        word = call.args[0]
        for fresh in (False, True):
            if fresh:
                self._pages = self._read_pages()
            for start, end, device, inode in self._pages:
                if start <= word < end:
                    return device, inode
        return None

    def _read_pages(self) -> list[tuple[int, int, str, int]]:
        lines = probe.maps(self.pid)
        if not lines:
            raise ProcessLookupError(self.pid)
        pages = []
        for line in lines:
            fields = line.split()  # start-end perms offset device inode path [(deleted)]
            if len(fields) >= 6 and fields[5].startswith(SEMAPHORE_FILES) and fields[4].isdigit():
                start, end = (int(x, 16) for x in fields[0].split("-"))
                pages.append((start, end, fields[3], int(fields[4])))
        return pages


def _read_memory(pid: int, address: int, size: int) -> bytes | None:
    """``size`` bytes of ``pid``'s memory at ``address``, at most what a set of _MOST_FDS
    descriptors takes; None where they cannot be read."""
    if size < 0 or size > 8 * _MOST_FDS:
        return None
    return probe.read_memory(pid, address, size)


def _epoll_fds(pid: int, epfd: int) -> frozenset[int] | None:
    """The descriptors an epoll instance watches for input (its fdinfo's ``tfd`` lines)."""
    try:
        with probe.owner_rights(pid), open(f"/proc/{pid}/fdinfo/{epfd}") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    fds = set()
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[0] == "tfd:" and fields[2] == "events:":
            with contextlib.suppress(ValueError):
                if int(fields[3], 16) & _POLLIN:
                    fds.add(int(fields[1]))
    return frozenset(fds)
