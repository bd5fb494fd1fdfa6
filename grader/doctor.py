"""`grader doctor`: what isolation this machine gives the sandboxes, before anything is graded.

Every row is found out by trying it (in throwaway child processes), not by reading versions:
an instructor sees what a submission can and cannot do here, as root and as a normal user.
"""

from __future__ import annotations

import os
import platform
import secrets
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader import isolation, landlock, namespaces, polling, probe, users, workspace


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _works_in_a_child(trial: Callable[[], bool]) -> bool:
    """Whether ``trial()`` returns True in a throwaway child (it may change the process)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the trial child
        os._exit(0 if trial() else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _answer_in_a_child(trial: Callable[[], str]) -> str:
    """What ``trial()`` answers in a throwaway child (it may change the process), or what it
    raised there; the child is reaped before this returns."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the trial child
        os.close(read_end)
        try:
            answer = trial()
        except BaseException as exc:
            answer = str(exc) or type(exc).__name__
        os.write(write_end, answer.encode()[:400])
        os._exit(0)
    os.close(write_end)
    try:
        return os.read(read_end, 512).decode(errors="replace") or "the trial process died"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)


def _subreaper() -> Check:
    ok = _works_in_a_child(isolation.become_subreaper)
    detail = (
        "orphans of a test (double-forked, setsid daemons) come back to the grader and are killed"
        if ok
        else "no child subreaper (macOS): a double-forked setsid daemon can outlive its test"
    )
    return Check("child subreaper", ok, detail)


def _undumpable() -> Check:
    ok = _works_in_a_child(lambda: isolation.make_undumpable() and not isolation.dumpable())
    detail = (
        "grader processes cannot be read or ptraced by a process of the same uid"
        if ok
        else "not available: a sandbox of your uid could read grader memory"
    )
    return Check("non-dumpable grader", ok, detail)


def _separate_uid() -> Check:
    if not sys.platform.startswith("linux"):
        return Check("separate sandbox uid", False, "Linux only")
    if os.geteuid() != 0:
        return Check(
            "separate sandbox uid",
            False,
            "not root: sandboxes run as you; they can signal grader processes (a stopped or "
            "killed session is detected and reported) and write what you can write",
        )
    try:
        with users.lease() as uid:
            detail = (
                f"sandboxes run as uids {users.uid_range()} (e.g. {uid}), no groups, no "
                f"capabilities, no-new-privs, at most {users.PROCESS_LIMIT} processes; "
                "everything of that uid is killed and its temp files removed after each test"
            )
        return Check("separate sandbox uid", True, detail)
    except (OSError, users.UidRangeError) as exc:
        return Check("separate sandbox uid", False, str(exc))


def _view() -> Check:
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return Check(
            "hidden specs and solutions",
            False,
            "root only: as a normal user the sandbox can read what you can read",
        )
    why = namespaces.view_problem()
    if why is not None:
        closed = namespaces.unreachable(namespaces.needed_paths())
        then = (
            f"; the interpreter is inside {', '.join(closed)}, which the sandbox uid may not "
            "enter, so sandboxes will keep root (with only its capabilities over files)"
            if closed
            else "; sandboxes can read the specs and solutions"
        )
        return Check("hidden specs and solutions", False, f"{why}{then}")
    return Check(
        "hidden specs and solutions",
        True,
        "sandboxes see empty folders where the specs, solutions, mutants and .git are; the "
        "interpreter stays reachable",
    )


def _landlock() -> Check:
    """Confine a throwaway child as a sandbox confines itself, and see /var refused to it."""
    name = "confined file access"
    version = landlock.abi()
    if not landlock.available():
        if not sys.platform.startswith("linux"):
            why = "Linux only"
        elif landlock.kernel_abi():
            why = f"{_abi_named(version)}, not 2"
        else:
            why = "no Landlock here"
        return Check(name, False, f"{why} (Linux 5.19+): sandboxes read what their uid may")
    return _confined_trial(
        name,
        _confined_child_lists_var,
        "sandboxes read only the system's folders, the interpreter and the grader, and write "
        "only temporary folders and their own, whatever a file's mode and whatever their uid",
    )


def _workspace() -> Check:
    """Where the grader stages modules and keeps specs and results (grader.workspace), and
    what keeps sandboxes from changing them there."""
    name = "grader's folders kept apart"
    base = workspace.base()
    if not workspace.sandboxes_act_as_the_grader():
        return Check(name, True, f"in {base}: root's, and every sandbox runs as another uid")
    if not landlock.available():
        return Check(name, False, f"in {base}: a sandbox may change them, as any file you own")
    why = workspace.exposed()
    if why is None:
        return Check(name, True, f"in {base}, where Landlock lets no sandbox write")
    return Check(
        name,
        False,
        f"in {base} ({why}): a sandbox may change the staged modules, specs and results of "
        "the gradings beside and after it",
    )


def _abi_named(version: int) -> str:
    """The words "Landlock ABI N", and the kernel's own where $GRADER_LANDLOCK_ABI lowers it."""
    kernel = landlock.kernel_abi()
    capped = f" ({landlock.CEILING_ENV} caps the kernel's {kernel})" if version < kernel else ""
    return f"Landlock ABI {version}{capped}"


def _scopes() -> Check:
    """Confine a throwaway child and see its signal to this process, and its connection to an
    abstract socket this process made, refused (Landlock ABI 6)."""
    name = "signals and sockets kept in"
    version = landlock.abi()
    if not landlock.scoped():
        why = _abi_named(version) if landlock.kernel_abi() else "no Landlock here"
        reach = (
            "as root a sandbox's own uid keeps it from the grader, unless sandboxes keep root"
            if os.geteuid() == 0
            else "a sandbox may stop or kill any process of yours, the grader's too"
        )
        return Check(
            name,
            False,
            f"{why} (scoped from ABI 6, Linux 6.12): {reach}; it may connect to any abstract "
            "socket of its network",
        )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        address = f"\0katas-doctor-{os.getpid()}-{secrets.token_hex(4)}"
        listener.bind(address)
        listener.listen(1)
        return _confined_trial(
            name,
            lambda: _confined_child_reaches_out(address),
            "a sandbox may signal only the processes it started, never the judge, the grader "
            "or another process of its uid, and connect to no abstract socket they did not "
            "make (a desktop's, a service's, a classmate's judge)",
        )


def _confined_trial(name: str, trial: Callable[[], str], holds: str) -> Check:
    """The row ``name``: ``trial()``, which confines itself, run in a throwaway child; yes
    and ``holds`` if it answers "ok", else no and what it answered."""
    named = _abi_named(landlock.abi())
    answer = _answer_in_a_child(trial)
    if answer != "ok":
        return Check(name, False, f"{named}: {answer}")
    return Check(name, True, f"{named}: {holds}")


def _confined_child_reaches_out(address: str) -> str:
    landlock.confine(())
    try:
        os.kill(os.getppid(), 0)  # the permission check alone: no signal is sent
    except PermissionError:
        pass
    else:
        return "a confined process could still signal the grader"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        try:
            conn.connect(address)
        except PermissionError:
            return "ok"
    return "a confined process could still connect to the grader's abstract socket"


def _confined_child_lists_var() -> str:
    landlock.confine(())
    try:
        os.listdir("/var")
    except PermissionError:
        return "ok"
    return "a confined process could still list /var"


def _judge_sees() -> Check:
    """Fork a stand-in sandbox that holds a pipe (as root: as a leased uid, dumpable, as
    sandboxes are) and see whether this process reads its descriptors, as judges do."""
    name = "judge sees sandboxes"
    if not sys.platform.startswith("linux"):
        return Check(name, False, "no /proc: checks of what a process holds or waits in judge less")
    if os.geteuid() != 0:
        return _sees_a_child(name, None, "your own processes")
    try:
        with users.lease() as uid:
            if uid is None:
                return Check(name, False, "no sandbox uid to try")
            if probe.borrows_owner_rights():
                how = "with the sandbox's own uid, as root here has no CAP_SYS_PTRACE"
            else:
                how = "CAP_SYS_PTRACE"
            return _sees_a_child(name, uid, how)
    except (OSError, users.UidRangeError) as exc:
        return Check(name, False, str(exc))


def _sees_a_child(name: str, uid: int | None, how: str) -> Check:
    """The row ``name``: whether a child (become ``uid`` unless None) shows this process
    the pipe it holds; ``how`` says by what right."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the stand-in sandbox: holds the pipe until released
        os.close(write_end)
        if uid is not None:
            users.drop_to(uid)
        os.read(read_end, 1)
        os._exit(0)
    try:
        pipe = os.readlink(f"/proc/self/fd/{read_end}")

        def shown() -> bool:  # once it has become its uid
            ids = (probe.status_field(pid, "Uid") or "").split()
            dropped = uid is None or ids == [str(uid)] * 4
            return dropped and pipe in probe.fd_links(pid).values()

        seen = polling.holds_within(shown, 5.0)
    finally:
        os.close(read_end)
        os.write(write_end, b"x")
        os.close(write_end)
        os.waitpid(pid, 0)
    if seen:
        return Check(
            name, True, f"the judge reads a sandbox's descriptors, memory and system calls ({how})"
        )
    return Check(
        name,
        False,
        "the judge cannot read a sandbox's descriptors: checks of what a process holds or "
        "waits in give no verdict, or fail",
    )


def _network() -> Check:
    ok, why = namespaces.network_namespace_possible()
    how = "" if os.geteuid() == 0 else " (through an unprivileged user namespace)"
    detail = (
        f"each session has its own network{how}: only loopback, no route out, no port clashes"
        if ok
        else f"not available ({why}): student code can connect to other machines and services"
    )
    return Check("network namespace", ok, detail)


def examine() -> list[Check]:
    """Every check, tried on this machine now."""
    return [
        Check(
            "platform",
            sys.platform.startswith("linux"),
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            + ("root" if os.geteuid() == 0 else f"uid {os.geteuid()}"),
        ),
        _separate_uid(),
        _view(),
        _landlock(),
        _workspace(),
        _scopes(),
        _judge_sees(),
        _undumpable(),
        _network(),
        _subreaper(),
        Check(
            "resource limits",
            True,
            "1 GiB address space (not enforced on macOS), 256 files, 64 MiB files, CPU seconds, "
            "no core, first to go when memory runs out (Linux); a hard wall-clock deadline "
            "per test kept by the parent",
        ),
        Check(
            "cgroups",
            False,
            "not used: processes are found by uid (root) or by the process tree, and killed",
        ),
    ]


def render(console: Console, checks: list[Check]) -> int:
    """Print the table; always 0 (the grader runs with whatever isolation there is)."""
    table = Table(title="What a submission can reach on this machine", title_justify="left")
    table.add_column("protection")
    table.add_column("here")
    table.add_column("what it means")
    for check in checks:
        mark = "[green]yes[/green]" if check.ok else "[yellow]no[/yellow]"
        table.add_row(check.name, mark, escape(check.detail))
    console.print(table)
    return 0
