"""The inside of a sandbox: the process that imports and runs the student's code.

:func:`enter` is called in a freshly forked child of the test process and never returns;
:func:`wait_for_job`, in a child forked before its test, gets ready and then receives its job.
It cuts the child off from the judge (new session, inherited descriptors closed, keys
scrubbed, default signal dispositions), applies resource limits, imports the student's
module, runs one function, and writes one frame describing what happened to the result
pipe. Until then it answers the judge's :data:`grader.stackdump.SIGNAL` with where the
student's code is (asked only when the run is past its deadline). Nothing it writes is
trusted beyond being a *claim* about a return value that the student controls anyway (or,
for the stack, text to show); the judge makes its own observations.
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import json
import math
import os
import pickle
import resource
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NoReturn

from grader import codec, isolation, landlock, namespaces, probe, secret, stackdump, users, wire
from grader.isolation import libc, system_exit_code

RESULT_FD = 3
FALL_FD = 4  # a forked child that falls out of the student's function says so here
DUMP_FD = stackdump.DUMP_FD  # 5: where the sandbox answers the judge's "where are you?"
JOB_FD = 6  # a sandbox forked ahead reads its job here (closed before student code runs)
JOB_BUDGET = 32 * 1024  # a pickled job fits a pipe's buffer: sending it never blocks
KEPT_VARIABLES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR",
     "MALLOC_ARENA_MAX",
     "GRADER_SELFTEST_MARK"}  # the grader's own tests find their leftover processes by it
)  # fmt: skip
THREAD_STACK = 1024 * 1024
M_ARENA_MAX = -8


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandbox (and, inherited, everything it starts)."""

    address_space: int = 1024 * 1024 * 1024
    open_files: int = 256
    file_size: int = 64 * 1024 * 1024
    cpu_seconds: int = 60


@dataclass(frozen=True)
class Identity:
    """Who a sandbox becomes when the grader is root (see grader.users, grader.namespaces).

    ``view_fd`` is the session's mount namespace in which the specs, solutions and mutants
    are covered and the interpreter is reachable; the session owns and closes it. None where
    no mount namespace can be made (a container without CAP_SYS_ADMIN): sandboxes then see
    the files as the machine shows them to an unprivileged uid.
    """

    uid: int
    view_fd: int | None


@dataclass(frozen=True)
class Job:
    """What to run: a student function by name, or a trusted scenario given the module."""

    module_path: str
    module_name: str
    display_path: str
    function: str | None
    scenario: Callable[..., object] | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    limits: Limits
    linger: bool  # call mode: wait to be observed and killed; start mode: exit when done
    label: str | None = None  # how messages name this run (default: "fn()" or "scenario name")
    identity: Identity | None = None  # None: keep the test process's uid (not root)


def enter(job: Job, result_w: int, fall_w: int, dump_w: int, out_fd: int, err_fd: int) -> None:
    """Run ``job`` in this (forked) process and exit; never returns."""
    me = os.getpid()

    def run() -> int:
        secret.scrub_all()
        if job.identity is not None and job.identity.view_fd is not None:
            namespaces.enter_view(job.identity.view_fd)  # before _cut_off closes it
        _confine()
        _cut_off(result_w, fall_w, dump_w, out_fd, err_fd)
        return _run_job(job, me)

    _exit_after(run)


# The session's Landlock ruleset (grader.landlock), set once by the plugin where the kernel
# offers Landlock; every sandbox forked from the session's processes applies it.
confinement: int | None = None


def _confine() -> None:
    """Apply the session's ruleset, if any, before anything of the job (_cut_off closes it);
    first, make this sandbox the first to go when memory runs out."""
    _first_to_go()
    if confinement is not None:
        landlock.restrict(confinement)


def _first_to_go() -> None:
    """Make this sandbox, and all it starts, the first processes the kernel's OOM killer ends
    (``oom_score_adj`` 1000): a submission that fills the memory (1 GiB for each of its
    processes) takes its own down, not the grader's. Written while the sandbox is still the
    grader's uid: where that is root with CAP_SYS_RESOURCE, the kernel then refuses the
    student's code a lower value. A non-dumpable process's ``/proc`` files are root's, so a
    grader that is not root opens it while dumpable for a moment (as the sandbox will be
    from :func:`_become_student` on anyway; the key is scrubbed already)."""
    if not sys.platform.startswith("linux"):
        return
    lend = os.geteuid() != 0 and not isolation.dumpable()
    if lend:
        libc().prctl(isolation.PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        try:
            os.write(fd, b"1000")
        finally:
            os.close(fd)
    except OSError:  # no /proc, or one that refuses it (a hardened container): as before
        pass
    finally:
        if lend:
            isolation.make_undumpable()


def _exit_after(run: Callable[[], int]) -> NoReturn:
    """Exit this sandbox with the code ``run()`` returns, a SystemExit's, or 71 for anything
    else it raised (70: it did not get that far); never returns to the grader's code."""
    code = 70
    try:
        code = run()
    except SystemExit as exc:
        code = system_exit_code(exc)
    except BaseException:
        code = 71
    finally:
        os._exit(code)


@dataclass(frozen=True)
class Order:
    """What a sandbox forked ahead (:func:`wait_for_job`) is sent: the job, and what a
    sandbox forked for its job would have inherited from the test process at the call:
    its working directory, the variables of its environment that a sandbox keeps, and its
    umask (none of the grader's own variables is sent)."""

    job: Job
    cwd: str
    environ: dict[str, str]
    umask: int

    @classmethod
    def now(cls, job: Job) -> Order:
        return cls(job, os.getcwd(), _kept_environ(), _umask())


def _kept_environ() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if _kept(name)}


_MADE_UP_JOB = Job(
    module_path="/m.py",
    module_name="m",
    display_path="m.py",
    function="f",
    scenario=None,
    args=(1,),
    kwargs={"k": "v"},
    limits=Limits(),
    linger=True,
)


def rehearse_order() -> None:
    """Make a made-up order, pickle it and read it back, as a judge and a sandbox forked
    ahead first do at a call: in a process that will, before it waits for the call, so
    that the pages those first calls write (``/proc/self/status`` read for the umask, the
    environment decoded, the pickler's) are copied while the previous test runs."""
    pickle.loads(pickle.dumps(Order.now(_MADE_UP_JOB)))


def _rehearse_running() -> None:
    """In a sandbox forked ahead, before its job: make the first calls of a run that do not
    depend on the job (a made-up order read, a made-up module's source compiled and run, a
    module spec made, the stack-dump signal's disposition set to what it is already, the
    start method set), so that the pages they write are copied while the previous test
    runs. Nothing here runs student code or depends on the job."""
    rehearse_order()
    exec(compile("def f():\n    return 42\n", _MADE_UP_JOB.module_path, "exec"), {})
    spec = importlib.util.spec_from_file_location("m", _MADE_UP_JOB.module_path)
    if spec is not None:
        importlib.util.module_from_spec(spec)
    os.path.realpath(_MADE_UP_JOB.module_path)
    signal.signal(stackdump.SIGNAL, signal.SIG_DFL)
    isolation.every_start_method_forks()


def _umask() -> int:
    """This process's umask, read without setting it where the kernel tells (Linux 4.7+):
    setting it to read it would change it for a moment under the test's other threads."""
    umask = probe.status_field("self", "Umask")
    if umask is not None:
        return int(umask, 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


TAKEN = b"+"  # a sandbox forked ahead has its job, before any student code runs


def wait_for_job(
    job_r: int,
    result_w: int,
    fall_w: int,
    dump_w: int,
    out_fd: int,
    err_fd: int,
    view_fd: int | None,
) -> None:
    """Get ready in this process, forked before its job is known, then wait for the job on
    ``job_r`` and run it as :func:`enter` would; never returns. A job pipe that closes
    without a job means the sandbox is not needed: it exits quietly. Once it has the job it
    says so with one byte (:data:`TAKEN`) on the fall-through pipe, which nothing else has
    written to yet: a sandbox that cannot take its job exits without it, before running
    any student code, and the judge forks one instead."""
    me = os.getpid()

    def run() -> int:
        secret.scrub_all()
        if view_fd is not None:
            namespaces.enter_view(view_fd)
        _confine()
        _cut_off(result_w, fall_w, dump_w, out_fd, err_fd, job_r)
        _rehearse_running()
        data = wire.read_frame(JOB_FD, JOB_BUDGET)
        if data is None:
            return 0
        # The only writer is the test process that forked us; no student code has run yet.
        order = pickle.loads(data)
        os.close(JOB_FD)
        os.chdir(order.cwd)
        if _kept_environ() != order.environ:  # else _become_student drops the rest
            os.environ.clear()
            os.environ.update(order.environ)
        os.umask(order.umask)
        os.write(FALL_FD, TAKEN)
        return _run_job(order.job, me)

    _exit_after(run)


def _run_job(job: Job, me: int) -> int:
    """Become the student, run ``job``, send its frame (linger if asked); the exit code."""
    _apply_limits(job.limits)
    isolation.every_start_method_forks()  # spawn too: the spec's callables reach its children
    _become_student(job.identity)
    stackdump.install(job.module_path)  # before the import: a module-level loop is shown too
    frame = _run(job, me)
    if os.getpid() != me:  # a fork fell out of the student's function
        _fell_through("returned from the student's function", 0)
    _flush()
    wire.write_frame(RESULT_FD, json.dumps(frame).encode())
    if job.linger:
        while True:  # the judge looks at the process table, then kills us
            signal.pause()
    return 0


def _become_student(identity: Identity | None) -> None:
    """Drop to the sandbox uid (root) or stay ours; either way dumpable, like any program.
    A sandbox that stays root (no uid to drop to: see grader.plugin) gives up every
    capability but those that pass file permissions.

    Grader processes are non-dumpable; a sandbox is made dumpable again so that the student's
    own processes (and the judge) can read its ``/proc`` entries as they could outside.
    """
    _clean_environment()
    if identity is not None:
        users.drop_to(identity.uid)
        os.environ["HOME"] = os.getcwd()  # root's home is not the student's
        os.environ["USER"] = os.environ["LOGNAME"] = f"sandbox{identity.uid}"
    elif sys.platform.startswith("linux"):
        if os.geteuid() == 0:
            users.keep_file_capabilities_only()
        libc().prctl(isolation.PR_SET_DUMPABLE, 1, 0, 0, 0)


def _fell_through(how: str, code: int) -> None:
    """End a process forked by student code that came back into grader code; tell the judge.

    It must never run the grader's machinery; the judge reports it (``Outcome.fell_through``)
    because ending every child with ``os._exit`` is what the course teaches.
    """
    try:
        os.write(FALL_FD, f"{os.getpid()} {how}\n".encode()[:400])  # one atomic pipe write
    except OSError:
        pass
    os._exit(code)


def _clean_environment() -> None:
    """Keep only the variables a program needs: the grader's own (tokens, keys) stay out."""
    for name in list(os.environ):
        if not _kept(name):
            del os.environ[name]


def _kept(name: str) -> bool:
    return name in KEPT_VARIABLES or name.startswith("LC_")


def _cut_off(
    result_w: int, fall_w: int, dump_w: int, out_fd: int, err_fd: int, job_r: int | None = None
) -> None:
    os.setsid()  # killpg(0) from student code reaches only its own tree
    # Lift every source above the targets first: a source that happens to be fd 3 to 6
    # would otherwise be overwritten before it is copied (closerange drops the lifted copies).
    sources = [os.open(os.devnull, os.O_RDONLY), out_fd, err_fd, result_w, fall_w, dump_w]
    devnull, out, err, result, fall, dump, *job = (
        fcntl.fcntl(fd, fcntl.F_DUPFD, JOB_FD + 1)
        for fd in (*sources, *([] if job_r is None else [job_r]))
    )
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.dup2(result, RESULT_FD)
    os.dup2(fall, FALL_FD)
    os.dup2(dump, DUMP_FD, inheritable=False)  # programs the student execs do not get it
    if job:
        os.dup2(job[0], JOB_FD, inheritable=False)
    last = JOB_FD if job else DUMP_FD
    os.closerange(last + 1, max(4096, _fd_ceiling()))
    _startup_signals()
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    signal.setitimer(signal.ITIMER_REAL, 0)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    # pytest collects exceptions from threads and "unraisable" ones; a student must see them.
    threading.excepthook = threading.__excepthook__
    sys.unraisablehook = sys.__unraisablehook__
    sys.excepthook = sys.__excepthook__


# Every signal but the two no process may handle, as plain ints. The child sets them through
# _signal: signal.signal() converts each number and handler to and from enums, and in a fresh
# fork that bookkeeping copied 62 pages instead of 19.
_C_SIGNAL: Any = importlib.import_module("_signal")  # its handlers are its own int objects
_RESETTABLE = tuple(
    sorted(int(s) for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP))
)
_IGNORED_AT_STARTUP = tuple(
    int(getattr(signal, name)) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name)
)


def _startup_signals() -> None:
    """Signal dispositions as a fresh ``python3`` has them, whatever the judge had set.

    Everything default, except what CPython sets at start-up: SIGPIPE and SIGXFSZ ignored
    (a write to a reset socket raises BrokenPipeError instead of killing the process) and
    SIGINT raising KeyboardInterrupt.
    """
    for signum in _RESETTABLE:
        try:
            _C_SIGNAL.signal(signum, _C_SIGNAL.SIG_DFL)
        except (OSError, ValueError):
            pass
    for signum in _IGNORED_AT_STARTUP:
        _C_SIGNAL.signal(signum, _C_SIGNAL.SIG_IGN)
    _C_SIGNAL.signal(int(signal.SIGINT), signal.default_int_handler)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _fd_ceiling() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 65536


_ARENAS_LIMITED = False  # limit_arenas() ran in this process or one it was forked from


def limit_arenas() -> None:
    """Cap glibc's malloc arenas at 2 in this process and every process forked from it.

    Under the sandbox's address-space limit each new thread's arena (64 MiB reserved) would
    soon exhaust it. glibc read MALLOC_ARENA_MAX at start-up, so the live heap is told with
    mallopt(), which first consolidates the whole heap: in a fresh sandbox that copied 69
    pages. The session does it once (the plugin); its test processes and their sandboxes
    inherit the setting, and the variable for programs they exec (setting it copied another
    33 pages); a sandbox forked from anywhere else does both itself.
    """
    global _ARENAS_LIMITED
    if not _ARENAS_LIMITED and sys.platform.startswith("linux") and hasattr(libc(), "mallopt"):
        libc().mallopt(M_ARENA_MAX, 2)
    _ARENAS_LIMITED = True
    if os.environ.get("MALLOC_ARENA_MAX") != "2":
        os.environ["MALLOC_ARENA_MAX"] = "2"  # for programs the student execs


def _apply_limits(limits: Limits) -> None:
    limit_arenas()
    threading.stack_size(THREAD_STACK)
    settings = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_FSIZE, limits.file_size),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
    ]
    if sys.platform.startswith("linux"):  # macOS does not enforce RLIMIT_AS
        settings.append((resource.RLIMIT_AS, limits.address_space))
    for which, value in settings:
        _, hard = resource.getrlimit(which)
        capped = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (capped, capped))


def _run(job: Job, me: int) -> dict[str, Any]:
    try:
        module = _import(job)
    except BaseException as exc:
        if os.getpid() != me:
            _fell_through(f"forked during the import, then raised {type(exc).__name__}", 1)
        return _import_failure(job, exc)
    if os.getpid() != me:
        _fell_through("forked while the module was imported", 0)
    try:
        if job.scenario is not None:
            value = job.scenario(module, *job.args, **job.kwargs)
        else:
            assert job.function is not None
            target = getattr(module, job.function, None)
            if not callable(target):
                return {
                    "kind": "missing",
                    "message": f"{job.display_path} has no function {job.function}()",
                }
            value = target(*job.args, **job.kwargs)
    except SystemExit as exc:
        if os.getpid() != me:
            _fell_through(f"called sys.exit({exc.code!r})", system_exit_code(exc))
        return _raised(job, exc)
    except BaseException as exc:
        if os.getpid() != me:
            _fell_through(f"raised {type(exc).__name__}", 1)
        return _raised(job, exc)
    if os.getpid() != me:
        _fell_through("returned from the student's function", 0)
    try:
        return {"kind": "return", "value": codec.encode(value).decode()}
    except codec.CodecError as exc:
        return {"kind": "unsupported", "message": f"returned a value that cannot be graded: {exc}"}


def _import(job: Job) -> ModuleType:
    sys.dont_write_bytecode = True  # leave no __pycache__ in the student's folder
    folder = os.path.dirname(job.module_path)
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(job.module_name, job.module_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {job.display_path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[job.module_name] = module  # pickling by reference (Pool.map) finds it here
    spec.loader.exec_module(module)
    return module


def _import_failure(job: Job, exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, SyntaxError):
        where = f"{job.display_path} line {exc.lineno}" if exc.lineno else job.display_path
        text = (exc.text or "").rstrip("\n")
        detail = f"\n    {text.strip()}" if text.strip() else ""
        return {
            "kind": "import",
            "type": type(exc).__name__,
            "message": f"{where}: {exc.msg}{detail}",
            "traceback": "",
        }
    return {
        "kind": "import",
        "type": type(exc).__name__,
        "message": f"{job.display_path}: importing the module raised {type(exc).__name__}: {exc}",
        "traceback": _student_traceback(job, exc),
    }


def _raised(job: Job, exc: BaseException) -> dict[str, Any]:
    return {
        "kind": "raise",
        "type": type(exc).__name__,
        "message": _safe_str(exc),
        "traceback": _student_traceback(job, exc),
        "todo": isinstance(exc, NotImplementedError),
        "exit_code": system_exit_code(exc) if isinstance(exc, SystemExit) else None,
    }


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except Exception:
        return f"<{type(exc).__name__} whose str() failed>"


def _student_traceback(job: Job, exc: BaseException) -> str:
    """The traceback cut down to frames in the student's own file."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if os.path.realpath(f.filename) == os.path.realpath(job.module_path)]
    lines = []
    for frame in mine[-8:]:
        lines.append(f'  File "{job.display_path}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.append(f"{type(exc).__name__}: {_safe_str(exc)}")
    return "\n".join(lines)


def cpu_seconds_for(deadline: float) -> int:
    """An RLIMIT_CPU that correct code within ``deadline`` never reaches."""
    return max(5, math.ceil(deadline * 2) + 2)
