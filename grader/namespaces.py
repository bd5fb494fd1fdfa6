"""Linux namespaces that keep a grading session's sandboxes away from the machine and the judge.

Two pieces, each made once per pytest session and each optional (where the kernel refuses,
the session carries on without it and ``grader doctor`` says so):

* :func:`isolate_network` moves the whole session (the judge's test processes and every
  sandbox) into a new network and System V IPC namespace with only loopback up. Student
  servers and the spec's clients talk over 127.0.0.1 as before; parallel sessions never
  collide on a port; a connection to any other address fails. As root this is a plain
  ``unshare``; as a normal user it needs an unprivileged user namespace, which is tried in a
  throwaway child first so that a half-made namespace never strands the session.
* :func:`hidden_view` (root only) builds a mount namespace for sandboxes: the spec folder,
  the solutions, the mutants and the repository's history are covered by empty read-only
  folders, and folders on the way to the interpreter that only root may enter (Python under
  ``/root/.pyenv``) are replaced by a traversable stand-in holding just that path. Sandboxes
  enter it with :func:`enter_view` before dropping to their uid. The session owns the
  namespace's descriptor; the helper process that built it is gone by the time it returns.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

from grader import isolation, landlock, submitted
from grader.isolation import libc

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
_LINUX = sys.platform.startswith("linux")


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int, what: str) -> None:
    _check(libc().unshare(flags), f"unshare({what})")


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH22x", b"lo", 0)
        (flags,) = struct.unpack_from("H", fcntl.ioctl(s, SIOCGIFFLAGS, request), 16)
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def _map_own_ids() -> None:
    """In a new user namespace: be the same uid and gid as outside, with no capabilities."""
    uid, gid = os.getuid(), os.getgid()
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _drop_capabilities() -> None:
    """Empty this process's capability sets (those a new user namespace gave it)."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    _check(libc().capset(header, data), "capset")


def _enter_network_namespace(as_root: bool) -> None:
    if as_root:
        _unshare(CLONE_NEWNET | CLONE_NEWIPC, "CLONE_NEWNET|CLONE_NEWIPC")
        _loopback_up()
        return
    # The id maps are written through /proc/self, which a non-dumpable process does not own:
    # be dumpable while making the namespace (a grader process turns non-dumpable afterwards).
    libc().prctl(isolation.PR_SET_DUMPABLE, 1, 0, 0, 0)
    _unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC, "CLONE_NEWUSER|CLONE_NEWNET")
    _map_own_ids()
    _loopback_up()
    _drop_capabilities()


def network_namespace_possible() -> tuple[bool, str]:
    """Whether :func:`isolate_network` would work here, tried in a throwaway child."""
    if not _LINUX:
        return False, "not Linux"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the trial child
        os.close(read_end)
        try:
            _enter_network_namespace(os.geteuid() == 0)
            with socket.create_server(("127.0.0.1", 0)):
                pass
            os.write(write_end, b"ok")
        except BaseException as exc:
            os.write(write_end, str(exc).encode()[:400])
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        answer = os.read(read_end, 512).decode(errors="replace")
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    return answer == "ok", answer or "the trial process died"


def isolate_network() -> str:
    """Move this process (a session, before it starts any test) into its own network.

    Returns '' when done, else why not (the process is then unchanged).
    """
    possible, why = network_namespace_possible()
    if not possible:
        return why
    try:
        _enter_network_namespace(os.geteuid() == 0)
    except OSError as exc:  # the trial passed, so this is not expected
        return str(exc)
    return ""


# -- the sandboxes' view of the file system (root only) -----------------------------------------


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str) -> None:
    c = libc()
    result = c.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(result, f"mount {target}")


def needed_paths() -> list[str]:
    """What a sandbox must reach: the interpreter, its libraries, and the grader itself.

    Not every ``sys.path`` entry: pytest puts the spec's own folder there, which is hidden.
    """
    import grader

    paths = {
        *landlock.python_folders(),
        os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__))),
    }
    return sorted(p for p in paths if os.path.isdir(p))


def unreachable(paths: Iterable[str]) -> list[str]:
    """Folders on the way to ``paths`` that other users may not enter (e.g. ``/root``)."""
    return sorted(_closed_ancestors(paths))


def _closed_ancestors(paths: Iterable[str]) -> dict[str, set[str]]:
    """Folders on the way to ``paths`` that others may not enter, with the names to keep."""
    closed: dict[str, set[str]] = {}
    for path in paths:
        parts = Path(os.path.realpath(path)).parts
        current = "/"
        for name in parts[1:]:
            if not os.stat(current).st_mode & 0o001:
                closed.setdefault(current, set()).add(name)
            current = os.path.join(current, name)
    return closed


def _stand_in(folder: str, keep: set[str]) -> None:
    """Cover ``folder`` with a traversable tmpfs that holds only the entries in ``keep``."""
    handles = {name: os.open(os.path.join(folder, name), os.O_PATH) for name in keep}
    try:
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for name, fd in handles.items():
            stand = os.path.join(folder, name)
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(stand)
            else:
                os.close(os.open(stand, os.O_CREAT | os.O_WRONLY, 0o644))
            _mount(f"/proc/self/fd/{fd}", stand, None, MS_BIND | MS_REC, "")
    finally:
        for fd in handles.values():
            os.close(fd)


def _build_view(hide: Iterable[str], expose: Iterable[str]) -> None:
    _unshare(CLONE_NEWNS, "CLONE_NEWNS")
    _mount(None, "/", None, MS_REC | MS_PRIVATE, "")  # nothing we mount reaches the host
    closed = _closed_ancestors(expose)
    for folder in sorted(closed, key=lambda p: len(Path(p).parts)):  # outermost first
        _stand_in(folder, closed[folder])
    for path in hide:
        # A folder that holds what sandboxes need (``--target .`` with an editable install)
        # stays: its hidden subfolders (exercises, solutions, tests, .git) are listed too.
        if os.path.isdir(path) and not any(submitted.inside(e, path) for e in expose):
            flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
            _mount("tmpfs", path, "tmpfs", flags, "mode=0000,size=4k")


def hidden_view(hide: Iterable[str], expose: Iterable[str] | None = None) -> int:
    """A mount namespace for sandboxes (root only): its descriptor, owned by the caller.

    Raises OSError when it cannot be made; the message says which step failed.
    """
    hide, expose = list(hide), list(expose if expose is not None else needed_paths())
    read_end, write_end = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the builder child: it holds the namespace until opened
        os.close(read_end)
        os.close(go_w)
        try:
            _build_view(hide, expose)
            os.write(write_end, b"ok")
            os.read(go_r, 1)
        except BaseException as exc:
            os.write(write_end, f"{exc}".encode()[:400])
        finally:
            os._exit(0)
    os.close(write_end)
    os.close(go_r)
    try:
        answer = os.read(read_end, 512).decode(errors="replace")
        if answer != "ok":
            raise OSError(f"cannot build the sandboxes' view of the files: {answer or 'died'}")
        return os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(go_w)
        os.close(read_end)
        os.waitpid(pid, 0)


def view_problem() -> str | None:
    """Why this root grader's sandboxes would get no view of the files (the step that failed,
    as :func:`hidden_view` says it), or None where they would."""
    try:
        fd = hidden_view([])
    except OSError as exc:
        return str(exc)
    os.close(fd)
    return None


def enter_view(fd: int) -> None:
    """Enter the mount namespace ``fd`` (a single-threaded sandbox, still root), same folder."""
    here = os.getcwd()
    _check(libc().setns(fd, CLONE_NEWNS), "setns(CLONE_NEWNS)")
    os.chdir(here)  # entering a mount namespace moves to its root
