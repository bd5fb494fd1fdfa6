"""Landlock: a sandbox confines its own file access before any student code runs (Linux 5.19+).

A session makes one ruleset (:func:`ruleset`; the session owns its descriptor and closes it
at its end) and each sandbox applies it with :func:`restrict` before it does anything of its
job. From then on the sandbox and everything it starts may read and run files only in the
system's folders (:data:`SYSTEM`) and the interpreter's and the grader's
(:func:`interpreter_paths`); read and write files in ``/dev`` and ``/proc``; and do anything
but make device nodes in the temporary folders (:data:`TEMPORARY`) and the session's own.
Every other file of the machine is refused (``PermissionError``), to root too, whatever its
mode and whatever the sandbox's uid: the specs and solutions, a class of other students'
work, the user's home and keys. It complements the mount namespace of grader.namespaces
(root only, and only with CAP_SYS_ADMIN), which hides named folders; Landlock needs no privilege,
so it also holds in a default `docker run` and for a grader that is not root.

From ABI 6 (Linux 6.12, :data:`SCOPES_ABI`) a sandbox may also signal only the processes it
started, and connect only to the abstract Unix sockets they made: not the judge, the grader
or any other process of the user's, which a sandbox of the grader's uid (a grader that is not
root) or one that keeps root could otherwise stop or kill; nor a service's abstract socket
(an X server's, say) or a classmate's judge where sessions share a network. The judge's own
channel is a socket file for that reason (grader.channel).

A confinement binds for good. Where the kernel offers no Landlock (older than 5.13, built
without it, or a seccomp filter that refuses its calls), or only its first version (5.13 to
5.18, see :data:`LEAST_ABI`), nothing is done, and ``grader doctor`` says so.
``$GRADER_LANDLOCK_ABI`` caps the version used, to rehearse an older kernel (0: none).
"""

from __future__ import annotations

import ctypes
import functools
import os
import site
import struct
import sys
from collections.abc import Iterable

# The three system calls have these numbers on every architecture (added after the unified
# numbering of Linux 5.1).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_ASK_VERSION = 1  # landlock_create_ruleset's flag: return the ABI version
_PATH_BENEATH = 1  # landlock_add_rule's rule type
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
MAKE_CHAR, MAKE_BLOCK = 1 << 6, 1 << 11
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3 and 5
READ = EXECUTE | READ_FILE | READ_DIR
# ABI 1 (Linux 5.13-5.18) refuses every rename and link from one folder to another to a
# confined process, however its rules read: a student's code that moves a file from one
# folder of its own to another would fail there and nowhere else. So only ABI 2 (5.19) on,
# where REFER can be allowed in the folders a sandbox writes in.
LEAST_ABI = 2
# ABI 6 (Linux 6.12) scopes signals and abstract Unix sockets: a confined process may signal,
# and connect by abstract name to, only the processes of its own confinement (itself and what
# it started after it), so never the judge, the grader or another program of the machine.
SCOPES_ABI = 6
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
CEILING_ENV = "GRADER_LANDLOCK_ABI"

# Read and run: the system's programs, libraries and configuration (/etc: users, locale,
# hosts, ld.so.cache), and /sys for CPU counts. /nix/store where the system lives there.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys",
          "/nix/store")  # fmt: skip
DEVICES = ("/dev", "/proc")  # read and write files (/dev/null, /proc/self/...), no new ones
# Anything but device nodes: what a student's code and multiprocessing write (the same
# folders the sweep after each test empties of the sandbox uid's files; grader.users).
TEMPORARY = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")


class CeilingError(ValueError):
    """``$GRADER_LANDLOCK_ABI`` is not a whole number from 0 on (the message names it)."""


def ceiling() -> int | None:
    """The highest ABI version ``$GRADER_LANDLOCK_ABI`` lets the grader use; None when unset.
    Raises CeilingError naming the variable when its value is not a number from 0 on."""
    text = os.environ.get(CEILING_ENV, "")
    digits = text.strip()
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit()):  # "-1", "6.1" and "x" alike
        raise CeilingError(f"{CEILING_ENV}={text!r}: expected a whole number from 0 on")
    return int(digits)


@functools.cache
def kernel_abi() -> int:
    """The Landlock ABI version this kernel offers; 0 where there is none."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _libc().syscall(
        _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_ASK_VERSION)
    )
    return max(0, int(version))


def abi() -> int:
    """The Landlock ABI version the grader uses: the kernel's, capped by :func:`ceiling`."""
    cap = ceiling()
    return kernel_abi() if cap is None else min(kernel_abi(), cap)


def available() -> bool:
    """Whether sandboxes here are confined: the kernel offers Landlock :data:`LEAST_ABI` on."""
    return abi() >= LEAST_ABI


def scoped() -> bool:
    """Whether a confined sandbox may signal, and reach by abstract socket, only what it
    started (:data:`SCOPES_ABI`)."""
    return abi() >= SCOPES_ABI


def python_folders() -> set[str]:
    """The interpreter's folders: its prefixes, its executable's folder (as named and as
    resolved) and its site-packages (grader.namespaces keeps them in a sandbox's view too)."""
    return {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.abspath(sys.executable)),
        os.path.dirname(os.path.realpath(sys.executable)),
        *site.getsitepackages(),
    }


@functools.cache
def interpreter_paths() -> tuple[str, ...]:
    """The folders a sandbox must read beside the system's: the interpreter's, and the
    grader package (only its own folder: an editable install's parent is the repository,
    with the solutions in it)."""
    import grader

    paths = {*python_folders(), os.path.dirname(os.path.abspath(grader.__file__))}
    return tuple(sorted(p for p in paths if os.path.isdir(p)))


def _importable_from() -> str:
    """The folder ``grader`` is imported from: programs a spec has the student start put it
    on their ``sys.path`` (16_subprocesses), and the import system lists it to find the
    package. Listing only: in an editable install it is the repository, whose files (the
    solutions) stay unreadable."""
    import grader

    return os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))


def ruleset(own: Iterable[str]) -> int | None:
    """The rules of the module's docstring, ``own`` the folders a sandbox may also write in:
    a ruleset's descriptor (close-on-exec), owned by the caller, for :func:`restrict` to
    apply in each sandbox; None where the kernel offers no Landlock.

    Made once per session, in the process the sandboxes are forked from: each sandbox then
    makes two system calls, not forty, in a fresh copy where every first call is costly.
    Raises OSError naming the step when the kernel offers Landlock but refuses a rule.
    """
    if not available():
        return None
    libc = _libc()
    handled = _handled(abi())
    # struct landlock_ruleset_attr: file rights, network rights (none handled: Landlock's are
    # by port, and a student's server binds the port it likes), and from ABI 6 the scopes.
    if scoped():
        packed = struct.pack("<QQQ", handled, 0, _SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET)
    else:
        packed = struct.pack("<Q", handled)
    attr = ctypes.create_string_buffer(packed, len(packed))
    size = ctypes.c_size_t(len(packed))
    fd = int(libc.syscall(_CREATE_RULESET, attr, size, ctypes.c_uint32(0)))
    if fd < 0:
        _fail("landlock_create_ruleset")
    try:
        files = handled & ~(MAKE_CHAR | MAKE_BLOCK)
        devices = handled & (READ | WRITE_FILE | TRUNCATE | IOCTL_DEV)
        rules = [(path, READ) for path in (*SYSTEM, *interpreter_paths())]
        rules.append((_importable_from(), READ_DIR))
        rules += [(path, devices) for path in DEVICES]
        rules += [(path, files) for path in (*TEMPORARY, *own)]
        for path, rights in rules:
            _allow(libc, fd, path, rights)
    except BaseException:
        os.close(fd)
        raise
    return fd


def restrict(fd: int) -> None:
    """Confine this process, and all it starts from now on, to the ruleset ``fd``, for good
    (no-new-privs first, as Landlock requires). Raises OSError naming the step it failed."""
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _fail("prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.syscall(_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
        _fail("landlock_restrict_self")


def confine(own: Iterable[str]) -> int:
    """:func:`ruleset` and :func:`restrict` at once (``grader doctor``'s probe): the ABI
    version used, or 0 where the kernel offers none (or only ABI 1) and nothing was done."""
    fd = ruleset(own)
    if fd is None:
        return 0
    try:
        restrict(fd)
    finally:
        os.close(fd)
    return abi()


def _handled(version: int) -> int:
    """Every file access right ABI ``version`` knows: each is refused where no rule allows it."""
    rights = (1 << 13) - 1  # ABI 1: execute, write, read, read a folder, remove, make
    if version >= 2:
        rights |= REFER
    if version >= 3:
        rights |= TRUNCATE
    if version >= 5:
        rights |= IOCTL_DEV
    return rights


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    """Allow ``rights`` beneath the folder ``path``; passed over where there is none."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY)
    except OSError:
        return
    try:
        rule = ctypes.create_string_buffer(struct.pack("<Qi", rights, fd), 12)
        kind = ctypes.c_int(_PATH_BENEATH)
        if libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), kind, rule, ctypes.c_uint32(0)) != 0:
            _fail(f"landlock_add_rule({path})")
    finally:
        os.close(fd)


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, made once in the process sandboxes are forked from (every confine
    then uses it without a new handle, which would copy pages in a fresh fork)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _fail(what: str) -> None:
    err = ctypes.get_errno()
    raise OSError(err, f"{what}: {os.strerror(err)}")
