"""Process mechanics for the judging side: subreaper, deadlines, killing trees, capped output.

Every function here is called by trusted code about processes it owns. Nothing here trusts
what a watched process says about itself: exits are read with ``waitpid``, trees from the
process table, output from files whose size the judge checks.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import select
import signal
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any, NoReturn

from grader import probe

PR_SET_PDEATHSIG = 1
PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
OUTPUT_KEEP = 64 * 1024  # bytes of captured output kept per stream: the head and the tail


def become_subreaper() -> bool:
    """Make orphans of our descendants our children (Linux); False where unsupported.

    Only a subreaper catches a double-forked, ``setsid`` daemon: process groups and
    sessions do not contain it, and without this it is adopted by init and lives on.
    """
    if not sys.platform.startswith("linux"):
        return False
    return bool(libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def make_undumpable() -> bool:
    """Keep other processes of our uid out of this one (Linux); False where unsupported.

    A non-dumpable process's memory, descriptors and ``/proc`` details cannot be read or
    ptraced by a process of the same uid without CAP_SYS_PTRACE: a sandbox running as the
    student's own uid cannot lift a key out of a grader process. Inherited by forks; an
    ``exec`` resets it, so every grader process sets it for itself.
    """
    if not sys.platform.startswith("linux"):
        return False
    return bool(libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)


def dumpable() -> bool:
    """Whether this process is dumpable (True where the question does not apply)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(libc().prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent ``parent`` dies (Linux); at once if it already has."""
    if not sys.platform.startswith("linux"):
        return
    libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library already loaded into this process (no ``ldconfig`` or compiler run)."""
    return ctypes.CDLL(None, use_errno=True)


@functools.cache
def scratch() -> str:
    """Where the grader keeps per-test folders and output files: RAM (tmpfs) when there is one.

    A per-test folder on a busy ext4 disk cost 3 ms to create and remove here; on tmpfs 0.04 ms.
    """
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return tempfile.gettempdir()


class Deadline:
    """A point on the monotonic clock."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at


def describe_status(status: int) -> str:
    """A wait status in words: 'exited with code 3' or 'killed by SIGSEGV'."""
    if os.WIFSIGNALED(status):
        return f"killed by {signal_name(os.WTERMSIG(status))}"
    if os.WIFEXITED(status):
        return f"exited with code {os.WEXITSTATUS(status)}"
    return f"wait status {status}"


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def pidfd(pid: int) -> int | None:
    """A pidfd of ``pid`` (readable once it has exited), or None where there is none."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        fd: int = opener(pid)
        return fd
    except OSError:
        return None


def wait_child(pid: int, deadline: Deadline, readable: int | None = None) -> int | None:
    """Wait until our child ``pid`` exits (reaping it) or, if given, ``readable`` has data.

    Returns the wait status, or None when the deadline passed or ``readable`` became ready
    first (the child is then still running and unreaped). Uses a pidfd where the kernel has
    one; otherwise polls with a short, growing interval.
    """
    exited = pidfd(pid)
    try:
        poller = select.poll()
        if exited is not None:
            poller.register(exited, select.POLLIN)
        if readable is not None:
            poller.register(readable, select.POLLIN | select.POLLHUP)
        interval = 0.0005
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            if deadline.expired():
                return None
            slice_s = (
                deadline.remaining() if exited is not None else min(interval, deadline.remaining())
            )
            events = poller.poll(slice_s * 1000)
            if readable is not None and any(fd == readable for fd, _ in events):
                done, status = os.waitpid(pid, os.WNOHANG)
                return status if done else None
            interval = min(interval * 2, 0.01)
    finally:
        if exited is not None:
            os.close(exited)


_IN_USE: set[int] = set()  # short-lived helpers another thread is waiting for: never swept
# Held across a helper's fork and its registration, and across each kill pass of a sweep: a
# helper is either not yet forked when a pass kills or already known to be spared by it.
_IN_USE_LOCK = threading.Lock()


# fork_in_use is the one fork here, and it may run in a process with threads (the supervisor
# runs sessions from threads): its child only makes system calls and exits, which is safe
# however many threads the parent has, so 3.12+'s warning about it is noise.
warnings.filterwarnings(
    "ignore", message=r".*multi-threaded.*fork", category=DeprecationWarning, module=__name__
)


def every_start_method_forks() -> None:
    """Make every start method the student's code may name start its processes by fork: the
    default one, ``get_context("spawn")``, ``get_context("forkserver")`` and
    ``set_start_method(...)`` alike, in this process and the processes it forks (a program it
    executes starts afresh: the specs' programs call this too).

    Called in each sandbox before the student's module is imported. The specs hand the
    student's code callables of their own (a task, a source) that a spawned or forkserver
    child, a fresh interpreter, could not import: the spec's module is hidden from sandboxes.
    Code that names spawn to be portable to macOS is right, and must not fail for that; the
    READMEs say the grader runs every process by fork. No start method is chosen yet, so that
    a module's own ``set_start_method("spawn")`` at import works as it does in a fresh
    interpreter (and is a fork too).
    """
    # multiprocessing.context's own tables (CPython 3.10-3.13, Linux and macOS): where
    # get_context(method) looks a method up, and what the default context falls back to.
    contexts = vars(multiprocessing.context).get("_concrete_contexts")
    default: Any = getattr(multiprocessing.context, "_default_context", None)
    known = all(hasattr(default, name) for name in ("_default_context", "_actual_context"))
    if not isinstance(contexts, dict) or "fork" not in contexts or not known:
        # Another Python's tables: fork at least by default, through the public call.
        multiprocessing.set_start_method("fork", force=True)
        return
    fork = contexts["fork"]
    for method in contexts:
        contexts[method] = fork
    default._default_context = fork
    default._actual_context = None


def fork_in_use() -> int:
    """``os.fork()`` for a short-lived helper one thread forks and waits for: in the parent,
    every :func:`kill_tree` of this process spares the child from the moment it exists until
    :func:`done_with` (the caller's ``finally``). A sweep by another thread must not kill it.
    In the child (0 is returned) nothing is registered; it must end with ``os._exit``."""
    with _IN_USE_LOCK:
        pid = os.fork()
        if pid:
            _IN_USE.add(pid)
    return pid


def done_with(pid: int) -> None:
    """Sweeps may kill ``pid`` again (a helper from :func:`fork_in_use`, reaped or not)."""
    with _IN_USE_LOCK:
        _IN_USE.discard(pid)


def kill_tree(
    root: int,
    *,
    include_root: bool = False,
    spare: frozenset[int] = frozenset(),
    timeout: float = 5.0,
    rows: dict[int, probe.Proc] | None = None,
) -> list[probe.Proc]:
    """SIGKILL every descendant of ``root`` (and ``root`` if asked); return who was live.

    Loops because a dying parent's children are re-parented and a forking process can add
    new ones between a look and a kill. A look reads only the tree below ``root``
    (:func:`grader.probe.settled_subtree`), not the whole process table. Our own exited
    children that a look finds are reaped. Processes in ``spare`` are neither killed nor
    reaped, nor is anything below them: other sessions or sandboxes that are still in use;
    nor are helpers from :func:`fork_in_use`, even one forked while this sweep runs.
    ``root`` itself is never reaped here: if it is our child, the caller waits for it by name
    and reads its status. ``rows`` is what the caller has just read (the table, or a subtree
    holding ``root``'s), used for the first look.
    """
    with _IN_USE_LOCK:
        in_use_now = frozenset(_IN_USE)
    if (
        rows is None
        and not include_root
        and root == os.getpid()
        and _no_child_outside(spare | in_use_now)
    ):
        return []  # the common case after a test or a call: no process-table scan
    killed: dict[int, probe.Proc] = {}
    deadline = Deadline(timeout)
    while True:
        rows = probe.settled_subtree([root], skip=spare | in_use_now) if rows is None else rows
        targets = [p for p in probe.descendants(root, rows, skip=spare) if not p.zombie]
        if include_root and root in rows and not rows[root].zombie:
            targets.append(rows[root])
        with _IN_USE_LOCK:  # a helper forked since the look is spared too
            in_use_now = frozenset(_IN_USE)
            targets = [p for p in targets if p.pid not in in_use_now]
            for proc in targets:
                killed.setdefault(proc.pid, proc)
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            reap_own_children(exclude=spare | in_use_now | {root}, rows=rows)
        if not targets or deadline.expired():
            return sorted(killed.values(), key=lambda p: p.pid)
        rows = None  # look again (the kills land meanwhile)


def sweep_descendants(spare: frozenset[int] = frozenset()) -> list[probe.Proc]:
    """Kill and reap everything below this process but ``spare`` (children it still needs,
    and what is below them); see :func:`kill_tree`."""
    return kill_tree(os.getpid(), spare=spare)


def _no_child_outside(spare: frozenset[int]) -> bool:
    """True when this process has no child (a zombie included) outside ``spare``: then
    nothing can be below it but ``spare`` and what is below them. False when it has one, or
    when that cannot be told cheaply."""
    if probe.HAS_CHILDREN_FILES:
        return not set(probe.child_pids(os.getpid())) - spare
    if spare:
        return False
    try:
        os.waitpid(-1, os.WNOHANG)  # one system call
    except ChildProcessError:
        return True
    return False


def reap_own_children(
    exclude: frozenset[int] = frozenset(), rows: dict[int, probe.Proc] | None = None
) -> list[int]:
    """Reap every exited child of ours except ``exclude`` (pids still to be waited by name).

    ``rows`` is a process table read earlier; children that died since are reaped next time.
    """
    reaped: list[int] = []
    me = os.getpid()
    for proc in probe.children(me, rows):
        if proc.zombie and proc.pid not in exclude:
            try:
                os.waitpid(proc.pid, os.WNOHANG)
                reaped.append(proc.pid)
            except ChildProcessError:
                pass
    return reaped


@dataclass(frozen=True)
class Captured:
    """Text kept from a stream: the head and the tail, and how many bytes were left out."""

    text: str
    total_bytes: int
    dropped_bytes: int

    def __str__(self) -> str:
        return self.text


_O_TMPFILE: int = getattr(os, "O_TMPFILE", 0)


class OutputFile:
    """An unlinked temporary file that receives a process's stdout or stderr.

    The judge owns the descriptor and closes it with :meth:`close`. A file, unlike a pipe,
    never blocks the writer and never needs draining, and no lingering writer can make the
    reader wait for an EOF. The writer's RLIMIT_FSIZE bounds it on disk.
    """

    def __init__(self) -> None:
        # O_TMPFILE (Linux): a file that never has a name. With mkstemp and unlink, a process
        # killed between the two (a session at its deadline) leaves a file in /dev/shm.
        if _O_TMPFILE:
            try:
                self.fd = os.open(scratch(), _O_TMPFILE | os.O_RDWR, 0o600)
                return
            except OSError:  # a filesystem without it
                pass
        fd, path = tempfile.mkstemp(prefix="grader-out-", dir=scratch())
        os.unlink(path)
        self.fd = fd

    def read(self, keep: int = OUTPUT_KEEP) -> Captured:
        size = os.fstat(self.fd).st_size
        if size <= keep:
            data = os.pread(self.fd, size, 0)
            return Captured(data.decode("utf-8", "replace"), size, 0)
        half = keep // 2
        head = os.pread(self.fd, half, 0).decode("utf-8", "replace")
        tail = os.pread(self.fd, half, size - half).decode("utf-8", "replace")
        dropped = size - 2 * half
        note = f"\n[... {dropped} bytes of output dropped; kept the first and last {half} ...]\n"
        return Captured(head + note + tail, size, dropped)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def exit_now_if_not(owner_pid: int, code: int = 0) -> None:
    """If this is not ``owner_pid`` (a fork fell out of student or test code), exit at once.

    Such a process must never run the grader's own machinery (in plain pytest it ran the
    rest of the session again).
    """
    if os.getpid() != owner_pid:
        os._exit(code)


def flush_and_exit(code: int) -> NoReturn:
    """End this forked process at once with ``code``, its output flushed first (no atexit
    handlers or other cleanup: they belong to the process it was forked from)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def system_exit_code(exc: SystemExit) -> int:
    """The process exit code that ``sys.exit(arg)`` would have produced."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1
