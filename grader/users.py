"""The sandbox's own user: a separate, unprivileged uid when the grader runs as root.

As root, student code must not share the judge's uid: a same-uid process (with root's
capabilities, at that) can read the judge's memory, signal it and write its files. Each
grading session in flight therefore *leases* a uid (two, see below) from a range (default
61000-61999, ``GRADER_SANDBOX_UIDS`` or ``grader --sandbox-uids`` to change it). The lease is an
``flock`` on a file in a root-only folder, held by the supervisor for the life of the
session, so parallel ``--jobs`` slots and concurrent ``grader`` runs never share a uid; the
kernel drops the lock if the supervisor dies. No ``/etc/passwd`` entry is needed.

Who does what:

* the supervisor leases a uid (:func:`lease`), and a second one that nothing runs as, its
  *killer* uid (see :func:`become_sender`), and on taking them clears whatever a crashed
  earlier run left under the first;
* each sandbox process calls :func:`drop_to` before it imports a byte of student code;
* the session calls :func:`kill_all` and :func:`remove_files` after every test, so a hopping
  or daemonised process and the files it left are gone before the next test starts;
* the test process calls :func:`share_tree` on the folders its spec prepared for the student.

As a normal user none of this applies (there is no other uid to drop to): :func:`lease`
yields None and everything here is skipped.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import platform
import resource
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from grader import probe
from grader.isolation import done_with, fork_in_use, libc
from grader.polling import join_to_the_end

DEFAULT_RANGE = "61000-61999"
RANGE_ENV = "GRADER_SANDBOX_UIDS"
LOCK_DIR = "/run/multitasking-katas" if os.path.isdir("/run") else "/tmp/multitasking-katas-root"
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")
PROCESS_LIMIT = 512  # RLIMIT_NPROC per sandbox uid: 200 threads fit, a fork flood does not

PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_SET_DUMPABLE = 4
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPABILITY_VERSION_3 = 0x20080522  # capset's header: two 32-bit words per set
# CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: a root sandbox's files, as its uid's
FILE_CAPABILITIES = (1, 2, 3)


class UidRangeError(ValueError):
    """A sandbox uid range that cannot be used; the message names where it came from."""


@dataclass(frozen=True)
class UidRange:
    first: int
    last: int

    @classmethod
    def parse(cls, text: str, source: str) -> UidRange:
        """``"61000-61999"`` or a single uid; ``source`` names the option or variable."""
        first_text, _, last_text = text.strip().partition("-")
        try:
            first = int(first_text)
            last = int(last_text) if last_text else first
        except ValueError:
            raise UidRangeError(
                f"{source}={text!r}: expected a uid range like {DEFAULT_RANGE}"
            ) from None
        if not 1000 <= first <= last < 2**31 - 1:
            raise UidRangeError(
                f"{source}={text!r}: the range must lie between 1000 and 2147483646 and not be "
                "empty (uids below 1000 belong to the system)"
            )
        return cls(first, last)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.first, self.last + 1))

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


_configured: UidRange | None = None


def configure(text: str | None, source: str = "--sandbox-uids") -> None:
    """Set the range for this process (from the command line); None keeps the default."""
    global _configured
    _configured = UidRange.parse(text, source) if text else None


def uid_range() -> UidRange:
    """The configured range, else ``$GRADER_SANDBOX_UIDS``, else the default."""
    if _configured is not None:
        return _configured
    text = os.environ.get(RANGE_ENV)
    if text:
        return UidRange.parse(text, RANGE_ENV)
    return UidRange.parse(DEFAULT_RANGE, "default")


def separate_uid_applies() -> bool:
    """True when sandboxes run as their own uid: Linux, and the grader is root."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


def _lock_dir() -> str:
    """The folder of lease locks: root's own, never one a sandbox uid could have made."""
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    info = os.lstat(LOCK_DIR)
    if info.st_uid != 0 or info.st_mode & 0o077 or not os.path.isdir(LOCK_DIR):
        raise PermissionError(f"{LOCK_DIR} is not a folder that only root can use: not trusted")
    return LOCK_DIR


@contextlib.contextmanager
def lease() -> Iterator[int | None]:
    """A sandbox uid no other grading session holds, for the life of the ``with`` block.

    A second uid of the range is leased with it, where one is free, as its *killer* uid
    (:func:`killer_of`): what :func:`kill_all`'s sending thread takes as its real and saved
    uid. Nothing ever runs as it. Yields None when sandboxes do not change uid (not root, or
    not Linux). Raises UidRangeError when every uid of the range is taken.
    """
    if not separate_uid_applies():
        yield None
        return
    chosen = uid_range()
    with _lock_free_uid(chosen, skip=None) as uid:
        if uid is None:
            raise UidRangeError(
                f"every sandbox uid in {chosen} is in use by another grading session; "
                f"widen the range with --sandbox-uids or {RANGE_ENV}"
            )
        with _lock_free_uid(chosen, skip=uid) as killer:
            if killer is not None:
                # What a crashed run left as this uid could signal the sending thread.
                kill_all(killer)
                remove_files(killer)
                pair_killer(uid, killer)
            try:
                kill_all(uid)  # a grader that died mid-run may have left processes and files
                remove_files(uid)
                yield uid
            finally:
                kill_all(uid)
                remove_files(uid)
                _KILLERS.pop(uid, None)


@contextlib.contextmanager
def _lock_free_uid(chosen: UidRange, skip: int | None) -> Iterator[int | None]:
    """The first uid of ``chosen`` (but ``skip``) whose lock no one holds, locked for the
    ``with`` block; None if every one is held."""
    folder = _lock_dir()
    for uid in chosen:
        if uid == skip:
            continue
        fd = os.open(os.path.join(folder, f"uid-{uid}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)  # releases the lock
        return
    yield None


_KILLERS: dict[int, int] = {}  # sandbox uid -> its killer uid, in this process


def pair_killer(uid: int, killer: int) -> None:
    """Let :func:`kill_all` of ``uid`` in this process send from a thread whose real and saved
    uid is ``killer`` (a leased uid that nothing runs as; see :func:`lease`)."""
    if killer == uid:
        raise ValueError(f"the killer uid of sandbox uid {uid} must be another uid")
    _KILLERS[uid] = killer


def killer_of(uid: int) -> int | None:
    return _KILLERS.get(uid)


def session_options(uid: int) -> list[str]:
    """The pytest options that make a grading session's sandboxes run as ``uid`` (and tell it
    the killer uid leased with it)."""
    options = ["--grader-sandbox-uid", str(uid)]
    killer = killer_of(uid)
    if killer is not None:
        options += ["--grader-killer-uid", str(killer)]
    return options


def drop_to(uid: int) -> None:
    """Become ``uid`` (and gid ``uid``) for good, with no groups, capabilities or way back.

    Called in a sandbox process, still root, before any student code. The order matters:
    limits and capability drops need root; ``setresuid`` to a non-zero uid then clears the
    permitted and effective capability sets; no-new-privs keeps setuid programs from
    giving anything back. The process is made dumpable again (a uid change resets it) so
    that the student's own processes can read each other's ``/proc`` entries, as they could
    outside the grader.
    """
    c = libc()
    resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_LIMIT, PROCESS_LIMIT))
    _no_way_back()
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    c.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    if os.getresuid() != (uid, uid, uid) or os.getgroups():
        raise PermissionError(f"could not become uid {uid}")


def keep_file_capabilities_only() -> None:
    """Stay uid 0 with the capabilities that pass file permissions and none other, for
    good: a sandbox that cannot become its uid (root without CAP_SYS_ADMIN, with an
    interpreter only root may reach) keeps root.

    It keeps what stands in for being the leased uid (:data:`FILE_CAPABILITIES`): the
    module's staged copy and the folders a spec shares (:func:`share_tree`) belong to that
    uid. Landlock, where the kernel offers it, keeps files outside the sandbox's folders out
    all the same. Gone are the rest: raw sockets (sniffing or forging a classmate's loopback
    traffic), becoming another uid, signalling other uids' processes, making device nodes,
    chroot, ptrace of non-dumpable processes, raising its limits. The bounding set and
    no-new-privs keep a program it runs (root's, or set-uid) from getting more back.
    Called in a sandbox, before any student code.
    """
    c = libc()
    # Only those root has here: a default `docker run` gives no CAP_DAC_READ_SEARCH, and
    # capset() refuses to keep what the process does not hold.
    held = probe.capabilities("self", "CapPrm")
    keep = tuple(cap for cap in FILE_CAPABILITIES if held >> cap & 1)
    _no_way_back(keep=keep)
    c.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    kept = sum(1 << cap for cap in keep)
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)  # 0: this process
    # effective, permitted, inheritable: the low 32 capabilities, then the high ones
    sets = (ctypes.c_uint32 * 6)(kept, kept, 0, 0, 0, 0)
    if c.capset(header, sets) != 0:
        raise OSError(ctypes.get_errno(), "capset() failed")


def _no_way_back(keep: tuple[int, ...] = ()) -> None:
    """No-new-privs, and every capability but ``keep`` out of the bounding set (needs root)."""
    c = libc()
    if c.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    for cap in range(_last_cap() + 1):
        if cap not in keep:
            c.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63


def kill_all(uid: int, attempts: int = 5) -> None:
    """SIGKILL every process of ``uid``, however fast it forks; the caller reaps its own.

    ``kill(-1, SIGKILL)`` sent *as* ``uid`` reaches every process the kernel lets that uid
    signal — all of its own — in one pass under the kernel's task-list lock, and a process
    with a SIGKILL pending cannot fork. No walk of the process table can be outrun like that.
    The sender is a thread of ours (:func:`_send_kill_from_thread`) where ``uid`` has a killer
    uid (:func:`pair_killer`), else a short-lived fork of ours (:func:`_send_kill_from_fork`);
    one that did not report that it sent is sent again.
    """
    killer = killer_of(uid)
    for _ in range(attempts):
        sent = None if killer is None else _send_kill_from_thread(uid, killer)
        if sent is None:
            sent = _send_kill_from_fork(uid)
        if sent:
            return
    raise OSError(errno.EPERM, f"could not kill the processes of sandbox uid {uid}")


def _kill_every_process_we_may() -> None:
    for _ in range(2):  # the second pass finds nothing but zombies, or nothing
        try:
            os.kill(-1, signal.SIGKILL)  # spares the whole calling process, and init
        except ProcessLookupError:
            break


# setresuid's system call: made directly, it changes the calling thread alone (glibc's
# setresuid() changes every thread of the process). Architectures not listed use the fork.
_SETRESUID_CALL = {"x86_64": 117, "aarch64": 147}.get(platform.machine())


def become_sender(uid: int, killer: int) -> bool:
    """Make the calling thread, and it alone, able to signal the processes of ``uid`` while
    they cannot signal it; for good (it loses root). False if the kernel would not.

    The kernel lets a process signal another when the sender's real or effective uid is the
    target's real or saved uid. So the thread takes ``uid`` as its effective uid only, and
    ``killer`` as its real and saved uids: a process of ``uid`` matches neither, so it cannot
    send this thread a signal (with ``tgkill``, to its thread id) — and a SIGKILL or SIGSTOP
    to one thread would end or stop the whole grader. ``kill(-1)`` from the thread reaches
    the processes of ``uid`` and of ``killer``, and nothing runs as ``killer``.
    """
    if _SETRESUID_CALL is None or not sys.platform.startswith("linux"):
        return False
    wanted = (killer, uid, killer)
    return libc().syscall(_SETRESUID_CALL, *wanted) == 0 and os.getresuid() == wanted


def _send_kill_from_thread(uid: int, killer: int) -> bool | None:
    """One try of :func:`kill_all`, sent by a new thread that takes the identity of
    :func:`become_sender` and ends; True if it sent, None where this cannot be done (then
    nothing was sent). About 0.5 ms, against about 6 ms for forking a large grader process;
    every other thread of ours stays root all along, and ``kill(-1)`` spares them all.
    """
    outcome: list[bool] = []

    def sender() -> None:
        if not become_sender(uid, killer):
            outcome.append(False)
            return
        _kill_every_process_we_may()
        outcome.append(True)

    thread = threading.Thread(target=sender, name=f"grader-kill-uid-{uid}", daemon=True)
    thread.start()
    join_to_the_end(thread)
    if outcome == [False]:
        return None  # this kernel did not let one thread change its uids: nothing was sent
    return outcome == [True]


def _send_kill_from_fork(uid: int) -> bool:
    """One try of :func:`kill_all` from a fork of ours: True if the sender reported that it
    sent. Another thread's sweep spares the fork (:func:`grader.isolation.fork_in_use`)."""
    done_r, done_w = os.pipe()
    pid = fork_in_use()  # another thread's sweep spares it from the moment it exists
    if pid == 0:  # pragma: no cover - the killer child
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            _kill_every_process_we_may()
            os.write(done_w, b"k")
        finally:
            os._exit(0)
    os.close(done_w)
    try:
        done = os.read(done_r, 1)  # EOF when the killer exits: it holds the only write end
    finally:
        os.close(done_r)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # reaped by someone else; the pipe already told us how it went
        done_with(pid)
    return done == b"k"


def remove_files(uid: int, folders: tuple[str, ...] = TEMP_DIRS) -> list[str]:
    """Remove what ``uid`` left at the top of the world-writable temp folders; what was removed.

    Run only after :func:`kill_all`, so nothing of ``uid`` can swap a folder for a link while
    it is removed (``shutil.rmtree`` does not follow links either way).
    """
    removed: list[str] = []
    for folder in dict.fromkeys(os.path.realpath(f) for f in folders):  # /var/lock -> /run/lock
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed.append(entry.path)
            except OSError:
                continue
    return removed


def share_tree(path: str, uid: int) -> None:
    """Give ``uid`` everything under ``path`` that the spec prepared (links are not followed)."""
    for folder, dirs, files in os.walk(path):
        for name in (folder, *(os.path.join(folder, n) for n in (*dirs, *files))):
            try:
                if os.lstat(name).st_uid != uid:
                    os.lchown(name, uid, uid)
            except OSError:
                continue
