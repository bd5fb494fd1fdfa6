"""Run one exercise's spec in its own pytest session and read back what it reported.

The supervisor (this module's caller) never imports student code and never runs a spec test
itself. It starts ``python -I -m pytest -p grader.plugin`` in a subprocess (within
:func:`warm_sessions`, forked by a zygote that has pytest imported: :mod:`grader.zygote`),
hands it a fresh results key through an inherited pipe, reads the signed results file, and
then kills whatever the session left behind (the supervisor is a child subreaper). As root
it also leases the session's sandbox uid (:mod:`grader.users`) and holds it until the
session is swept.

It owns the session folder and everything in it, the session's output file and the session
process, and removes, closes and reaps them here. The session folder (0711 as root, so a
sandbox uid can reach the folders it is given but list nothing) holds:

* ``results/`` (0700, the grader's uid only): the signed results file;
* ``student/`` (owned by the sandbox uid): the one student module copied out of the target;
* ``tmp/``: pytest's ``tmp_path`` folders; ``tests/``: one working folder per test.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from grader import isolation, probe, secret, submitted, users, workspace, zygote
from grader.catalog import Exercise
from grader.isolation import Deadline, OutputFile
from grader.live import Observer, Tail
from grader.results import ExerciseResult, TestResult
from grader.trim import tail

SESSION_INI = Path(__file__).with_name("session.ini")
SESSION_PREFIX = "grader-session-"
STOP_GRACE = 2.0  # seconds a session may stay stopped (SIGSTOP) before it is given up
_ACTIVE: set[int] = set()  # session pids running now (grading runs several at once)
_HELPERS: set[int] = set()  # the grader's own long-lived helpers (verify --load's busy processes)
_ACTIVE_LOCK = threading.Lock()
_UNENDED: set[PreparedSession] = set()  # prepared sessions not yet ended by their caller


@dataclass(frozen=True)
class Target:
    """Where the student modules come from: a folder laid out like exercises/.

    ``refused``: modules already refused by whoever made the folder (``grader batch`` copies
    each student's modules into one), by exercise name; the others are read from ``folder``.
    ``hide``: more folders the student's code must not read, besides the spec's and the
    target's (``grader batch``: the class's folder, with every classmate's work and names,
    and the batch's output, with every record); see :func:`hidden_paths`.
    """

    folder: Path
    display_root: Path
    refused: Mapping[str, submitted.Refused] = field(default_factory=dict)
    hide: tuple[Path, ...] = ()


def session_budget(exercise: Exercise) -> float:
    """Wall-clock limit for the whole session: generous, since every test has its own deadline."""
    text = exercise.spec_path.read_text(encoding="utf-8", errors="replace")
    tests = max(1, len(re.findall(r"^\s*(?:async\s+)?def\s+test_", text, re.MULTILINE)))
    return 60.0 + tests * (exercise.timeout + 5.0)


@dataclass(frozen=True)
class Staged:
    """The student's module as a session gets it: its copy's folder, its path as the student
    knows it, and why it was not copied (None when it was, or when there is none)."""

    folder: Path
    shown: str
    refused: submitted.Refused | None = None


def stage(exercise: Exercise, target: Target, workdir: Path, uid: int | None = None) -> Staged:
    """Copy the one student module out of ``target`` into ``workdir``.

    Nothing else from the target is ever used: a planted conftest.py, sitecustomize.py,
    ``*.pth``, helper module or ``__pycache__`` beside the module has no effect, and the
    module itself is read only from inside the target (see grader.submitted). With a
    sandbox ``uid`` the copy and its folders belong to that uid (mode 0700: no other
    session's uid can read it).
    """
    source = exercise.module_in(target.folder)
    staged = workdir / "student"
    (staged / exercise.name).mkdir(parents=True, mode=0o700)
    refused = target.refused.get(exercise.name)
    if refused is None:
        try:
            content = submitted.read_module(source, target.folder)
        except submitted.Refused as exc:
            refused = exc
        else:
            if content is not None:
                (staged / exercise.name / exercise.module_file).write_bytes(content)
    if uid is not None:
        users.share_tree(str(staged), uid)
    try:
        shown = os.path.relpath(source, target.display_root)
    except ValueError:
        shown = str(source)
    return Staged(staged, shown, refused)


class ForeignGrader(Exception):
    """The sessions would import another grader than the one running: ``python -m grader``
    in a checkout whose own code differs from the grader installed in this environment."""

    def __init__(self, ours: Path, theirs: Path) -> None:
        super().__init__(f"sessions would import the grader in {theirs}, not the one in {ours}")
        self.ours = ours
        self.theirs = theirs


# Where the sessions' Python finds the grader, and whether it finds what a session imports:
# found, not imported (importing them took 270 ms of every grader command; this takes 36).
_FIND_GRADER = """
from importlib.util import find_spec
grader = find_spec("grader")
if grader and grader.origin and find_spec("pytest") and find_spec("pytest_timeout"):
    print(grader.origin)
"""


@functools.cache
def isolation_flags() -> tuple[str, ...]:
    """``-I`` for the session, unless that hides the grader itself.

    ``-I`` ignores PYTHON* variables and the user's site-packages. A grader installed with
    ``pip install --user`` lives there, so then only ``-E`` is used (checked once per run).
    ``-I`` also leaves out the current folder, so the sessions of ``python -m grader`` run in
    a checkout import the installed grader: :class:`ForeignGrader` if its code differs from
    this one's, whose plugin would then judge with other rules than this supervisor's.
    """
    probe_cmd = [sys.executable, "-I", "-c", _FIND_GRADER]
    found = subprocess.run(probe_cmd, capture_output=True, timeout=60, check=False)
    printed = found.stdout.decode().splitlines()
    if found.returncode != 0 or not printed:
        return ("-E",)
    ours = Path(__file__).resolve().parent
    theirs = Path(printed[-1]).resolve().parent  # the last line: a sitecustomize may print too
    if theirs != ours and package_digest(theirs) != package_digest(ours):
        raise ForeignGrader(ours, theirs)
    return ("-I",)


def grader_digest() -> str:
    """A hash of this grader's code (what the sessions run too: see isolation_flags)."""
    return package_digest(Path(__file__).resolve().parent)


def package_digest(folder: Path) -> str:
    """A hash of the grader package's code in ``folder``: its modules and the session's ini."""
    digest = hashlib.sha256()
    for path in sorted([*folder.rglob("*.py"), folder / SESSION_INI.name]):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def session_command(
    exercise: Exercise,
    spec_dir: Path,
    staged: Staged,
    only: Sequence[str] = (),
    pytest_args: Sequence[str] = (),
) -> list[str]:
    """The pytest command line of one grading session (the results options are added later).

    ``only``: names of the spec's tests to run (default: all of them); ``pytest_args``: options
    passed to pytest as they are (the CLI's ``-k EXPR`` and ``-x``).
    """
    spec = str(spec_dir / exercise.spec_file)
    return [
        sys.executable, *isolation_flags(), "-m", "pytest",
        # Only our plugins: nothing autoloaded, no ini file, no conftest.py, no cache.
        *zygote.SESSION_PLUGINS, "--noconftest",
        "-c", str(SESSION_INI), "--rootdir", str(spec_dir), "--confcutdir", str(spec_dir),
        "-q", "-s", "--no-header",
        "--grader-target", str(staged.folder),
        "--grader-module-shown-as", staged.shown,
        *(["--grader-module-refused", staged.refused.as_option()] if staged.refused else []),
        "--grader-timeout", str(exercise.timeout),
        # tmp_path folders live in the session's scratch folder and go with it. Inside it:
        # pytest makes the base anew when a test first asks for one, so Landlock's rules
        # (given to folders that exist) reach it only through the scratch folder's.
        "--basetemp", str(staged.folder.parent / "tests" / "tmp"),
        *pytest_args,
        *([f"{spec}::{name}" for name in only] or [spec]),
    ]  # fmt: skip


def hidden_paths(exercise: Exercise, spec_dir: Path, target: Target) -> list[str]:
    """Folders a sandbox must not read: the specs, solutions, mutants, history, the target
    and what else the target names (``Target.hide``).

    The sandbox reads only its staged copy of the student module; everything here is covered
    in its view of the file system when the grader is root (see grader.namespaces).
    """
    spec_root = spec_dir.resolve().parent  # the folder that holds the exercise folders
    repos = {spec_root.parent, exercise.folder.resolve().parent.parent}
    hidden = {spec_root, exercise.folder.resolve().parent, target.folder.resolve()}
    hidden.update(path.resolve() for path in target.hide)
    for repo in repos:
        hidden.update(repo / name for name in ("solutions", "tests", ".git"))
    return sorted(str(p) for p in hidden if p.is_dir())


def remove_stale_sessions() -> None:
    """Remove session folders whose supervisor is gone (it was killed before cleaning up),
    where sessions are made now and where they were made before (grader.workspace)."""
    for folder in dict.fromkeys([workspace.base(), isolation.scratch()]):
        _remove_stale_sessions_in(folder)


def _remove_stale_sessions_in(folder: str) -> None:
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for name in entries:
        if not name.startswith(SESSION_PREFIX):
            continue
        owner = name[len(SESSION_PREFIX) :].partition("-")[0]
        path = os.path.join(folder, name)
        try:
            if not owner.isdigit() or os.lstat(path).st_uid != os.geteuid():
                continue
            os.kill(int(owner), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def run_exercise(
    exercise: Exercise,
    target: Target,
    spec_dir: Path | None = None,
    lang: str = "en",
    only: Sequence[str] = (),
    pytest_args: Sequence[str] = (),
    cancel: Cancel | None = None,
    observer: Observer | None = None,
    fast_hangs: bool = False,
) -> ExerciseResult:
    """Grade ``exercise`` with the student module from ``target``; never raises for student faults.

    ``spec_dir`` is the folder that holds this exercise's spec (default: the exercise folder);
    ``lang`` the language of the spec's messages ("en" or "zh"); ``only`` the names of the
    tests to run (default: all); ``pytest_args`` options for pytest (see session_command);
    ``fast_hangs`` (the student's `check` and `watch`, never grading): tests that call a
    function which hung in an earlier test are reported as not run (grader.hangs).
    ``cancel`` lets another thread stop the session (:class:`Cancel`); ``observer`` is shown
    each results record as the session writes it (live progress). A KeyboardInterrupt
    while the session runs kills and reaps its whole tree before it propagates.
    """
    prepared = prepare_exercise(
        exercise, target, spec_dir, lang, only, pytest_args, cancel, observer, fast_hangs
    )
    return prepared.result()


def prepare_exercise(
    exercise: Exercise,
    target: Target,
    spec_dir: Path | None = None,
    lang: str = "en",
    only: Sequence[str] = (),
    pytest_args: Sequence[str] = (),
    cancel: Cancel | None = None,
    observer: Observer | None = None,
    fast_hangs: bool = False,
) -> PreparedSession:
    """Start the session of :func:`run_exercise` and hold it just before its first test:
    pytest starts and collects while the caller does something else (runs the previous
    exercise's session, say). Its tests run, and its deadlines and budget start, only with
    :meth:`PreparedSession.go` or :meth:`PreparedSession.result`. The caller must end it
    with ``result()`` or ``abandon()``."""
    spec_dir = spec_dir or exercise.folder
    isolation.become_subreaper()
    isolation.make_undumpable()
    remove_stale_sessions()
    with contextlib.ExitStack() as lease:
        uid = lease.enter_context(users.lease())
        prepared = PreparedSession(
            exercise, target, spec_dir, uid, lang, only, pytest_args, cancel, observer, fast_hangs
        )
        prepared.lease = lease.pop_all()  # the session holds its uid until it is ended
        _UNENDED.add(prepared)
        return prepared


@atexit.register
def _end_the_unended() -> None:
    """A caller that never ended its prepared session (a bug, or an exit no handler saw)
    must not leave it running; and its lease must not be released during the interpreter's
    finalization, where the kill it sends from a thread could never start and would hang
    the exit."""
    for prepared in list(_UNENDED):
        if prepared.owner == os.getpid():  # not in a fork of ours that exits normally
            prepared.abandon()


class PreparedSession:
    """One exercise's session, started and waiting at its gate (see :func:`prepare_exercise`).

    It owns the session folder, the results key, the output file, the session process (in
    ``_ACTIVE`` until it has been swept), the write end of the key pipe (the gate: the key,
    then one byte that lets its tests run; closing it unwritten ends the session) and its
    uid lease; :meth:`result` and :meth:`abandon` end, close and release them all.
    """

    lease: contextlib.ExitStack | None = None

    def __init__(
        self,
        exercise: Exercise,
        target: Target,
        spec_dir: Path,
        uid: int | None,
        lang: str,
        only: Sequence[str],
        pytest_args: Sequence[str] = (),
        cancel: Cancel | None = None,
        observer: Observer | None = None,
        fast_hangs: bool = False,
    ) -> None:
        self.exercise = exercise
        self.owner = os.getpid()
        self._cancel = cancel
        self._observer = observer
        self._gate = -1
        self._went: float | None = None  # when go() let its tests run
        self._ended = False
        self._proc: SessionHandle | None = None
        self.workdir = Path(
            tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-", dir=workspace.base())
        )
        self.key = secret.new_key()
        self.log = OutputFile()
        key_r = -1
        try:
            results_dir = self.workdir / "results"
            results_dir.mkdir(mode=0o700)
            self.results_path = results_dir / "results.jsonl"
            (self.workdir / "tests").mkdir()
            if uid is not None:
                os.chmod(self.workdir, 0o711)
                os.chmod(self.workdir / "tests", 0o711)
            staged = stage(exercise, target, self.workdir, uid)
            key_r, self._gate = os.pipe()
            os.write(self._gate, bytes(self.key))
            cmd = session_command(exercise, spec_dir, staged, only, pytest_args)
            extra = [
                "--grader-results", str(self.results_path),
                "--grader-scratch", str(self.workdir / "tests"),
                "--grader-supervisor", str(os.getpid()),
                "--grader-isolate", "--grader-lang", lang, "--grader-gated",
                *(["--grader-fast-hangs"] if fast_hangs else []),
            ]  # fmt: skip
            if _COMPILED_SPECS:
                extra += ["--grader-compiled-specs", _COMPILED_SPECS[0]]
            if uid is not None:
                extra += users.session_options(uid)
                for path in hidden_paths(exercise, spec_dir, target):
                    extra += ["--grader-hide", path]
            cmd[-1:-1] = extra
            env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
            env.pop("PYTEST_ADDOPTS", None)
            # One lock covers starting a session and sweeping after one: a sweep must never
            # see a session that has been forked but is not yet known to be active.
            with _ACTIVE_LOCK:
                if _STOPPING.is_set() or (cancel is not None and cancel.is_set()):
                    raise Cancelled
                self._proc = _start(cmd, self.workdir, env, self.log.fd, key_r)
                _ACTIVE.add(self._proc.pid)
            if cancel is not None:
                cancel.attach(self._proc)
        except BaseException:
            self.abandon()
            raise
        finally:
            if key_r >= 0:
                os.close(key_r)

    @property
    def proc(self) -> SessionHandle:
        if self._proc is None:
            raise RuntimeError("the session was not started")
        return self._proc

    def go(self) -> None:
        """Let the session's tests run (once; a session that died meanwhile is read as such)."""
        if self._gate >= 0:
            self._went = time.monotonic()
            with contextlib.suppress(OSError):  # it died: result() says how
                os.write(self._gate, secret.GO)
            os.close(self._gate)
            self._gate = -1

    def result(self) -> ExerciseResult:
        """Let it run, wait for it within its budget, sweep what it left and read its results.
        A KeyboardInterrupt meanwhile kills and reaps its whole tree before it propagates."""
        self.go()
        tick = (
            None
            if self._observer is None
            else Tail(self.results_path, self.key, self._observer).poll
        )
        try:
            try:
                reason = _wait(self.proc, session_budget(self.exercise), tick)
                if tick is not None:
                    tick()  # the last records, before the file goes
            except BaseException:  # Ctrl-C: nothing of the session may outlive us
                self._sweep(kill=True)
                raise
            killed = self._sweep(kill=False)
            result = read_results(
                self.exercise.name,
                self.results_path,
                self.key,
                reason,
                self.log.read().text,
                killed=len(killed),
                went=self._went,
            )
        finally:
            self._close()
        went = self._went if self._went is not None else time.monotonic()
        return replace(result, session_s=round(time.monotonic() - went, 4))

    def abandon(self) -> None:
        """Kill it before or while it runs, sweep and reap what it started, release it all."""
        try:
            self._sweep(kill=True)
        finally:
            self._close()

    def _sweep(self, kill: bool) -> list[probe.Proc]:
        """Forget the session (killed first if ``kill``) and kill what it left below us."""
        proc = self._proc
        if proc is None:
            return []
        if kill:
            _kill_session(proc)
        with _ACTIVE_LOCK:
            _ACTIVE.discard(proc.pid)
            return isolation.kill_tree(os.getpid(), spare=frozenset(_ACTIVE | _HELPERS))

    def _close(self) -> None:
        if self._ended:
            return
        self._ended = True
        _UNENDED.discard(self)
        if self._gate >= 0:
            os.close(self._gate)
            self._gate = -1
        if self._cancel is not None:
            self._cancel.detach()
        secret.discard(self.key)
        self.log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.lease is not None:
            self.lease.close()


def _start(
    cmd: list[str], workdir: Path, env: dict[str, str], output_fd: int, key_r: int
) -> SessionHandle:
    """Start the session (``cmd``: ``python <flags> -m pytest ...``, the spec last): forked by
    the run's zygote, or where there is none, executed afresh. The caller holds _ACTIVE_LOCK."""
    warm = _zygote()
    if warm is not None:
        args = cmd[cmd.index("pytest") + 1 :]
        args[-1:-1] = ["--grader-key-fd", str(zygote.KEY_FD)]
        try:
            return SessionProcess(warm.spawn(args, str(workdir), env, output_fd, key_r))
        except zygote.ZygoteError:
            # It is dying (a sweep of the caller's, say: alive() may not see that yet) or
            # cannot fork: this session is executed, and the next one starts a new zygote.
            _stop_zygote()
    cmd = [*cmd[:-1], "--grader-key-fd", str(key_r), cmd[-1]]
    return subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=output_fd,
        stderr=subprocess.STDOUT,
        pass_fds=(key_r,),
        cwd=workdir,  # holds only our own folders: nothing there to import by accident
        env=env,
        start_new_session=True,
    )


class SessionHandle(Protocol):
    """A session process: a :class:`subprocess.Popen` or a :class:`SessionProcess`."""

    pid: int
    returncode: int | Any

    def wait(self) -> int: ...


class SessionProcess:
    """A session process, our child (started here or re-parented to us): its pid and, once
    it has been waited for, its exit code."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def wait(self) -> int:
        """Wait for it to end (it is being killed), unless that has been seen already."""
        if self.returncode is None:
            status = isolation.wait_child(self.pid, Deadline(3600.0))
            self.returncode = os.waitstatus_to_exitcode(status) if status is not None else -9
        return self.returncode


_ZYGOTE: list[zygote.Zygote] = []  # the one this run uses, once started
_WARM = threading.Event()  # set inside warm_sessions(): sessions are forked by a zygote
_COMPILED_SPECS: list[str] = []  # the run's folder of specs as pytest rewrote them


@contextlib.contextmanager
def warm_sessions() -> Iterator[None]:
    """Within this block (one grader command), sessions are forked by one zygote (Linux),
    started when the first session is due and ended when the block ends: pytest and the
    grader are imported once, not once per session. Outside it each session is executed.

    The block also owns a folder where its sessions keep the specs as pytest rewrote them
    (``--grader-compiled-specs``): each spec is rewritten once per run, not once per
    session. It is ours alone (mode 0700) and goes with the block; one a killed run left
    is removed with its stale sessions (it is named like them)."""
    _WARM.set()
    _COMPILED_SPECS.append(
        tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-specs-", dir=workspace.base())
    )
    try:
        yield
    finally:
        with _ACTIVE_LOCK:
            _WARM.clear()
            if _ZYGOTE:
                _stop_zygote()
            shutil.rmtree(_COMPILED_SPECS.pop(), ignore_errors=True)


def _zygote() -> zygote.Zygote | None:
    """The zygote of this warm_sessions() block, started the first time; None outside one,
    off Linux, or if it cannot start. It is a helper: sweeps after sessions leave it alone.
    The caller holds _ACTIVE_LOCK.
    """
    if not _WARM.is_set() or not sys.platform.startswith("linux"):
        return None
    if _ZYGOTE and _ZYGOTE[0].alive():
        return _ZYGOTE[0]
    if _ZYGOTE:
        _stop_zygote()
    python = [sys.executable, *isolation_flags()]
    try:
        warm = zygote.take_early(python)  # started before the command's imports (grader.entry)
        if warm is None:
            warm = zygote.Zygote.start(python)
        else:
            warm.wait_ready()
    except (OSError, zygote.ZygoteError):
        return None
    _HELPERS.add(warm.proc.pid)
    _ZYGOTE.append(warm)
    return warm


def _stop_zygote() -> None:
    """End the zygote (gone or not) and forget it. The caller holds _ACTIVE_LOCK."""
    warm = _ZYGOTE.pop()
    warm.close()
    _HELPERS.discard(warm.proc.pid)


class Cancelled(Exception):
    """The session was not started: the run was cancelled (Cancel) or is stopping (stop_all)."""


class Cancel:
    """A switch another thread flips to stop one session at once (``grader watch``).

    :meth:`cancel` SIGKILLs the session's process group; the thread running the session then
    sees it end and kills and reaps everything it left (as after any session), so the caller
    owns nothing more once that thread has returned.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._proc: SessionHandle | None = None

    def is_set(self) -> bool:
        return self._event.is_set()

    def attach(self, proc: SessionHandle) -> None:
        with self._lock:
            self._proc = proc
            cancelled = self._event.is_set()
        if cancelled:
            self.cancel()

    def detach(self) -> None:
        with self._lock:
            self._proc = None

    def cancel(self) -> None:
        self._event.set()
        with self._lock:  # not after detach(): the pid may be reaped and reused by then
            if self._proc is not None and self._proc.returncode is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self._proc.pid, signal.SIGKILL)


_STOPPING = threading.Event()


def stop_all() -> None:
    """Start no more sessions and SIGKILL the process group of every one running now (Ctrl-C
    during ``grader grade``): the threads running them then sweep and reap what is left."""
    _STOPPING.set()
    with _ACTIVE_LOCK:
        for pid in _ACTIVE:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def start_helper(cmd: list[str]) -> subprocess.Popen[bytes]:
    """Start a process of the grader's own that the sweeps after each session leave alone.

    The caller owns it and must end it with :func:`stop_helper`.
    """
    with _ACTIVE_LOCK:  # like a session: never forked but not yet known to the sweeps
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the grader, not it
        )
        _HELPERS.add(proc.pid)
    return proc


def stop_helper(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a helper from :func:`start_helper` and reap it."""
    try:
        proc.kill()
    finally:
        proc.wait()
        with _ACTIVE_LOCK:
            _HELPERS.discard(proc.pid)


def _wait(proc: SessionHandle, budget: float, tick: Callable[[], object] | None = None) -> str:
    """Wait for the session; '' if it ended normally, else why it did not.

    ``tick`` is called about ten times a second while the session runs (live progress).

    A session that stays stopped (SIGSTOP from a student process that shares our uid) for
    ``STOP_GRACE`` seconds is given up at once rather than at the end of its budget.
    """
    deadline = Deadline(budget)
    stopped_since: float | None = None
    status: int | None = None
    slice_s = 0.25 if tick is None else 0.1
    while status is None and not deadline.expired():
        if tick is not None:
            tick()
        status = isolation.wait_child(proc.pid, Deadline(min(slice_s, deadline.remaining())))
        if status is not None:
            break
        row = probe.read(proc.pid)
        if row is not None and row.state in ("T", "t"):
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since >= STOP_GRACE:
                _kill_session(proc)
                return (
                    f"the test session was stopped (state {row.state}, e.g. by SIGSTOP) for "
                    f"{STOP_GRACE:g} s and was killed"
                )
        else:
            stopped_since = None
    if status is None:
        _kill_session(proc)
        return f"the test session ran past its budget of {budget:g} s and was killed"
    proc.returncode = os.waitstatus_to_exitcode(status)
    if os.WIFSIGNALED(status):
        return f"the test session was {isolation.describe_status(status)}"
    if os.WEXITSTATUS(status) not in (0, 1, 5):  # pytest: ok, tests failed, none collected
        return f"the test session {isolation.describe_status(status)}"
    return ""


def _kill_session(proc: SessionHandle) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    isolation.kill_tree(proc.pid, include_root=True)
    proc.wait()


def read_results(
    name: str,
    path: Path,
    key: bytearray,
    reason: str,
    log: str,
    killed: int = 0,
    went: float | None = None,
) -> ExerciseResult:
    """Rebuild an ExerciseResult from the signed lines; unreported tests become errors.
    ``went``: when the session was let run (``time.monotonic()``), from which each test's
    ``start_s`` counts."""
    collected: list[dict[str, object]] = []
    tests: dict[str, TestResult] = {}
    errors: list[str] = []
    session_notes: list[str] = []
    finished = False
    forged = 0
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        payload = secret.open_line(key, line)
        if payload is None:
            forged += 1
            continue
        record = json.loads(payload)
        kind = record.pop("type")
        if kind == "collected":
            collected = list(record["tests"])
        elif kind == "test":
            result = TestResult.from_json(record)
            started_at = record.get("started_at")
            if went is not None and isinstance(started_at, (int, float)):
                result = replace(result, start_s=round(max(0.0, started_at - went), 4))
            tests.setdefault(result.name, result)
        elif kind == "collect_error":
            errors.append(str(record["message"]))
        elif kind == "note":
            session_notes.append(str(record["message"]))
        elif kind == "finished":
            finished = True
    notes = list(session_notes)
    if forged:
        notes.append(
            f"{forged} line(s) in the results file were not written by the grader and were ignored"
        )
        reason = reason or "the results file was tampered with"
    if killed:
        notes.append(f"{killed} process(es) left behind by the session were killed")
    if not finished and not reason:
        reason = "the test session ended without finishing"
    detail = reason + (f"\n{tail(log, 3000)}" if reason and log.strip() else "")
    ordered: list[TestResult] = []
    for entry in collected:
        test_name = str(entry["name"])
        max_score = float(entry["max_score"])  # type: ignore[arg-type]
        ordered.append(
            tests.get(test_name)
            or TestResult(
                test_name,
                "error",
                max_score,
                message=f"not run: {reason or 'no result'}",
                output=detail,
                hidden=bool(entry.get("hidden", False)),
            )
        )
    error = ""
    if errors:
        error = "the spec could not be loaded:\n" + "\n".join(errors)
    elif not collected:
        error = f"no tests were collected: {detail or tail(log, 3000)}".strip()
    return ExerciseResult(name=name, tests=tuple(ordered), error=error, notes=tuple(notes))
