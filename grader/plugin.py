"""The grader's pytest plugin: one fork per test, a hard deadline, the ``student`` fixture.

Loaded with ``-p grader.plugin`` by the session the supervisor starts. Each test runs in its
own *test process*, which runs pytest's normal protocol for that one item and sends its
reports back as JSON — signed with a per-test key — over a pipe. On Linux the test processes
are forked one test ahead by the session's launcher (:mod:`grader.launcher`, a copy of the
session made once after collection) and handed their test, except those due while the
launcher still warms up; elsewhere, or with ``--grader-no-launcher``, the session forks each
one itself. The session owns the pipe's read end, the test's output file and its temporary
directory, and closes or removes them when the test ends. It waits with a wall-clock
deadline; on overrun it asks the test process for a stack dump of every thread and then
SIGKILLs it. Before it reports, a test process kills and reaps every process the test left
below it (it is their subreaper) and names them; after every test, pass or fail, the
session kills and reaps whatever else came back to it (it is a child subreaper too: a test
process that died leaves its orphans to it) and names them as well.

Markers: ``points(n)`` (default 1) and ``deadline(seconds)`` (the hard wall-clock limit for one
test, default the exercise's ``timeout``). pytest-timeout, when loaded, is set up as the soft
limit inside the test process only (signal method, ``func_only``), below the hard deadline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import gc
import inspect
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest
from _pytest.runner import runtestprotocol

from grader import (
    hangs,
    isolation,
    launcher,
    namespaces,
    probe,
    rehearsed,
    sandbox,
    sandbox_child,
    secret,
    sources,
    submitted,
    users,
    wire,
)
from grader.isolation import Deadline, OutputFile
from grader.messages import LANGS, SpecFailure
from grader.outcome import StudentProblem, StudentSkipped, StudentTimeout
from grader.polling import WaitTimeout
from grader.results import TestResult
from grader.sandbox import Student
from grader.sandbox_child import Identity
from grader.trim import head_tail, tail

DEFAULT_DEADLINE = 10.0
EXIT_GRACE = 2.0  # seconds a test process may take to exit after sending its report
REPORT_BUDGET = 32 * 1024 * 1024
OUTPUT_LIMIT = 64 * 1024  # characters of a test's output kept in its result
DUMP_SIGNAL = getattr(signal, "SIGRTMIN", signal.SIGUSR2) + (
    3 if hasattr(signal, "SIGRTMIN") else 0
)
STATUS_KEY = "grader_status"
MESSAGE_KEY = "grader_message"
KILLED_KEY = "grader_killed"
IDENTITY = pytest.StashKey["Identity | None"]()  # the sandboxes' uid (root only)
SCRATCH = pytest.StashKey[str]()  # where each test's working folder is made
NOTES = pytest.StashKey[list[str]]()  # what the supervisor should tell about this session
HANGS = pytest.StashKey[hangs.Memory]()  # with --grader-fast-hangs: calls that hung so far
LAUNCHER = pytest.StashKey["launcher.Launcher | None"]()  # forks the test processes, if any
GATE = pytest.StashKey[int]()  # with --grader-gated: the key's descriptor, read once more


def budgets(hard: float) -> tuple[float, float]:
    """(soft timeout inside the test process, default deadline of one student call)."""
    margin = max(0.5, 0.1 * hard)
    return hard - margin, max(0.5, hard - 2 * margin)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "multitasking-katas grader")
    group.addoption(
        "--grader-target",
        default=None,
        help="folder laid out like exercises/ holding the student modules "
        "(default: the folder above the spec's exercise folder)",
    )
    group.addoption(
        "--grader-timeout",
        type=float,
        default=None,
        help=f"hard wall-clock deadline per test in seconds (default {DEFAULT_DEADLINE:g})",
    )
    group.addoption("--grader-results", default=None, help="append signed results to this file")
    group.addoption("--grader-key-fd", type=int, default=None, help="read the results key here")
    group.addoption(
        "--grader-gated",
        action="store_true",
        help="after collecting, wait for one more byte on the key's descriptor before testing",
    )
    group.addoption(
        "--grader-module-shown-as",
        default=None,
        help="the student module's path as the student knows it (for messages)",
    )
    group.addoption(
        "--grader-module-refused",
        default=None,
        help="the student module was not copied, and why (grader.submitted.Refused)",
    )
    group.addoption(
        "--grader-no-fork", action="store_true", help="run tests in-process (debugging)"
    )
    group.addoption(
        "--grader-no-launcher",
        action="store_true",
        help="fork each test process from the session itself, not from a launcher forked "
        "once after collection (slower; for comparison)",
    )
    group.addoption(
        "--grader-lang",
        choices=LANGS,
        default="en",
        help="language of the messages the specs give (default en)",
    )
    group.addoption(
        "--grader-scratch", default=None, help="make each test's working folder in this folder"
    )
    group.addoption(
        "--grader-supervisor", type=int, default=None, help="die when this parent process dies"
    )
    group.addoption(
        "--grader-isolate",
        action="store_true",
        help="run the session in its own network namespace (loopback only) where possible",
    )
    group.addoption(
        "--grader-sandbox-uid",
        type=int,
        default=None,
        help="(root) run sandboxes as this unprivileged uid, killed and cleaned after each test",
    )
    group.addoption(
        "--grader-killer-uid",
        type=int,
        default=None,
        help="(with --grader-sandbox-uid) a second leased uid, that nothing runs as, from which "
        "the sandbox uid's processes are killed after each test",
    )
    group.addoption(
        "--grader-fast-hangs",
        action="store_true",
        help="do not call again a student function that hung in an earlier failed test: "
        "report those tests as not run (for `grader check`; grading runs every test)",
    )
    group.addoption(
        "--grader-compiled-specs",
        default=None,
        help="keep the specs as pytest rewrote them in this folder, the grader run's own, so "
        "that the run's later sessions read them instead of rewriting them",
    )
    group.addoption(
        "--grader-hide",
        action="append",
        default=[],
        help="(with --grader-sandbox-uid) a folder sandboxes must not read (repeatable)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): how many points the test is worth (default 1)")
    config.addinivalue_line(
        "markers",
        "deadline(seconds): hard wall-clock deadline for this test, overriding the exercise's",
    )
    config.addinivalue_line(
        "markers",
        "hidden: an instructor's test: it counts, but students only learn that it failed",
    )
    isolation.become_subreaper()
    supervisor = config.getoption("grader_supervisor")
    if supervisor is not None:
        isolation.die_with_parent(supervisor)
    if config.getoption("grader_isolate"):
        # Before making this process non-dumpable: a new user namespace's id maps are
        # written through /proc/self, which a non-dumpable process no longer owns.
        namespaces.isolate_network()  # where it cannot be done, `grader doctor` says why
    isolation.make_undumpable()
    sandbox_child.limit_arenas()  # once here, not in every sandbox (see there)
    config.stash[NOTES] = []
    config.stash[IDENTITY] = _sandbox_identity(config)
    if config.getoption("grader_fast_hangs"):
        memory = hangs.Memory()
        config.stash[HANGS] = memory
        config.pluginmanager.register(memory, "grader-hangs")
    scratch = config.getoption("grader_scratch")
    if not scratch:  # run by hand, not by the supervisor: a folder of our own, removed at the end
        scratch = tempfile.mkdtemp(prefix="grader-tests-", dir=isolation.scratch())
    config.stash[SCRATCH] = scratch
    sys.dont_write_bytecode = True  # no __pycache__ next to specs (the session runs with -I)
    compiled = config.getoption("grader_compiled_specs")
    if compiled:
        # pytest rewrites a spec's asserts whenever it is imported (parse, rewrite, compile:
        # about 40 ms of a session). While the session collects, compiled modules go to the
        # run's own folder instead (the supervisor's; no sandbox may write there when the
        # grader is root), where the run's next sessions find them.
        sys.pycache_prefix = compiled
        sys.dont_write_bytecode = False
    results = config.getoption("grader_results")
    if results:
        key_fd = config.getoption("grader_key_fd")
        if key_fd is None:
            raise pytest.UsageError("--grader-results needs --grader-key-fd")
        gated = config.getoption("grader_gated")
        recorder = Recorder(results, _read_key(key_fd, keep=gated), config.stash[NOTES])
        if gated:
            config.stash[GATE] = key_fd
        config.pluginmanager.register(recorder, "grader-recorder")


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.getoption("grader_compiled_specs"):
        sys.pycache_prefix = None  # what is imported from now on, tests included: as before
        sys.dont_write_bytecode = True


def pytest_unconfigure(config: pytest.Config) -> None:
    forker = config.stash.get(LAUNCHER, None)
    if forker is not None:
        forker.close()
        # A process of the launcher's that its last kill left still dying (a sandbox forked
        # ahead) was re-parented to us, the subreaper: it ends before we do, or the grader
        # would count it as left behind by the student's tests.
        isolation.sweep_descendants()
    identity = config.stash.get(IDENTITY, None)
    if identity is not None and identity.view_fd is not None:
        os.close(identity.view_fd)
    if not config.getoption("grader_scratch") and SCRATCH in config.stash:
        shutil.rmtree(config.stash[SCRATCH], ignore_errors=True)


def _sandbox_identity(config: pytest.Config) -> Identity | None:
    """The sandboxes' uid and view of the files, or None when they keep the session's uid.

    Where no mount namespace can be made (a container without CAP_SYS_ADMIN) sandboxes still
    drop to their uid, without the view; where the interpreter is then out of the uid's
    reach (under ``/root``), they cannot run as it at all and keep root. Both are said in a
    note on every result, so an instructor never mistakes a weaker run for a full one.
    """
    uid = config.getoption("grader_sandbox_uid")
    if uid is None:
        return None
    if os.geteuid() != 0:
        raise pytest.UsageError("--grader-sandbox-uid needs the grader to run as root")
    killer = config.getoption("grader_killer_uid")
    if killer is not None:
        try:
            users.pair_killer(uid, killer)
        except ValueError as exc:
            raise pytest.UsageError(f"--grader-killer-uid: {exc}") from None
    try:
        return Identity(uid=uid, view_fd=namespaces.hidden_view(config.getoption("grader_hide")))
    except OSError as exc:
        why = str(exc)
    closed = namespaces.unreachable(namespaces.needed_paths())
    if closed:
        config.stash[NOTES].append(
            f"sandboxes ran as root, not as uid {uid}: {why}; and the interpreter is inside "
            f"{', '.join(closed)}, which uid {uid} may not enter"
        )
        return None
    config.stash[NOTES].append(
        f"sandboxes ran as uid {uid} but could read the specs and solutions: {why}"
    )
    return Identity(uid=uid, view_fd=None)


def _read_key(fd: int, keep: bool = False) -> bytearray:
    """The results key from ``fd``, closed after unless ``keep`` (the gate is read there)."""
    key = bytearray(secret.MAC_BYTES)
    got = os.readv(fd, [key])
    if not keep:
        os.close(fd)
    if got != secret.MAC_BYTES:
        raise pytest.UsageError(
            f"--grader-key-fd {fd}: expected {secret.MAC_BYTES} key bytes, got {got}"
        )
    return secret.adopt(key)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """A prepared session (``--grader-gated``) has collected its tests while the previous
    session ran; it waits here until the supervisor lets it go, and ends if it never will.
    Its launcher is forked first, and the first test's process with it, so that they too
    are ready when it goes; the launcher closes its copy of the gate at once, and the
    session closes its own before any test runs."""
    gate = session.config.stash.get(GATE, None)
    if gate is None:
        return
    del session.config.stash[GATE]
    forking = not session.config.getoption("grader_no_fork")
    if (
        forking
        and session.items
        and not session.testsfailed
        and not session.config.option.collectonly
    ):
        # Its launcher and the first test's process are made while it waits too.
        _launcher(session.items[0], sessions_own=(gate,))
    try:
        go = os.read(gate, 1)
    finally:
        os.close(gate)
    if go != secret.GO:  # the supervisor abandoned it (it kills it too) or is gone
        isolation.flush_and_exit(1)


def hard_deadline(item: pytest.Item) -> float:
    marker = item.get_closest_marker("deadline")
    if marker is not None and marker.args:
        return float(marker.args[0])
    value = item.config.getoption("grader_timeout")
    return float(value) if value else DEFAULT_DEADLINE


def points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker is not None and marker.args else 1.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    manager = config.pluginmanager
    if not (manager.has_plugin("timeout") or manager.has_plugin("pytest_timeout")):
        return
    for item in items:
        if item.get_closest_marker("timeout") is None:
            soft, _ = budgets(hard_deadline(item))
            item.add_marker(pytest.mark.timeout(soft, method="signal", func_only=True))


# -- the test process side -------------------------------------------------------------------


class SoftTimeout(BaseException):
    """The test body ran past its soft limit (raised by our SIGALRM handler, see below).

    A BaseException so that a spec's ``except Exception`` cannot swallow it.
    """


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's own hook: we arm the soft limit ourselves, so we know it fired.

    Only for the signal method inside a test process; anything else is left to pytest-timeout.
    """
    if settings.method != "signal":
        return None
    seconds = float(settings.timeout)

    def expired(signum: int, frame: object) -> None:
        raise SoftTimeout(f"the test did not finish within its soft limit of {seconds:g} s")

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return True


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> bool:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Label each failing phase with the grader's status and the message meant for the student."""
    report: pytest.TestReport = yield
    if call.excinfo is not None and report.failed:
        exc = call.excinfo.value
        if isinstance(exc, (StudentProblem, SpecFailure)):
            status = exc.status
        elif isinstance(exc, SoftTimeout):
            status = "timeout"
        else:
            status = "failed" if call.when == "call" else "error"
        report.user_properties.append((STATUS_KEY, status))
        lang = item.config.getoption("grader_lang", "en") or "en"
        message = teaching_message(exc, lang) + _where_it_hung(item, exc, lang)
        report.user_properties.append((MESSAGE_KEY, message))
    return report


def _where_it_hung(item: pytest.Item, exc: BaseException, lang: str) -> str:
    """Where the student's code was, when the spec failed the test with its own words right
    after a call timed out (a StudentTimeout's message already says it)."""
    sandboxed = getattr(item, "funcargs", {}).get("student")
    if isinstance(exc, (StudentTimeout, StudentSkipped)) or not isinstance(sandboxed, Student):
        return ""
    last = sandboxed.transcript[-1] if sandboxed.transcript else None
    if last is None or not last.timed_out:
        return ""
    return last.where(lang)


def teaching_message(exc: BaseException, lang: str = "en") -> str:
    """What the student reads: the author's message, without pytest's rewritten expression.

    A spec's :func:`~grader.messages.check` and the sandbox's problems carry both languages;
    ``assert cond, msg`` arrives as ``msg`` + ``"\nassert <introspection>"``, and the
    introspection (reprs of Outcome objects and the like) stays in the test's output.
    """
    if isinstance(exc, (StudentProblem, SpecFailure, WaitTimeout)):
        return exc.teaching.text(lang).strip() or "an assertion failed"
    if isinstance(exc, AssertionError):
        text = str(exc)
        if not text.startswith("assert "):
            text = text.split("\nassert ", 1)[0]
        return text.strip() or "an assertion failed"
    if isinstance(exc, pytest.fail.Exception):
        return str(exc.msg or "").strip() or "the test failed"
    if isinstance(exc, SoftTimeout):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".strip()


@pytest.fixture
def student(request: pytest.FixtureRequest) -> Iterator[Student]:
    """The student's module of this exercise, run only inside sandbox processes."""
    spec_dir = Path(request.path).parent
    exercise = spec_dir.name
    slug = exercise.split("_", 1)[1] if "_" in exercise else exercise
    target = Path(request.config.getoption("grader_target") or spec_dir.parent)
    module_path = (target / exercise / f"{slug}.py").resolve()
    display = request.config.getoption("grader_module_shown_as") or os.path.relpath(module_path)
    refused = request.config.getoption("grader_module_refused")
    if refused:
        raise StudentProblem(submitted.Refused.from_option(refused).teaching(display))
    if not module_path.is_file():
        raise StudentProblem(f"there is no file {display}: create it from the exercise's stub")
    _, call_deadline = budgets(hard_deadline(request.node))
    identity = request.config.stash.get(IDENTITY, None)
    basetemp = request.config.getoption("basetemp", None)
    shared = (os.getcwd(), *([str(basetemp)] if basetemp else []))
    memory = request.config.stash.get(HANGS, None)
    sandboxed = Student(
        str(module_path),
        slug,
        display,
        call_deadline,
        identity=identity,
        shared=shared,
        known_hangs=memory.known() if memory is not None else None,
    )
    yield sandboxed
    if memory is not None and sandboxed.hung:  # read by the session's hangs.Memory
        request.node.user_properties.append(
            (hangs.HUNG_KEY, [hang.to_json() for hang in sandboxed.hung])
        )
    killed = sandboxed.close()
    printed = sandboxed.printed()
    if printed:
        print(printed)  # into the test's captured output, shown with the result
    if killed:
        request.node.user_properties.append((KILLED_KEY, [p.describe() for p in killed]))


# -- the parent (session) side ---------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if item.config.getoption("grader_no_fork"):
        return None  # pytest's own protocol runs the test in this process
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in run_forked(item, last=nextitem is None):
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def run_forked(item: pytest.Item, last: bool = False) -> list[pytest.TestReport]:
    """Run one test in its own process; its reports, or one synthesised failure report.
    ``last``: the session's last test (its launcher need prepare no process after it)."""
    key = secret.new_key()
    output = OutputFile()
    workdir = tempfile.mkdtemp(prefix="grader-test-", dir=item.config.stash[SCRATCH])
    identity = item.config.stash[IDENTITY]
    if identity is not None:  # the sandboxes' current folder is theirs to write in
        os.chown(workdir, identity.uid, identity.uid)
    report_r, report_w = os.pipe()
    started = time.monotonic()
    try:
        forker = _launcher(item)
        pid, reaper = _start_test_process(
            item, forker, key, (report_r, report_w), output, workdir, last
        )
        os.close(report_w)
        reports = _judge_test_process(item, pid, reaper, key, report_r, output, started)
    finally:
        secret.discard(key)
        os.close(report_r)
        output.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return reports


def _start_test_process(
    item: pytest.Item,
    forker: launcher.Launcher | None,
    key: bytearray,
    report: tuple[int, int],
    output: OutputFile,
    workdir: str,
    last: bool = False,
) -> tuple[int, launcher.Launcher | None]:
    """The test process's pid, and the launcher that forked it ahead and reaps it (None: it
    was forked here). ``report``: the report pipe's ends (the test process gets the write end);
    ``last``: see :func:`run_forked`."""
    report_r, report_w = report
    if forker is not None and not _launcher_warming_up(item.config, forker):
        memory = item.config.stash.get(HANGS, None)
        handover = launcher.Handover(
            nodeid=item.nodeid,
            key=key,
            workdir=workdir,
            hangs=memory.to_json() if memory is not None else [],
        )
        try:
            deadline = Deadline(hard_deadline(item))
            pid = forker.start_test(handover, report_w, output.fd, deadline, last)
            return pid, forker
        except launcher.LauncherGone as exc:
            _drop_launcher(item.config, f"{exc}: forking the tests from the session")
    # Objects that exist now are never collected in the child: without this, the child's
    # first garbage collection writes to every page and copies the whole heap.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the test process, which never returns
        os.close(report_r)
        if forker is not None:
            forker.close_in_child()
        _test_process(item, key, report_w, output.fd, workdir, ready=False)
    return pid, None


AWAIT_LAUNCHER = "GRADER_AWAIT_LAUNCHER"  # set: every test waits for the launcher (see below)


def _launcher_warming_up(config: pytest.Config, forker: launcher.Launcher) -> bool:
    """Whether the session forks this test itself because its launcher is still warming up
    (0.1-0.5 s, see :mod:`grader.launcher`): the session is idle until the launcher is
    ready, so its first tests run meanwhile, at a fork's cost, instead of waiting. Every
    guarantee is the same either way; what differs is speed (a test forked here starts
    from a colder copy) and which process is the test process's parent, which the
    grader's own tests of the launcher fix with ``GRADER_AWAIT_LAUNCHER=1``."""
    if os.environ.get(AWAIT_LAUNCHER) == "1":
        return False
    try:
        return forker.warming_up()
    except launcher.LauncherGone as exc:
        _drop_launcher(config, f"{exc}: forking the tests from the session")
        return True


def _launcher(item: pytest.Item, sessions_own: Sequence[int] = ()) -> launcher.Launcher | None:
    """The session's launcher, forked at its first test or, in a prepared session, before
    (None where it is not used). ``sessions_own``: descriptors it must not keep."""
    config = item.config
    if LAUNCHER in config.stash:
        return config.stash[LAUNCHER]
    _warm_source_lookup()  # before any test process is forked, by the launcher or by us
    forker = None
    if launcher.supported() and not config.getoption("grader_no_launcher"):
        items = {each.nodeid: each for each in item.session.items}

        def run_test(handover: launcher.Handover, report_w: int, out_fd: int) -> NoReturn:
            memory = config.stash.get(HANGS, None)
            if memory is not None:
                memory.adopt(handover.hangs)
            target = items.get(handover.nodeid)
            if target is None:  # the session asked for a test it never collected
                isolation.flush_and_exit(1)
            if not _uses_student(target):
                sandbox.discard_prepared(wait=False)  # dies during the test, reaped after
            _test_process(target, handover.key, report_w, out_fd, handover.workdir, ready=True)

        for each in items.values():
            # A cached property the session reads for every test anyway (logstart), and
            # each test process for its report: computed once here, no process repeats it.
            each.location  # noqa: B018
        identity = config.stash.get(IDENTITY, None)
        ahead = any(_uses_student(each) for each in items.values())

        def ready() -> None:
            _ready_test_process()
            if ahead:  # this session's tests call the student's code: fork its sandbox now
                with contextlib.suppress(OSError):  # none (out of descriptors): forked at the call
                    sandbox.prepare(identity)

        try:
            forker = launcher.Launcher.start(
                run_test, ready, lambda: _warm_up(item.session), sessions_own
            )
        except OSError as exc:
            print(f"grader: no launcher ({exc}): the session forks every test", file=sys.stderr)
        gc.freeze()  # this session's own pages: see _start_test_process
    if forker is None:  # the session forks every test process itself
        _learn_report_sources(item.session)
    config.stash[LAUNCHER] = forker
    return forker


def _warm_source_lookup() -> None:
    """Fill :mod:`inspect`'s table of which file holds which module, as the first failing
    test of every test process did: its report looks the test's source up there, and the
    first lookup in a process reads the real path of every imported module's file (about
    40 ms for the 350 modules of a session). Every test process is forked later and
    inherits the table. 40 failing tests on Python 3.11, 2026-12-05: 1.66-1.67 s without,
    0.90-0.92 s with; 3.10: 2.03-2.10 s against 1.01-1.05 s."""
    inspect.getmodule(_warm_source_lookup.__code__)  # a code object has no __module__


def _warm_up(session: pytest.Session) -> None:
    """In the launcher, before its first fork: what every test process would do for itself."""
    _learn_report_sources(session)
    _rehearse(session)  # after: its failing test's report uses what was learnt


def _learn_report_sources(session: pytest.Session) -> None:
    """Parse, once, the files a failing test's report parses (:mod:`grader.sources`): the
    session's spec modules and the grader's modules a spec calls (learnt by the zygote
    already, for every session it forks after its first)."""
    specs = dict.fromkeys(module for item in session.items if (module := _module_of(item)))
    sources.learn([*sources.traceback_modules(), *specs])


def _module_of(item: pytest.Item) -> types.ModuleType | None:
    module = getattr(item, "module", None)
    return module if isinstance(module, types.ModuleType) else None


def _uses_student(item: pytest.Item) -> bool:
    return "student" in getattr(item, "fixturenames", ())


def _drop_launcher(config: pytest.Config, why: str) -> None:
    """The launcher failed: end it and fork the rest of the tests from the session."""
    forker = config.stash.get(LAUNCHER, None)
    config.stash[LAUNCHER] = None
    if forker is not None:
        forker.close(broken=True)
    print(f"grader: the test launcher failed ({why})", file=sys.stderr)


def _ready_test_process() -> None:
    """What a test process does before it knows its test. A process the launcher prepared
    does it while the previous test runs, so it is off the path from one test to the next."""
    os.setpgid(0, 0)
    isolation.become_subreaper()
    faulthandler.register(DUMP_SIGNAL, file=sys.stderr, all_threads=True, chain=False)
    os.register_at_fork(after_in_child=_default_alarm)
    # A first sweep finds nothing (nothing runs below us yet); it loads the code and pages
    # of the sweep every test ends with, as a first call would during the test's report.
    isolation.sweep_descendants()


def _test_process(
    item: pytest.Item, key: bytearray, report_w: int, out_fd: int, workdir: str, *, ready: bool
) -> NoReturn:
    """Run ``item`` and send its signed reports; ``ready``: :func:`_ready_test_process` has
    run in this process already."""
    me = os.getpid()
    code = 0
    try:
        secret.scrub_all(keep=key)  # the session's results key stays with the session
        if not ready:
            _ready_test_process()
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.chdir(workdir)
        payload = _run_for_report(item, me)
        sys.stdout.flush()  # all output is in the file before the parent may read it
        sys.stderr.flush()
        # Sockets and locks the test still holds are let go before the next test may start.
        os.closerange(3, report_w)
        os.closerange(report_w + 1, os.sysconf("SC_OPEN_MAX"))
        wire.write_frame(report_w, secret.sign(key, payload))
    except SystemExit as exc:
        code = isolation.system_exit_code(exc) if os.getpid() == me else 0
    except BaseException:
        code = 1
        if os.getpid() == me:  # a fault of the grader itself: its trace is in the test's output
            traceback.print_exc()
    finally:
        isolation.flush_and_exit(code)


def _run_for_report(item: pytest.Item, me: int) -> bytes:
    """Run ``item`` with pytest's protocol in this process and sweep what it left below
    this process; its reports, serialised for the session (not yet signed)."""
    reports = runtestprotocol(item, log=False, nextitem=None)
    isolation.exit_now_if_not(me)
    sandbox.discard_prepared()  # an unused sandbox forked ahead is not the test's leftover
    # Whatever the test started ends before it reports (this process is their subreaper:
    # nothing it started can leave its tree while it lives), so the session need not
    # wait for this process's exit to know that nothing was left behind.
    _name_left_behind(reports[-1], isolation.sweep_descendants())
    hook = item.config.hook
    return json.dumps(
        [hook.pytest_report_to_serializable(config=item.config, report=r) for r in reports]
    ).encode()


REHEARSAL = "grader_rehearsal.py"  # the made-up module of the launcher's rehearsal tests
REHEARSALS = 2  # rounds: CPython 3.12+ specialises an instruction the second time it runs
# (3.11 a function's after its eighth call: eight rounds there changed nothing measurable)


def _rehearse(session: pytest.Session) -> None:
    """In the launcher, before it forks any test process: run two made-up tests (one passes,
    one fails) the way a test process runs its test (pytest's protocol, the sweep, the
    report, its signature), their output thrown away.

    Each test process then starts from code CPython has specialised already and caches
    pytest has filled already, instead of writing them afresh: on CPython 3.13, 862 → 731
    pages copied a test (300 trivial tests). Where objects are not immortal (3.10, 3.11:
    each test process writes the reference count of every code object it runs anyway) it
    pays less, but it pays once it costs little (see :mod:`grader.rehearsed`): in turns
    with no rehearsal, 300 trivial tests 2.70 s against 2.98 s on 3.11 (1,311 against
    1,391 pages a test) and 2.89 s against 3.08 s on 3.10 (2026-12-05). Nothing is
    rehearsed either when a made-up test would get a fixture (an autouse one from a
    conftest.py): only code that every test process runs anyway runs here. A rehearsal
    only saves time: what fails in it is ignored, unless it left pytest inside a test.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    kept = os.dup(1), os.dup(2)
    me, key = os.getpid(), secret.new_key()
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            for test in _rehearsal_tests(session) * REHEARSALS:
                wire.write_frame(sink.fileno(), secret.sign(key, _run_for_report(test, me)))
            sys.stdout.flush()
            sys.stderr.flush()
    except Exception:
        pass
    finally:
        os.dup2(kept[0], 1)
        os.dup2(kept[1], 2)
        os.close(kept[0])
        os.close(kept[1])
        secret.discard(key)
    if session._setupstate.stack:  # every test process would start inside a made-up test
        raise RuntimeError("the rehearsal left a test set up")


def _rehearsal_tests(session: pytest.Session) -> list[pytest.Item]:
    """Two made-up tests in a made-up module that is never imported; none when they would
    get a fixture."""
    module = pytest.Module.from_parent(session, path=session.config.rootpath / REHEARSAL)
    module._obj = types.ModuleType(REHEARSAL.removesuffix(".py"))
    tests: list[pytest.Item] = [
        pytest.Function.from_parent(module, name=name, callobj=body)
        for name, body in (("test_passes", rehearsed.passes), ("test_fails", rehearsed.fails))
    ]
    if any(getattr(test, "fixturenames", ()) for test in tests):
        return []
    pytest_collection_modifyitems(session.config, tests)  # its soft timeout, as every test's
    return tests


def _default_alarm() -> None:
    """Processes forked from a test process must not inherit pytest-timeout's SIGALRM handler."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _judge_test_process(
    item: pytest.Item,
    pid: int,
    reaper: launcher.Launcher | None,
    key: bytearray,
    report_r: int,
    output: OutputFile,
    started: float,
) -> list[pytest.TestReport]:
    """Wait for the test process's report, kill it at its deadline, sweep what it left; its
    reports, or one synthesised failure report. ``reaper``: the launcher that reaps it, or
    None if it is our child."""
    deadline_s = hard_deadline(item)
    reader = wire.FrameReader(report_r, REPORT_BUDGET)
    wait = reaper.wait_exit if reaper is not None else isolation.wait_child
    problem: tuple[str, str] | None = None  # (status, message)
    reports: list[pytest.TestReport] = []
    status: int | None = None
    try:
        try:
            frame, status = wire.await_frame(reader, pid, Deadline(deadline_s), wait)
        except wire.FrameError as exc:
            frame, status = None, None
            problem = ("error", f"the test process sent an unreadable report: {exc}")
        if frame is None and status is None and problem is None:
            problem = (
                "timeout",
                f"the test did not finish within its deadline of {deadline_s:g} s; "
                "stack of every thread at that moment is in the output",
            )
            _dump_stacks(pid, output)
        # Read the report while the test process exits on the other core.
        if frame is not None and problem is None:
            payload = secret.open_signed(key, frame)
            if payload is None:
                problem = (
                    "error",
                    "the report of the test process was forged or damaged: not trusted",
                )
            else:
                reports = _load_reports(item, payload)
                if not reports:
                    problem = ("error", "the report of the test process could not be read")
        reported = frame is not None and problem is None
        if status is None and reported and reaper is not None:
            reaper.forget(pid)  # it has swept, and the launcher reaps it: no need to wait
        else:
            if status is None and reported:
                status = wait(pid, Deadline(EXIT_GRACE), None)  # it exits right after sending
            if status is None:
                _kill_test_process(pid)
                status = wait(pid, Deadline(5.0), None)
    except launcher.LauncherGone as exc:  # the sweep below kills and reaps what it left
        _drop_launcher(item.config, str(exc))
        _kill_test_process(pid)
        if problem is None and not reports:
            problem = ("error", f"the grader's test launcher failed during this test: {exc}")
    identity = item.config.stash[IDENTITY]
    if identity is not None:  # everything of the sandbox uid, however it hid or hopped
        users.kill_all(identity.uid)
    running = item.config.stash.get(LAUNCHER, None)  # the launcher, unless it just failed
    killed = isolation.sweep_descendants(
        spare=frozenset({running.pid}) if running is not None else frozenset()
    )
    if identity is not None:
        users.remove_files(identity.uid)
    elapsed = time.monotonic() - started
    if problem is None and not reports:
        how = isolation.describe_status(status) if status is not None else "vanished"
        problem = (
            "crashed",
            f"the test process {how} before reporting "
            "(did student code kill its parent or the whole process group?)",
        )
    captured = output.read()
    if problem is not None:
        reports = [_synthesised(item, problem, elapsed)]
    last = reports[-1]
    if captured.text:
        last.sections.append(("Captured output of the test process", captured.text))
    _name_left_behind(last, killed)
    return reports


def _name_left_behind(report: pytest.TestReport, killed: list[probe.Proc]) -> None:
    """Name the processes a test left behind (and the grader killed) in its last report."""
    if killed:
        names = [p.describe() for p in killed]
        report.user_properties.append((KILLED_KEY, names))
        report.sections.append(("Processes left behind (killed by the grader)", "\n".join(names)))


def _kill_test_process(pid: int) -> None:
    """SIGKILL the test process and its process group (it leads one once it has started)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _dump_stacks(pid: int, output: OutputFile) -> None:
    """Ask the test process for a stack dump; wait until the output stops growing (max 1 s)."""
    try:
        os.kill(pid, DUMP_SIGNAL)
    except ProcessLookupError:
        return
    deadline = Deadline(1.0)
    size, quiet_since = output.size(), time.monotonic()
    while not deadline.expired() and time.monotonic() - quiet_since < 0.05:
        time.sleep(0.005)  # polling the file size: the dump has no end marker
        now_size = output.size()
        if now_size != size:
            size, quiet_since = now_size, time.monotonic()


def _load_reports(item: pytest.Item, payload: bytes) -> list[pytest.TestReport]:
    try:
        raw = json.loads(payload)
        hook = item.config.hook
        reports = [hook.pytest_report_from_serializable(config=item.config, data=d) for d in raw]
    except (ValueError, TypeError, KeyError, AttributeError):
        return []
    return [r for r in reports if isinstance(r, pytest.TestReport)]


def _synthesised(item: pytest.Item, problem: tuple[str, str], elapsed: float) -> pytest.TestReport:
    status, message = problem
    return pytest.TestReport(
        nodeid=item.nodeid,
        location=item.location,
        keywords=dict.fromkeys(item.keywords, 1),
        outcome="failed",
        longrepr=message,
        when="call",
        sections=[],
        duration=elapsed,
        user_properties=[(STATUS_KEY, status), (MESSAGE_KEY, message)],
    )


# -- results for the supervisor --------------------------------------------------------------


class Recorder:
    """Writes one signed JSON line per event to the results file the supervisor reads.

    Lines: ``note`` (what the session could not set up), ``collected`` (the test names and
    points, in file order), ``started`` and then ``test`` per test (``started`` carries the
    test's hard deadline, for live progress), ``collect_error``, and ``finished``. Each
    is ``<hex HMAC> <json>`` under the key the supervisor passed through an inherited pipe, so
    no student process can forge one.
    """

    def __init__(self, path: str, key: bytearray, notes: list[str]) -> None:
        self.path = path
        self.key = key
        self.notes = notes
        self.points: dict[str, float] = {}
        self.names: dict[str, str] = {}
        self.deadlines: dict[str, float] = {}
        self.hidden: set[str] = set()
        self.phases: dict[str, list[pytest.TestReport]] = {}
        self.started: dict[str, float] = {}

    def _emit(self, record: dict[str, Any]) -> None:
        line = secret.sign_line(self.key, json.dumps(record, ensure_ascii=False))
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.points[item.nodeid] = points(item)
            self.names[item.nodeid] = item.name
            self.deadlines[item.nodeid] = hard_deadline(item)
            if item.get_closest_marker("hidden") is not None:
                self.hidden.add(item.nodeid)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for note in self.notes:
            self._emit({"type": "note", "message": note})
        tests = [
            {
                "name": self.names[i.nodeid],
                "max_score": self.points[i.nodeid],
                "hidden": i.nodeid in self.hidden,
            }
            for i in session.items
        ]
        self._emit({"type": "collected", "tests": tests})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._emit({"type": "collect_error", "message": tail(report.longreprtext, 4000)})

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.started[nodeid] = time.monotonic()
        self.phases[nodeid] = []
        name, deadline = self.names.get(nodeid, nodeid), self.deadlines.get(nodeid)
        self._emit({"type": "started", "name": name, "deadline": deadline})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.phases.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        reports = self.phases.pop(nodeid, [])
        now = time.monotonic()
        started = self.started.pop(nodeid, now)
        result = summarise(
            self.names.get(nodeid, nodeid), self.points.get(nodeid, 1.0), reports, now - started
        )
        result = dataclasses.replace(result, hidden=nodeid in self.hidden)
        # When it started, on the monotonic clock the supervisor shares (one machine): the
        # supervisor counts the test's start_s from the moment it let the tests run.
        self._emit({"type": "test", **result.to_json(), "started_at": started})

    def pytest_sessionfinish(self) -> None:
        self._emit({"type": "finished"})


def summarise(
    name: str, max_score: float, reports: list[pytest.TestReport], duration: float
) -> TestResult:
    """Fold the setup/call/teardown reports of one test into its TestResult."""
    status, message = "passed", ""
    for report in reports:
        props = dict(report.user_properties)
        if report.failed:
            status = str(props.get(STATUS_KEY, "failed" if report.when == "call" else "error"))
            message = str(props.get(MESSAGE_KEY, report.longreprtext))
            if report.when == "teardown" and status == "failed":
                status = "error"
            break
        if report.skipped:
            status, message = "error", f"skipped: {report.longreprtext}"
            break
    output_parts = []
    for report in reports:
        for title, text in report.sections:
            output_parts.append(f"--- {title} ---\n{text}")
        if report.failed and report.longreprtext:
            output_parts.append(f"--- {report.when} ---\n{report.longreprtext}")
    output = head_tail("\n".join(output_parts), OUTPUT_LIMIT)
    return TestResult(
        name=name,
        status=status,
        max_score=max_score,
        message=message,
        output=output,
        duration_s=round(duration, 4),
        # What the spec itself took: pytest times each phase inside the test process, so
        # duration_s minus this is the test's isolation (its process, report and sweeps).
        spec_s=round(sum(report.duration for report in reports), 4),
    )
