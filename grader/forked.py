"""A test process: one test, run with pytest's protocol, and its signed reports.

Each test runs in a process of its own, forked one test ahead by the session's launcher
(:mod:`grader.launcher`) or, where there is none, by the session itself
(:mod:`grader.judge`). It is handed the write end of its report pipe and its test's output
file as descriptors: it writes one signed frame of reports and exits, never returning into
pytest's loop. The session owns and closes the pipe's read end, the output file and the
working folder. A test process leads its own process group and is the subreaper of whatever
its test starts: it kills and reaps all of that before it reports, and names it in the
report.

Before its first fork the launcher runs this path on two made-up tests (:func:`rehearse`),
so that every test process inherits what the path's first run fills in.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
import traceback
import types
from typing import NoReturn

import pytest
from _pytest.runner import runtestprotocol

from grader import isolation, marks, probe, rehearsed, sandbox, secret, wire

# The signal a test process dumps every thread's stack on (the session sends it at the
# deadline): a real-time one no test uses, where there are real-time signals.
DUMP_SIGNAL = getattr(signal, "SIGRTMIN", signal.SIGUSR2) + (
    3 if hasattr(signal, "SIGRTMIN") else 0
)


def get_ready() -> None:
    """What a test process does before it knows its test. A process the launcher prepared
    does it while the previous test runs, so it is off the path from one test to the next."""
    os.setpgid(0, 0)
    isolation.become_subreaper()
    faulthandler.register(DUMP_SIGNAL, file=sys.stderr, all_threads=True, chain=False)
    os.register_at_fork(after_in_child=_default_alarm)
    # A first sweep finds nothing (nothing runs below us yet); it loads the code and pages
    # of the sweep every test ends with, as a first call would during the test's report.
    isolation.sweep_descendants()


def run(
    item: pytest.Item, key: bytearray, report_w: int, out_fd: int, workdir: str, *, ready: bool
) -> NoReturn:
    """Run ``item`` and send its reports, signed with ``key``, on ``report_w``; its output
    goes to ``out_fd``, in ``workdir``. ``ready``: :func:`get_ready` has run in this process
    already. Never returns: the process exits with the code of a ``SystemExit`` that got
    here, 1 where the grader itself failed (its trace is in the test's output), else 0."""
    me = os.getpid()
    code = 0
    try:
        secret.scrub_all(keep=key)  # the session's results key stays with the session
        if not ready:
            get_ready()
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.chdir(workdir)
        payload = run_for_report(item, me)
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


def run_for_report(item: pytest.Item, me: int) -> bytes:
    """Run ``item`` with pytest's protocol in this process (``me``) and sweep what it left
    below this process; its reports, serialised for the session (not yet signed)."""
    reports = runtestprotocol(item, log=False, nextitem=None)
    isolation.exit_now_if_not(me)
    sandbox.discard_prepared()  # an unused sandbox forked ahead is not the test's leftover
    # Whatever the test started ends before it reports (this process is their subreaper:
    # nothing it started can leave its tree while it lives), so the session need not
    # wait for this process's exit to know that nothing was left behind.
    name_left_behind(reports[-1], isolation.sweep_descendants())
    hook = item.config.hook
    return json.dumps(
        [hook.pytest_report_to_serializable(config=item.config, report=r) for r in reports]
    ).encode()


def name_left_behind(report: pytest.TestReport, killed: list[probe.Proc]) -> None:
    """Name the processes a test left behind (and the grader killed) in its last report."""
    if killed:
        names = [p.describe() for p in killed]
        report.user_properties.append((marks.KILLED_KEY, names))
        report.sections.append(("Processes left behind (killed by the grader)", "\n".join(names)))


def _default_alarm() -> None:
    """Processes forked from a test process must not inherit pytest-timeout's SIGALRM handler."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


REHEARSAL = "grader_rehearsal.py"  # the made-up module of the launcher's rehearsal tests
REHEARSALS = 2  # rounds: CPython 3.12+ specialises an instruction the second time it runs
# (3.11 a function's after its eighth call: eight rounds there changed nothing measurable)


def rehearse(session: pytest.Session) -> None:
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
                wire.write_frame(sink.fileno(), secret.sign(key, run_for_report(test, me)))
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
    marks.add_soft_timeouts(session.config, tests)  # its soft timeout, as every test's
    return tests
