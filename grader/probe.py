"""Read the process table from outside: parents, children, states, threads, descriptors.

These are the judging side's eyes. They never reap and never signal, so observing a zombie
does not make it go away. On Linux they read ``/proc`` directly; elsewhere (macOS) they ask
``psutil``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

_HAS_PROC = sys.platform.startswith("linux") and os.path.isdir("/proc/self")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # clock ticks per second
PF_EXITING = 0x4  # linux/sched.h: the task is exiting (the flags field of /proc/<pid>/stat)


@dataclass(frozen=True)
class Proc:
    """One row of the process table."""

    pid: int
    ppid: int
    state: str  # one letter: R S D Z T t X I ...
    name: str
    start: int = 0  # start time in clock ticks since boot: (pid, start) names one process
    cpu: int = 0  # user + system CPU time so far, in clock ticks
    threads: int = 1
    exiting: bool = False  # in exit(): its descriptors may be closed already, it runs no code

    @property
    def zombie(self) -> bool:
        """Exited, every thread of it: it has no children left (they were re-parented) and
        waits only to be reaped. A process whose first thread has exited while others run
        on, or are still on their way out, shows state Z too; its children belong to those
        threads, so a sweep that took it for a zombie would not look below it."""
        return self.state == "Z" and self.threads <= 1

    @property
    def running_code(self) -> bool:
        """Alive and not on its way out: neither a zombie nor in the middle of exiting."""
        return not self.zombie and not self.exiting

    def describe(self) -> str:
        return f"pid {self.pid} ({self.name}, state {self.state})"


def _read_stat(pid: int) -> Proc | None:
    row = _stat_file(pid, f"/proc/{pid}/stat")
    if row is not None and row.threads > 1 and not row.running_code:
        return _first_thread_gone(row)
    return row


def _stat_file(pid: int, path: str) -> Proc | None:
    """The row in ``path``, a stat file of ``pid`` or of one of its threads."""
    # Plain os-level reads: a file object per process would cost five times as much, and a
    # full scan runs after every test.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    return parse_stat(pid, data)


def _first_thread_gone(row: Proc) -> Proc:
    """``row`` as its other threads see it: the stat of a process is its first thread's,
    which may have exited (state Z, PF_EXITING) while another thread runs code. Rare, so
    only then are the threads read one by one."""
    try:
        tids = os.listdir(f"/proc/{row.pid}/task")
    except OSError:
        return row
    for tid in tids:
        thread = _stat_file(row.pid, f"/proc/{row.pid}/task/{tid}/stat")
        if thread is not None and thread.running_code:
            return replace(row, state=thread.state, exiting=False)
    return row


def parse_stat(pid: int, data: bytes) -> Proc | None:
    """The row in the text of ``/proc/<pid>/stat``; None if it is cut short."""
    # The name is in parentheses and may itself contain spaces or ')': split after the last ')'.
    left, _, right = data.rpartition(b")")
    fields = right.split()
    if len(fields) < 2:
        return None
    name = left.partition(b"(")[2].decode(errors="replace")
    ppid, state = int(fields[1]), fields[0].decode()
    if len(fields) <= 19:
        return Proc(pid=pid, ppid=ppid, state=state, name=name)
    # Fields after the name, counted from 0 here (man proc: field N is fields[N - 3]).
    return Proc(
        pid=pid,
        ppid=ppid,
        state=state,
        name=name,
        cpu=int(fields[11]) + int(fields[12]),
        threads=int(fields[17]),
        start=int(fields[19]),
        # PF_EXITING is set at the very start of exit, before the descriptors are closed: a
        # reader that saw EOF from a dying process can still find it not yet a zombie.
        exiting=bool(int(fields[6]) & PF_EXITING),
    )


# psutil's names for the states, as /proc's letters ("stopped" must not read as sleeping).
_PSUTIL_LETTERS = {
    "running": "R",
    "sleeping": "S",
    "disk-sleep": "D",
    "stopped": "T",
    "tracing-stop": "t",
    "zombie": "Z",
    "dead": "X",
    "idle": "I",
    "waking": "W",
    "parked": "P",
    "locked": "L",
    "waiting": "S",
}


def read(pid: int) -> Proc | None:
    """The row for ``pid``, or None when there is no such process (any more)."""
    if _HAS_PROC:
        return _read_stat(pid)
    import psutil

    try:
        p = psutil.Process(pid)
        with p.oneshot():
            letter = _PSUTIL_LETTERS.get(p.status(), "?")
            try:
                times = p.cpu_times()
                cpu, threads = int((times.user + times.system) * TICKS), p.num_threads()
            except psutil.ZombieProcess:  # macOS keeps no task info for a zombie: still a row
                cpu, threads = 0, 0
            return Proc(
                pid=pid,
                ppid=p.ppid(),
                state=letter,
                name=p.name(),
                start=int(p.create_time() * TICKS),
                cpu=cpu,
                threads=threads,
            )
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


# Linux names a process's CPU-time clock by its pid (MAKE_PROCESS_CPUCLOCK in the kernel's
# posix-timers.h): ~pid << 3, with 2 for CPUCLOCK_SCHED, the scheduler's nanosecond count.
_CPUCLOCK_SCHED = 2


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system, every thread) ``pid`` has used so far, in seconds; None
    once there is no such process.

    /proc's clock ticks (0.01 s, user and system each rounded down) say 0 for a process that
    used 19 ms, and a process sampled now and then is last seen before its end: judging
    "did work" on them missed real workers. On Linux this reads the process's CPU-time clock
    (nanoseconds; any user may read it; a zombie still has one); elsewhere psutil's times.
    """
    if _HAS_PROC:
        try:
            return time.clock_gettime((~pid << 3) | _CPUCLOCK_SCHED)
        except OSError:
            proc = read(pid)  # a kernel that refuses the clock: the ticks are what there is
            return None if proc is None else proc.cpu / TICKS
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return float(times.user + times.system)


def table() -> dict[int, Proc]:
    """Every process visible now, by pid."""
    rows: dict[int, Proc] = {}
    if _HAS_PROC:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                row = read(int(entry))
                if row is not None:
                    rows[row.pid] = row
        return rows
    import psutil

    for pid in psutil.pids():
        row = read(pid)
        if row is not None:
            rows[pid] = row
    return rows


def _child_pids(pid: int) -> list[int]:
    """Children of ``pid`` from /proc/<pid>/task/*/children (children belong to a thread)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for tid in tasks:
        try:
            fd = os.open(f"/proc/{pid}/task/{tid}/children", os.O_RDONLY)
        except OSError:
            continue
        try:
            data = b""
            while chunk := os.read(fd, 65536):
                data += chunk
        except OSError:
            continue
        finally:
            os.close(fd)
        found.extend(int(p) for p in data.split())
    return found


HAS_CHILDREN_FILES = _HAS_PROC and os.path.exists(
    f"/proc/{os.getpid()}/task/{os.getpid()}/children"
)


def child_pids(pid: int) -> list[int]:
    """The pids of ``pid``'s children, zombies included: from its threads' ``children``
    files (a few reads) where the kernel has them, else from the whole table."""
    if HAS_CHILDREN_FILES:
        return _child_pids(pid)
    return [p.pid for p in children(pid)]


def subtree(roots: Iterable[int], skip: frozenset[int] = frozenset()) -> dict[int, Proc]:
    """The rows of ``roots`` and everything below them, by pid, but ``skip`` and below.

    Costs in proportion to the tree, not to the machine: a judge sampling a sandbox every few
    milliseconds must not read a thousand unrelated processes each time. Falls back to a full
    table where the kernel has no per-thread ``children`` files.

    One walk is not a snapshot: a process re-parented while the walk goes on (its parent
    died) can be missed. Who must not miss one (a kill loop) uses :func:`settled_subtree`.
    """
    roots = list(roots)
    if not HAS_CHILDREN_FILES:
        return _subtree_from_table(roots, skip)
    found: dict[int, Proc] = {}
    frontier = [r for r in roots if r not in skip]
    while frontier:
        pid = frontier.pop()
        if pid in found:
            continue
        row = read(pid)
        if row is None:
            continue
        found[pid] = row
        if not row.zombie:
            frontier.extend(c for c in _child_pids(pid) if c not in skip and c not in found)
    return found


def settled_subtree(
    roots: Iterable[int], skip: frozenset[int] = frozenset(), tries: int = 4
) -> dict[int, Proc]:
    """:func:`subtree`, walked again until two walks in a row find the same processes.

    A process missed by one walk because it was being re-parented is found by the next,
    under its new parent; a tree that keeps changing is read from the whole table instead.
    Two walks of a small tree cost a tenth of one table read.
    """
    roots = list(roots)
    rows = subtree(roots, skip)
    if not HAS_CHILDREN_FILES:
        return rows
    for _ in range(tries):
        again = subtree(roots, skip)
        if again.keys() == rows.keys():
            return again
        rows = again
    return _subtree_from_table(roots, skip)


def _subtree_from_table(roots: list[int], skip: frozenset[int]) -> dict[int, Proc]:
    rows = table()
    chosen = {r: rows[r] for r in roots if r in rows and r not in skip}
    for root in list(chosen):
        chosen.update((p.pid, p) for p in descendants(root, rows, skip=skip))
    return chosen


def children(pid: int, rows: dict[int, Proc] | None = None) -> list[Proc]:
    """Direct children of ``pid`` (zombies included), oldest pid first."""
    rows = table() if rows is None else rows
    return sorted((r for r in rows.values() if r.ppid == pid), key=lambda r: r.pid)


def descendants(
    pid: int, rows: dict[int, Proc] | None = None, skip: frozenset[int] = frozenset()
) -> list[Proc]:
    """Children, grandchildren, ... of ``pid`` (zombies included), breadth first.

    Processes in ``skip``, and everything below them, are left out.
    """
    rows = table() if rows is None else rows
    by_parent: dict[int, list[Proc]] = {}
    for r in rows.values():
        by_parent.setdefault(r.ppid, []).append(r)
    found: list[Proc] = []
    seen = {pid}
    frontier = [pid]
    while frontier:
        nxt: list[int] = []
        for parent in frontier:
            for child in sorted(by_parent.get(parent, []), key=lambda r: r.pid):
                if child.pid in seen or child.pid in skip:
                    continue
                seen.add(child.pid)
                found.append(child)
                nxt.append(child.pid)
        frontier = nxt
    return found


def zombies(pid: int, rows: dict[int, Proc] | None = None) -> list[Proc]:
    """Children of ``pid`` that have exited and were not reaped."""
    return [r for r in children(pid, rows) if r.zombie]


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    row = read(pid)
    return row is not None and not row.zombie


def status_field(pid: int | str, name: str) -> str | None:
    """The value of field ``name`` of ``/proc/<pid>/status`` (``pid`` may be "self"), e.g.
    "12" for "Threads"; None when the process, the field or /proc is not there."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                field, _, value = line.partition(":")
                if field == name:
                    return value.strip()
    except OSError:
        pass
    return None


def capabilities(pid: int | str, kind: str = "CapEff") -> int:
    """The capability set ``kind`` (``CapEff``, ``CapPrm``, ...) of ``pid`` as a bit mask;
    0 where /proc does not say."""
    return int(status_field(pid, kind) or "0", 16)


_CAP_SYS_PTRACE = 19


@functools.cache
def borrows_owner_rights() -> bool:
    """Root without CAP_SYS_PTRACE (a default `docker run`): the kernel shows another uid's
    guarded /proc files (descriptors, memory, maps, system calls, I/O counts) to a reader
    of that uid only, not to root. Fixed for the life of the process, so asked once."""
    if not _HAS_PROC or os.geteuid() != 0:
        return False
    effective = capabilities("self")
    return not effective >> _CAP_SYS_PTRACE & 1


@contextlib.contextmanager
def owner_rights(pid: int) -> Iterator[None]:
    """Read ``pid``'s guarded /proc files with its owner's rights where ours do not reach.

    The kernel lets a reader see a process's descriptors, memory, maps, system calls and
    I/O counts if it holds CAP_SYS_PTRACE, or if its file-system uid and gid are the
    process's own (and the process is dumpable, as a sandbox is). Root in a default
    `docker run` has no CAP_SYS_PTRACE, and sandboxes run as their own uid: so for the
    reads inside the block, this thread's file-system uid and gid become the process's
    (``setfsuid``: this thread only, and it keeps every other right of root's), and root's
    come back after. Elsewhere (CAP_SYS_PTRACE, not root, the process root's or of mixed
    uids) nothing changes. Meanwhile the process gains nothing over the judge: signals and
    ptrace go by the real and effective uids, which stay root's, and the judge is
    non-dumpable either way.
    """
    if not borrows_owner_rights():
        yield
        return
    uids, gids = _ids(pid, "Uid")[:3], _ids(pid, "Gid")[:3]
    if len(set(uids)) != 1 or len(set(gids)) != 1 or len(uids) != 3 or uids[0] == "0":
        yield
        return
    from grader.isolation import libc  # here: grader.isolation imports this module

    gid_before = libc().setfsgid(int(gids[0]))  # each returns the id it replaced
    uid_before = libc().setfsuid(int(uids[0]))
    try:
        yield
    finally:  # the ids it found, so that a block inside another gives back the outer's
        libc().setfsuid(uid_before)
        libc().setfsgid(gid_before)


def exit_status(pid: int) -> int | None:
    """The wait status zombie ``pid`` holds for its parent (proc(5): field 52 of its stat),
    read through :func:`owner_rights`; None where it is no zombie, or the kernel hides it.

    The kernel shows a reader that may not ptrace-read the process 0 there, which looks like
    a clean exit, so the status counts only where the kernel shows it is shown: a zombie's
    wait-channel field (35) reads 1 to such a reader and 0 to others (Linux 5.16 on), or we
    may ptrace-read it by what we hold (CAP_SYS_PTRACE; or its uids and gids, and every
    capability it has), and it was dumpable when it ended, as every sandbox is unless its
    own code changed that.
    """
    try:
        with owner_rights(pid), open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
    except OSError:
        return None
    if len(fields) < 50 or fields[0] != b"Z":
        return None
    if fields[32] != b"1" and not _may_ptrace_read(pid):
        return None
    return int(fields[49])


def _may_ptrace_read(pid: int) -> bool:
    """Whether this process may ptrace-read ``pid`` by what it holds itself."""
    mine = capabilities("self")
    if mine >> _CAP_SYS_PTRACE & 1:
        return True
    uid, gid = _ids("self", "Uid"), _ids("self", "Gid")
    theirs = capabilities(pid, "CapPrm")
    if len(uid) < 4 or len(gid) < 4 or theirs & ~mine:
        return False
    return set(_ids(pid, "Uid")[:3]) == {uid[3]} and set(_ids(pid, "Gid")[:3]) == {gid[3]}


def _ids(pid: int | str, name: str) -> list[str]:
    """The real, effective, saved and file-system ids of ``name`` ("Uid" or "Gid")."""
    return (status_field(pid, name) or "").split()


_SIGNAL_SETS = ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")


def signal_masks(pid: int) -> dict[str, int]:
    """The signal sets of ``pid`` as the kernel holds them (``/proc/<pid>/status``): pending
    for its first thread (SigPnd) and for the process (ShdPnd), blocked by its first thread
    (SigBlk), ignored (SigIgn), caught by a handler (SigCgt); signal n is bit n - 1. Empty
    when the process is gone, or where there is no /proc."""
    masks: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for row in f:
                name, _, value = row.partition(":")
                if name in _SIGNAL_SETS:
                    masks[name] = int(value.strip(), 16)
    except (OSError, ValueError):
        return {}
    return masks


def disposition(pid: int, signum: int) -> str:
    """What ``pid`` does with signal ``signum``: "handler", "ignored" (SIG_IGN), "default"
    (SIG_DFL), or "gone" where the kernel does not say (the process ended, no /proc)."""
    masks = signal_masks(pid)
    if not masks:
        return "gone"
    bit = 1 << (signum - 1)
    if masks.get("SigCgt", 0) & bit:
        return "handler"
    if masks.get("SigIgn", 0) & bit:
        return "ignored"
    return "default"


def wait_channel(pid: int, tid: int | None = None) -> str:
    """The kernel function thread ``tid`` of ``pid`` (its main thread when None) sleeps in,
    its wait channel: "do_wait" in a wait(), "inet_csk_accept" in an accept(), ... "" while
    it runs, and where /proc does not say."""
    try:
        with owner_rights(pid), open(f"/proc/{pid}/task/{pid if tid is None else tid}/wchan") as f:
            name = f.read().strip()
    except OSError:
        return ""
    return "" if name == "0" else name


def thread_cpu_ns(pid: int) -> dict[int, int] | None:
    """Every thread's CPU time so far in nanoseconds, by tid: the first field of
    ``/proc/<pid>/task/<tid>/schedstat`` (the scheduler's ``sum_exec_runtime``; any user may
    read it). Exact for a thread that is blocked; one running now may lag by a scheduler
    tick. Which thread did the work, where :func:`cpu_seconds` says only that the process
    did. None where the kernel does not show it (no schedstat, no /proc, the process gone).
    A thread that ends while it is read is left out."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    times: dict[int, int] = {}
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                times[int(tid)] = int(f.read().split()[0])
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        except (OSError, ValueError, IndexError):
            return None
    return times or None


def voluntary_switches(pid: int, tid: int | None = None) -> int | None:
    """How often thread ``tid`` of ``pid`` gave up the CPU to wait (a sleep, a lock, I/O),
    as the kernel counts it (``voluntary_ctxt_switches``); with ``tid`` None, the sum over
    every thread of ``pid``. A thread that waits in the kernel adds one per wake-up, a loop
    that polls one a turn. None where it cannot be read."""
    if tid is None:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return None
        counts = [voluntary_switches(pid, int(t)) for t in tids]
        known = [c for c in counts if c is not None]
        return sum(known) if known else None
    try:
        with open(f"/proc/{pid}/task/{tid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"voluntary_ctxt_switches:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


_PYM = re.compile(r"/pym-\d+-")  # the files of multiprocessing's heap arenas


def non_dumpable(pid: int) -> bool:
    """True when ``pid`` (not root) made itself non-dumpable (prctl PR_SET_DUMPABLE): its
    /proc files are then root's, and a judge that is not root may not read its system calls
    or memory. A sandbox is dumpable, like any program, unless its own code changed that."""
    uid = status_field(pid, "Uid")
    try:
        owner = os.stat(f"/proc/{pid}/syscall").st_uid
    except OSError:
        return False
    return uid is not None and uid.split()[0] != "0" and owner == 0


def maps(pid: int) -> list[str]:
    """The lines of ``/proc/<pid>/maps`` (empty when it cannot be read)."""
    try:
        with owner_rights(pid), open(f"/proc/{pid}/maps") as f:
            return f.read().splitlines()
    except OSError:
        return []


def read_memory(pid: int, address: int, size: int) -> bytes | None:
    """``size`` bytes of ``pid``'s memory at ``address`` (``/proc/<pid>/mem``, which needs the
    right to ptrace-read it, as its syscall files do); None where they cannot all be read."""
    if size == 0:
        return b""
    if size < 0:
        return None
    try:
        with owner_rights(pid):
            mem = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.pread(mem, size, address)
    except (OSError, OverflowError):
        return None
    finally:
        os.close(mem)
    return data if len(data) == size else None


def shared_heap(pid: int, most: int = 64 << 20) -> bytes | None:
    """The multiprocessing heap ``pid`` maps (where Value and Array live: its writable
    mappings of /dev/shm/pym-<pid>-*, at most ``most`` bytes of each), as the judge reads it
    through /proc/<pid>/mem; b"" when it maps none, None when it cannot be read."""
    blob = b""
    try:
        with owner_rights(pid), open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            for line in maps(pid):
                fields = line.split()
                if len(fields) >= 6 and _PYM.search(fields[5]) and fields[1].startswith("rw"):
                    start, end = (int(x, 16) for x in fields[0].split("-"))
                    mem.seek(start)
                    blob += mem.read(min(end - start, most))
    except OSError:
        return None
    return blob


def thread_count(pid: int) -> int:
    """Number of threads of ``pid`` (0 if it is gone)."""
    if _HAS_PROC:
        threads = status_field(pid, "Threads")
        return int(threads) if threads is not None else 0
    import psutil

    try:
        return psutil.Process(pid).num_threads()
    except psutil.NoSuchProcess:
        return 0


def cmdline(pid: int) -> list[str] | None:
    """The arguments ``pid`` runs with; None if it is gone, a zombie, or not ours to read
    (a process that has not exec'd shows the arguments of the program it was forked from)."""
    if _HAS_PROC:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                data = f.read()
        except OSError:
            return None
        return [os.fsdecode(part) for part in data.split(b"\0")[:-1]] or None
    import psutil

    try:
        return psutil.Process(pid).cmdline() or None
    except (psutil.Error, OSError):
        return None


def open_fds(pid: int) -> list[int]:
    """The open file descriptor numbers of ``pid``."""
    if _HAS_PROC:
        try:
            with owner_rights(pid):
                return sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd"))
        except FileNotFoundError:
            return []
    import psutil

    try:
        return sorted(f.fd for f in psutil.Process(pid).open_files())
    except psutil.NoSuchProcess:
        return []


def describe_all(procs: Iterable[Proc]) -> str:
    """`pid 12 (python3, state Z), pid 13 (...)` for messages."""
    return ", ".join(p.describe() for p in procs) or "none"


@dataclass(frozen=True)
class Descriptor:
    """One open descriptor of a process, as ``/proc/<pid>/fd`` and ``fdinfo`` show it."""

    fd: int
    target: str  # what /proc/<pid>/fd/<fd> links to: "pipe:[N]", "socket:[N]", a path, ...
    mode: int  # os.O_RDONLY, os.O_WRONLY or os.O_RDWR: which way the process may use it

    @property
    def kind(self) -> str:
        """What it is: "pipe", "socket", "anon_inode" (an eventfd, an epoll...) or "file"."""
        for kind in ("pipe", "socket", "anon_inode"):
            if self.target.startswith(kind + ":"):
                return kind
        return "file"

    @property
    def inode(self) -> int | None:
        """A pipe's or a socket's inode: the same number in every process that holds an end
        of it (both ends of a pipe share one). None for anything else."""
        return _inode(self.target, ("pipe:[", "socket:["))


def _inode(target: str, kinds: tuple[str, ...]) -> int | None:
    """The inode in a descriptor's ``target`` (``socket:[N]``) if it starts with one of
    ``kinds``; None otherwise."""
    if target.startswith(kinds) and target.endswith("]"):
        return int(target.partition("[")[2][:-1])
    return None


def fd_links(pid: int) -> dict[int, str]:
    """What each open descriptor of ``pid`` refers to (``/proc/<pid>/fd``), by number; empty
    where the process is gone or its descriptors cannot be read (another uid, not Linux).
    A descriptor closed while they are read is left out."""
    links: dict[int, str] = {}
    with owner_rights(pid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            return links
        for fd in fds:
            try:
                links[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
            except (OSError, ValueError):
                continue
    return dict(sorted(links.items()))


def descriptors(pid: int) -> list[Descriptor]:
    """Every open descriptor of ``pid``, in order, with what it refers to and its access
    mode (``fdinfo``'s ``flags``); as :func:`fd_links`, empty where they cannot be read."""
    found: list[Descriptor] = []
    with owner_rights(pid):
        for fd, target in fd_links(pid).items():
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = next(line for line in info if line.startswith("flags:"))
                mode = int(flags.split()[1], 8) & os.O_ACCMODE
            except (OSError, StopIteration, ValueError, IndexError):
                continue  # closed since its link was read
            found.append(Descriptor(fd, target, mode))
    return found


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets ``pid`` holds open (``socket:[N]`` links in /proc/<pid>/fd)."""
    inodes = (_inode(link, ("socket:[",)) for link in fd_links(pid).values())
    return {inode for inode in inodes if inode is not None}


def holders(pids: Iterable[int], inode: int) -> list[int]:
    """Which of ``pids`` hold the socket with this inode open."""
    return [pid for pid in pids if inode in socket_inodes(pid)]


def peak_memory_kib(pid: int) -> int:
    """The highest resident memory ``pid`` has had (VmHWM), in KiB; elsewhere its current RSS.

    Raises ProcessLookupError when the process is gone or a zombie: a silent 0 would make a
    memory check pass for a server that died.
    """
    if _HAS_PROC:
        peak = status_field(pid, "VmHWM")  # "1234 kB"; none for a zombie
        if peak is None:
            raise ProcessLookupError(f"pid {pid} is gone: no memory to read")
        return int(peak.split()[0])
    import psutil

    try:
        return int(psutil.Process(pid).memory_info().rss // 1024)
    except psutil.NoSuchProcess:
        raise ProcessLookupError(f"pid {pid} is gone: no memory to read") from None
