"""The session's side of each test: start its test process, and judge what comes back.

grader.plugin's ``pytest_runtest_protocol`` calls :func:`run_forked` for every test. For the
test's length the session owns, and then closes or removes, the read end of its report pipe,
its output file and its working folder. Its test process (:mod:`grader.forked`) is handed the
test by the session's launcher, forked once after collection (:mod:`grader.launcher`, which
forks it ahead and reaps it), or, where there is none or while it warms up, forked here (the
session reaps it). The judge waits for one signed report frame within the test's hard
deadline; a test process that overruns is asked for a stack dump of every thread and
SIGKILLed with its process group. After every test, pass or fail, the session kills and
reaps whatever came back to it (it is a child subreaper) and, as root, everything of the
sandbox uid, and names it in the test's report.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import types
from collections.abc import Sequence
from typing import NoReturn

import pytest

from grader import forked, isolation, launcher, marks, sandbox, secret, sources, users, wire
from grader.isolation import Deadline, OutputFile

EXIT_GRACE = 2.0  # seconds a test process may take to exit after sending its report
REPORT_BUDGET = 32 * 1024 * 1024  # bytes of one test's reports
AWAIT_LAUNCHER = "GRADER_AWAIT_LAUNCHER"  # set: every test waits for the launcher (see below)


def run_forked(item: pytest.Item, last: bool = False) -> list[pytest.TestReport]:
    """Run one test in its own process; its reports, or one synthesised failure report.
    ``last``: the session's last test (its launcher need prepare no process after it)."""
    key = secret.new_key()
    output = OutputFile()
    workdir = tempfile.mkdtemp(prefix="grader-test-", dir=item.config.stash[marks.SCRATCH])
    identity = item.config.stash[marks.IDENTITY]
    if identity is not None:  # the sandboxes' current folder is theirs to write in
        os.chown(workdir, identity.uid, identity.uid)
    report_r, report_w = os.pipe()
    started = time.monotonic()
    try:
        forker = launcher_for(item)
        pid, reaper = _start_test_process(
            item, forker, key, (report_r, report_w), output, workdir, last
        )
        os.close(report_w)
        reports = _judge(item, pid, reaper, key, report_r, output, started)
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
        memory = item.config.stash.get(marks.HANGS, None)
        handover = launcher.Handover(
            nodeid=item.nodeid,
            key=key,
            workdir=workdir,
            hangs=memory.to_json() if memory is not None else [],
        )
        try:
            deadline = Deadline(marks.hard_deadline(item))
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
        forked.run(item, key, report_w, output.fd, workdir, ready=False)
    return pid, None


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


def launcher_for(item: pytest.Item, sessions_own: Sequence[int] = ()) -> launcher.Launcher | None:
    """The session's launcher, forked at its first test (``item``) or, in a prepared
    session, before (None where it is not used). ``sessions_own``: descriptors it must not
    keep. It is kept on the session's stash until :func:`close`."""
    config = item.config
    if marks.LAUNCHER in config.stash:
        return config.stash[marks.LAUNCHER]
    _warm_source_lookup()  # before any test process is forked, by the launcher or by us
    forker = None
    if launcher.supported() and not config.getoption("grader_no_launcher"):
        items = {each.nodeid: each for each in item.session.items}

        def run_test(handover: launcher.Handover, report_w: int, out_fd: int) -> NoReturn:
            memory = config.stash.get(marks.HANGS, None)
            if memory is not None:
                memory.adopt(handover.hangs)
            target = items.get(handover.nodeid)
            if target is None:  # the session asked for a test it never collected
                isolation.flush_and_exit(1)
            if not _uses_student(target):
                sandbox.discard_prepared(wait=False)  # dies during the test, reaped after
            forked.run(target, handover.key, report_w, out_fd, handover.workdir, ready=True)

        for each in items.values():
            # A cached property the session reads for every test anyway (logstart), and
            # each test process for its report: computed once here, no process repeats it.
            each.location  # noqa: B018
        identity = config.stash.get(marks.IDENTITY, None)
        ahead = any(_uses_student(each) for each in items.values())

        def ready() -> None:
            forked.get_ready()
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
    config.stash[marks.LAUNCHER] = forker
    return forker


def close(config: pytest.Config) -> None:
    """At the session's end: close its launcher, if it made one."""
    forker = config.stash.get(marks.LAUNCHER, None)
    if forker is None:
        return
    forker.close()
    # A process of the launcher's that its last kill left still dying (a sandbox forked
    # ahead) was re-parented to us, the subreaper: it ends before we do, or the grader
    # would count it as left behind by the student's tests.
    isolation.sweep_descendants()


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
    forked.rehearse(session)  # after: its failing test's report uses what was learnt


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
    forker = config.stash.get(marks.LAUNCHER, None)
    config.stash[marks.LAUNCHER] = None
    if forker is not None:
        forker.close(broken=True)
    print(f"grader: the test launcher failed ({why})", file=sys.stderr)


def _judge(
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
    deadline_s = marks.hard_deadline(item)
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
    identity = item.config.stash[marks.IDENTITY]
    if identity is not None:  # everything of the sandbox uid, however it hid or hopped
        users.kill_all(identity.uid)
    running = item.config.stash.get(marks.LAUNCHER, None)  # the launcher, unless it just failed
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
    forked.name_left_behind(last, killed)
    return reports


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
        os.kill(pid, forked.DUMP_SIGNAL)
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
        user_properties=[(marks.STATUS_KEY, status), (marks.MESSAGE_KEY, message)],
    )
