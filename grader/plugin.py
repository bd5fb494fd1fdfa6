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

The plugin's parts, one module each: this one holds the hooks, options and markers, the
soft limit and the verdict labels a test process puts on its reports, and the ``student``
fixture; :mod:`grader.judge` is the session's side of each test, :mod:`grader.forked` the
test process's, :mod:`grader.recorder` the results for the supervisor, and
:mod:`grader.marks` what they share.

Markers: ``points(n)`` (default 1) and ``deadline(seconds)`` (the hard wall-clock limit for one
test, default the exercise's ``timeout``). pytest-timeout, when loaded, is set up as the soft
limit inside the test process only (signal method, ``func_only``), below the hard deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import (
    channel,
    hangs,
    isolation,
    judge,
    landlock,
    marks,
    namespaces,
    sandbox_child,
    secret,
    submitted,
    tracebacks,
    users,
    workspace,
)
from grader.marks import (
    DEFAULT_DEADLINE,
    GATE,
    HANGS,
    IDENTITY,
    KILLED_KEY,
    MESSAGE_KEY,
    NOTES,
    SCRATCH,
    STATUS_KEY,
    budgets,
    hard_deadline,
)
from grader.messages import LANGS, SpecFailure
from grader.outcome import StudentProblem, StudentSkipped, StudentTimeout
from grader.polling import WaitTimeout
from grader.recorder import Recorder
from grader.sandbox import Student
from grader.sandbox_child import Identity


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
        scratch = tempfile.mkdtemp(prefix="grader-tests-", dir=workspace.base())
        if config.stash[IDENTITY] is not None:
            os.chmod(scratch, 0o711)  # as the supervisor's: the sandbox uid may pass, not list
    config.stash[SCRATCH] = scratch
    identity = config.stash[IDENTITY]
    channel.configure(scratch, identity.uid if identity is not None else None)
    sandbox_child.confinement = _confinement(config, scratch)
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
    judge.close(config)
    identity = config.stash.get(IDENTITY, None)
    if identity is not None and identity.view_fd is not None:
        os.close(identity.view_fd)
    if sandbox_child.confinement is not None:
        os.close(sandbox_child.confinement)
        sandbox_child.confinement = None
    if not config.getoption("grader_scratch") and SCRATCH in config.stash:
        shutil.rmtree(config.stash[SCRATCH], ignore_errors=True)


def _sandbox_identity(config: pytest.Config) -> Identity | None:
    """The sandboxes' uid and view of the files, or None when they keep the session's uid.

    Where no mount namespace can be made (a container without CAP_SYS_ADMIN) sandboxes still
    drop to their uid, without the view; where the interpreter is then out of the uid's
    reach (under ``/root``), they cannot run as it at all and keep root (with only its
    capabilities over files: grader.users.keep_file_capabilities_only). Both are said in a
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
        note = (
            f"sandboxes ran as root, not as uid {uid}: {why}; and the interpreter is inside "
            f"{', '.join(closed)}, which uid {uid} may not enter. They kept only root's "
            "capabilities over files"
        )
        if landlock.scoped():
            note += "; Landlock kept their files, signals and abstract sockets in, as for any uid"
        elif landlock.available():
            note += "; Landlock kept their files in, but they could signal root's processes"
        config.stash[NOTES].append(note)
        return None
    if landlock.available():  # the session's ruleset confines them (_confinement)
        note = (
            f"sandboxes ran as uid {uid} without a view of the files ({why}); Landlock kept "
            "them to the system's, the interpreter's and the temporary folders, where they "
            "could read what every user may"
        )
    else:
        note = (
            f"sandboxes ran as uid {uid} but could read the specs and solutions (in a batch, "
            f"classmates' work and the batch's records too): {why}"
        )
    config.stash[NOTES].append(note)
    return Identity(uid=uid, view_fd=None)


def _confinement(config: pytest.Config, scratch: str) -> int | None:
    """The session's Landlock ruleset for its sandboxes (grader.landlock), or None where the
    kernel offers none or refuses it (then said in a note on every result). Besides the
    system's, the interpreter's and the temporary folders, a sandbox may write in the
    session's folders: its scratch folder, pytest's ``tmp_path`` base, the target (run by
    hand without one, the specs' root folder, whose exercises are then the target). Not in
    the folder above its scratch, which holds other sessions' (grader.workspace)."""
    own = [tempfile.gettempdir(), scratch]
    basetemp = config.getoption("basetemp", None)
    if basetemp:
        own.append(str(basetemp))
    own.append(str(config.getoption("grader_target", None) or config.rootpath))
    try:
        return landlock.ruleset(own)
    except OSError as exc:
        config.stash[NOTES].append(f"sandboxes were not confined with Landlock: {exc}")
        return None


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
        judge.launcher_for(session.items[0], sessions_own=(gate,))
    try:
        go = os.read(gate, 1)
    finally:
        os.close(gate)
    if go != secret.GO:  # the supervisor abandoned it (it kills it too) or is gone
        isolation.flush_and_exit(1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    marks.add_soft_timeouts(config, items)


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
        if status != "todo":
            message += _what_raised_below(item, lang)
        report.user_properties.append((MESSAGE_KEY, message))
    return report


def _student_of(item: pytest.Item) -> Student | None:
    """The test's ``student`` fixture, if it asked for one and the fixture was made."""
    sandboxed = getattr(item, "funcargs", {}).get("student")
    return sandboxed if isinstance(sandboxed, Student) else None


def _where_it_hung(item: pytest.Item, exc: BaseException, lang: str) -> str:
    """Where the student's code was, when the spec failed the test with its own words right
    after a call timed out (a StudentTimeout's message already says it)."""
    sandboxed = _student_of(item)
    if isinstance(exc, (StudentTimeout, StudentSkipped)) or sandboxed is None:
        return ""
    last = sandboxed.transcript[-1] if sandboxed.transcript else None
    if last is None or not last.timed_out:
        return ""
    return last.where(lang)


def _what_raised_below(item: pytest.Item, lang: str) -> str:
    """The exception the student's module raised in a process or thread of its own during the
    test's calls, which the spec's message (about what went missing) may only follow from."""
    sandboxed = _student_of(item)
    if sandboxed is None:
        return ""
    texts = sandboxed.stderr_so_far()
    found = tracebacks.raised_below(texts, sandboxed.module_path, sandboxed.display_path)
    return found.text(lang) if found is not None else ""


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
    for report in judge.run_forked(item, last=nextitem is None):
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
