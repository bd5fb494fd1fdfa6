"""The launcher (grader.launcher): test processes forked one test ahead from a copy of the
session, and what happens when it or a prepared process dies.

Each spec here is written into a private copy of the fixture repository as exercise
`07_launched` and checked with `grader check` (the `grade` fixture also fails a test that
leaves any process behind). The specs observe their own process tree from the inside; the
verdicts come from the session as always. Their tests wait for the launcher
(``GRADER_AWAIT_LAUNCHER=1``), so every test process is the launcher's; what the session does
while its launcher warms up is tested on its own below.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from grader import forked, isolation, judge, launcher, marks, plugin, probe, rehearsed, secret
from grader.polling import holds_within


@pytest.fixture(autouse=True)
def _every_test_waits_for_the_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(judge.AWAIT_LAUNCHER, "1")


TOML = """title = { en = "Launcher", zh = "启动器" }
topics = ["grader self-test"]
seed_section = "none"
timeout = 10

[[hints]]
en = "There is nothing to do."
zh = "无事可做。"
"""

# Every test writes who its parent is; the session's pid is the launcher's parent.
PARENTS = """
import os
from pathlib import Path

import pytest

LOG = Path({log!r})
STATE = []


def parent_of(pid):
    with open(f"/proc/{{pid}}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[1])


@pytest.mark.parametrize("n", range(4))
def test_parent(n):
    me, parent = os.getpid(), os.getppid()
    with LOG.open("a") as f:
        session = parent_of(parent)
        f.write(f"{{n}} {{me}} {{parent}} {{session}} {{parent_of(session)}} {{len(STATE)}}\\n")
    STATE.append(n)  # a fresh process per test: the next test must not see this
"""

KILLS = """
import os
import signal
import time

from grader.polling import holds_within

import pytest


def siblings():
    launcher = os.getppid()
    with open(f"/proc/{{launcher}}/task/{{launcher}}/children") as f:
        return [int(p) for p in f.read().split() if int(p) != os.getpid()]


def test_first():
    {attack}


def test_second():
    assert True


def test_third():
    assert True
"""


def _exercise(repo: Path, spec: str) -> None:
    folder = repo / "exercises" / "07_launched"
    folder.mkdir()
    (folder / "exercise.toml").write_text(TOML, encoding="utf-8")
    (folder / "launched.py").write_text("def nothing():\n    return None\n", encoding="utf-8")
    (folder / "test_launched.py").write_text(textwrap.dedent(spec), encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_every_test_process_is_forked_by_one_launcher_from_a_clean_copy(
    grade, fixture_repo: Path, tmp_path: Path
) -> None:
    log = tmp_path / "parents.log"
    _exercise(fixture_repo, PARENTS.format(log=str(log)))
    run = grade("07_launched", "def nothing():\n    return None\n")
    assert set(run.statuses().values()) == {"passed"}, run.output
    rows = [line.split() for line in log.read_text().splitlines()]
    assert [row[0] for row in rows] == ["0", "1", "2", "3"]
    pids = {row[1] for row in rows}
    launchers = {row[2] for row in rows}
    sessions = {row[3] for row in rows}
    assert len(pids) == 4, "one process per test"
    assert len(launchers) == 1, f"every test process has the same parent (the launcher): {rows}"
    assert len(sessions) == 1
    # The session's parent is this process (the grader's supervisor): the launcher is below it.
    assert {row[4] for row in rows} == {str(os.getpid())}, f"the launcher is the session: {rows}"
    assert {row[5] for row in rows} == {"0"}, "every test starts from the state before tests"


LAST = """
import os
import tempfile
from pathlib import Path

from grader.polling import holds_within, wait_until


def siblings():
    launcher = os.getppid()
    with open(f"/proc/{launcher}/task/{launcher}/children") as f:
        return [int(p) for p in f.read().split() if int(p) != os.getpid()]


def first_test_process():
    # Named by the launcher's pid: each test has a folder of its own.
    return Path(tempfile.gettempdir(), f"grader-last-test-{os.getppid()}.pid")


def test_first():
    first_test_process().write_text(str(os.getpid()))
    wait_until(siblings, timeout=30, message="the launcher prepares the next test's process")


def test_last():
    # The first test's process may still be exiting (the session took its report without
    # waiting for its exit): it is no process prepared after this one.
    first = int(first_test_process().read_text())
    first_test_process().unlink()

    def prepared():
        return [pid for pid in siblings() if pid != first]

    assert not holds_within(prepared, 1.0), "no test comes after this one: nothing prepared"
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_the_launcher_prepares_no_process_after_the_last_test(grade, fixture_repo: Path) -> None:
    """Each test's process is forked while the test before runs, but none after the last:
    it (and the sandbox it forks ahead) would only be killed when the session ends."""
    _exercise(fixture_repo, LAST)
    run = grade("07_launched", "def nothing():\n    return None\n")
    assert run.statuses() == {"test_first": "passed", "test_last": "passed"}, run.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_killed_launcher_fails_that_test_and_the_session_goes_on(
    grade, fixture_repo: Path
) -> None:
    # It dies with its launcher (a report sent before that would still count: not here).
    attack = "os.kill(os.getppid(), signal.SIGKILL)\n    time.sleep(5)"
    _exercise(fixture_repo, KILLS.format(attack=attack))
    run = grade("07_launched", "def nothing():\n    return None\n")
    first = run.test("test_first")
    assert first["status"] == "error", first
    assert "launcher" in first["message"], first["message"]
    assert run.statuses()["test_second"] == "passed"
    assert run.statuses()["test_third"] == "passed"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_killed_prepared_process_costs_no_test(grade, fixture_repo: Path) -> None:
    attack = (
        "assert holds_within(siblings, 5.0), 'the launcher prepares the next test process'\n"
        "    prepared = siblings()\n"
        "    for pid in prepared:\n"
        "        os.kill(pid, signal.SIGKILL)"
    )
    _exercise(fixture_repo, KILLS.format(attack=attack))
    run = grade("07_launched", "def nothing():\n    return None\n")
    assert set(run.statuses().values()) == {"passed"}, json.dumps(run.data)[:3000]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_stopped_launcher_costs_no_test_and_holds_up_nothing_for_long(
    grade, fixture_repo: Path
) -> None:
    _exercise(fixture_repo, KILLS.format(attack="os.kill(os.getppid(), signal.SIGSTOP)"))
    run = grade("07_launched", "def nothing():\n    return None\n")
    assert set(run.statuses().values()) == {"passed"}, json.dumps(run.data)[:3000]
    assert run.seconds < launcher.PREPARE_WAIT + 10, f"took {run.seconds:.1f} s"


# The session forks the tests that are due while its launcher warms up. The first test
# makes sure the launcher never gets ready (it stops it), so every test is the session's.
EARLY = """
import os
import signal

from grader import probe

RUNNER = {runner}  # the session's parent
LOG = {log!r}


def parent_of(pid):
    with open(f"/proc/{{pid}}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def sockets():
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            found += os.readlink(f"/proc/self/fd/{{fd}}").startswith("socket:")
        except OSError:
            pass  # the listing's own descriptor, closed by now
    return found


def note(n):
    parent = os.getppid()
    by_session = parent_of(parent) == RUNNER
    with open(LOG, "a") as f:
        f.write(f"{{n}} {{os.getpid()}} {{parent}} {{by_session}} {{sockets()}}\\n")


def test_first():
    note(0)
    session = os.getppid()
    if parent_of(session) == RUNNER:  # forked by the session: the launcher is warming up
        for pid in probe.child_pids(session):
            if pid != os.getpid():
                os.kill(pid, signal.SIGSTOP)  # it never gets ready


def test_second():
    note(1)


def test_third():
    note(2)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_the_session_forks_the_tests_due_while_its_launcher_warms_up(
    grade, fixture_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(judge.AWAIT_LAUNCHER)
    log = tmp_path / "parents.log"
    _exercise(fixture_repo, EARLY.format(runner=os.getpid(), log=str(log)))
    run = grade("07_launched", "def nothing():\n    return None\n")  # also: nothing left
    assert set(run.statuses().values()) == {"passed"}, run.output
    rows = [line.split() for line in log.read_text().splitlines()]
    assert [row[0] for row in rows] == ["0", "1", "2"]
    assert rows[0][3] == "True", f"the first test was not forked by the session: {rows}"
    assert len({row[1] for row in rows}) == 3, "one process per test"
    assert {row[2] for row in rows} == {rows[0][2]}, f"the session forked every test: {rows}"
    assert {row[4] for row in rows} == {"0"}, f"a test process kept the launcher's socket: {rows}"


def _blocking_rehearsal(release: int) -> Callable[[], None]:
    """A launcher's warm-up that lasts until ``release`` is readable (forever if never)."""
    return lambda: select.select([release], [], [])  # runs in the launcher


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_launcher_says_it_is_warming_up_until_it_has_prepared_a_process() -> None:
    def play() -> int:
        release_r, release_w = os.pipe()
        forker = launcher.Launcher.start(
            lambda *_: os._exit(0), lambda: None, _blocking_rehearsal(release_r)
        )
        if not forker.warming_up():
            return 1
        os.write(release_w, b"go")
        ready = holds_within(lambda: not forker.warming_up(), 30.0)
        forker.close()
        return 0 if ready else 2

    _as_stand_in_session(
        play,
        {
            1: "warming_up() was False while the launcher's warm-up was still running",
            2: "warming_up() stayed True after the launcher prepared a process",
        },
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_launcher_still_warming_up_at_the_end_is_killed_not_waited_for() -> None:
    """Its warm-up could last (a rehearsal, a heap to freeze) long after the session's last
    test: close() kills it and waits only for its death. What it had forked by then is the
    session's sweep's (pytest_unconfigure)."""

    def play() -> int:
        release_r, _ = os.pipe()
        forker = launcher.Launcher.start(
            lambda *_: os._exit(0), lambda: None, _blocking_rehearsal(release_r)
        )
        events: list[tuple[str, int]] = []
        real_wait, real_kill = isolation.wait_child, os.kill

        def wait_child(pid: int, deadline: isolation.Deadline) -> int | None:
            events.append(("wait", pid))
            return real_wait(pid, deadline)

        def kill(pid: int, sig: int) -> None:
            events.append((f"signal {sig}", pid))
            real_kill(pid, sig)

        isolation.wait_child = wait_child  # type: ignore[assignment]
        os.kill = kill
        forker.close()
        isolation.sweep_descendants()
        if events[:1] != [(f"signal {signal.SIGKILL}", forker.pid)]:
            return 1
        return 3 if _nothing_below_us() else 0

    _as_stand_in_session(
        play,
        {
            1: "close() waited for a launcher still warming up instead of killing it",
            3: "something of the launcher's outlived the session's sweep",
        },
    )


WARMED = """
import dis
import sys

from grader import heap, plugin, rehearsed, secret


def test_warmed():
    immortal = heap.immortals_supported()
    adaptive = sys.version_info >= (3, 12)  # specialised on its second run (3.11: its ninth)
    code = dis.get_instructions(rehearsed.fails, adaptive=True) if adaptive else []
    specialised = any(i.opname == "LOAD_GLOBAL_BUILTIN" for i in code)
    assert specialised == adaptive, "only the launcher's rehearsal runs it, twice"
    assert (sys.getrefcount(plugin) == 0xFFFFFFFF) == immortal
    assert secret.warmed_up(), "the launcher made a MAC before it forked this process"
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_test_processes_start_from_the_launchers_rehearsal_and_frozen_heap(
    grade, fixture_repo: Path
) -> None:
    _exercise(fixture_repo, WARMED)
    run = grade("07_launched", "def nothing():\n    return None\n")
    assert run.statuses() == {"test_warmed": "passed"}, json.dumps(run.data)[:3000]
    assert "rehearsed" not in run.output + json.dumps(run.data)


FIRST_MAC_IN_A_CHILD = """
import os
from grader import secret

def dirty_kib():
    with open("/proc/self/smaps_rollup", "rb") as f:
        for line in f.read().splitlines():
            if line.startswith(b"Private_Dirty:"):
                return int(line.split()[1])
    raise RuntimeError("no Private_Dirty in /proc/self/smaps_rollup")

def pages_written_by_a_childs_first_mac():
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        dirty_kib()  # the pages of its own first call are not the MAC's
        before = dirty_kib()
        secret.mac(bytearray(secret.MAC_BYTES), b"a report" * 100)
        after = dirty_kib()
        os.write(write_end, str((after - before) // 4).encode())
        os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 64)
    os.waitpid(pid, 0)
    return int(answer)

cold = pages_written_by_a_childs_first_mac()
secret.warm_up()
print(cold, pages_written_by_a_childs_first_mac())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="page faults as Linux counts them")
def test_a_mac_warmed_up_before_forking_is_not_set_up_again_in_each_child() -> None:
    found = subprocess.run(
        [sys.executable, "-c", FIRST_MAC_IN_A_CHILD],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    cold, warm = map(int, found.stdout.split())
    # Pages the child wrote (its private dirty memory: page faults would count the code it
    # maps in too, which made this test flaky). Measured here: 42-49 cold, 20-24 warm (the
    # child's own objects) on Python 3.10-3.13; equal without the warm-up.
    assert warm * 10 <= cold * 7, (cold, warm)


SOURCE_LOOKUP = """
import inspect
import os
from pathlib import Path

from grader import sandbox, sources


def test_its_module_is_known_before_any_failure():
    assert os.path.abspath(__file__) in inspect.modulesbyfile


def test_its_statements_and_the_sandboxs_are_learnt_before_any_failure():
    assert sources.installed()
    assert sources.learnt(Path(os.path.abspath(__file__)))
    assert sources.learnt(Path(os.path.abspath(sandbox.__file__)))
"""


@pytest.mark.parametrize("how", ["launcher", "session-forks"])
def test_a_failing_tests_source_lookup_is_ready_in_every_test_process(
    tmp_path: Path, how: str
) -> None:
    """The first failing test of a process used to read the real path of every module's file
    (about 40 ms) to find its source, and every failing test parsed the files of its
    traceback (57 ms for exercise 23's spec): both are done once before any test process
    is forked, by the launcher or by the session."""
    (tmp_path / "test_lookup.py").write_text(SOURCE_LOOKUP)
    mode = ["--grader-no-launcher"] if how == "session-forks" else []
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "grader.plugin", *mode, "test_lookup.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout + run.stderr


OBSERVER = """
import os


def pytest_runtest_setup(item):
    with open(os.environ["OBSERVED"], "a") as log:
        log.write(f"setup {os.getpid()} {item.nodeid} {len(item.fixturenames)}\\n")
"""
AUTOUSE = """
import os

import pytest


@pytest.fixture(autouse=True)
def everywhere(request):
    with open(os.environ["OBSERVED"], "a") as log:
        log.write(f"fixture {os.getpid()} {request.node.nodeid} 0\\n")
    yield
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
@pytest.mark.parametrize("conftest", [False, True], ids=["plain", "autouse-fixture"])
def test_a_rehearsal_runs_once_per_session_unless_a_made_up_test_would_get_a_fixture(
    tmp_path: Path, conftest: bool
) -> None:
    (tmp_path / "observer.py").write_text(OBSERVER)
    (tmp_path / "test_real.py").write_text("def test_real():\n    assert True\n")
    if conftest:
        (tmp_path / "conftest.py").write_text(AUTOUSE)
    observed = tmp_path / "observed.log"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "grader.plugin", "-p", "observer"],
        cwd=tmp_path,
        env=dict(os.environ, OBSERVED=str(observed), PYTHONPATH=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
    rows = [line.split() for line in observed.read_text().splitlines()]
    setups = [(pid, node, int(n)) for what, pid, node, n in rows if what == "setup"]
    rehearsed = [(node, n) for _, node, n in setups if node.startswith(forked.REHEARSAL)]
    rehearsing = {pid for pid, node, _ in setups if node.startswith(forked.REHEARSAL)}
    real = [pid for pid, node, _ in setups if node == "test_real.py::test_real"]
    fixtures = [(pid, node) for what, pid, node, _ in rows if what == "fixture"]
    # The conftest's fixture ran for the real test alone, in its own process: never in the
    # launcher, for a made-up test.
    assert fixtures == ([(real[0], "test_real.py::test_real")] if conftest else []), rows
    names = [f"{forked.REHEARSAL}::test_{n}" for n in ("passes", "fails")]
    if rehearsed or not conftest:
        # Where pytest gives the made-up tests the conftest's autouse fixture (9.2) they are
        # not run; where it does not (9.1, whose made-up module is outside the conftest's
        # folder node), they run with no fixture.
        assert rehearsed == [(name, 0) for name in names] * forked.REHEARSALS, rows
        assert len(rehearsing) == 1, "all in one process: the launcher"
    assert len(real) == 1 and real[0] not in rehearsing, rows
    assert "rehearsed" not in run.stdout + run.stderr


def test_processes_a_test_leaves_are_killed_and_named(grade, fixture_repo: Path) -> None:
    attack = "if os.fork() == 0:\n        os.setsid()\n        signal.pause()\n        os._exit(0)"
    _exercise(fixture_repo, KILLS.format(attack=attack))
    run = grade("07_launched", "def nothing():\n    return None\n")
    assert set(run.statuses().values()) == {"passed"}, json.dumps(run.data)[:3000]
    output = run.test("test_first")["output"]
    assert "Processes left behind (killed by the grader)" in output, output
    assert "Processes left behind" not in run.test("test_second")["output"]


def _nothing_below_us(reached: bool = True) -> int:
    """The verdict of a stand-in session that must have no child now, alive or dead: 0; 1
    when it has one; 2 when the case under test was not ``reached``."""
    if not reached:
        return 2
    return 1 if probe.child_pids(os.getpid()) else 0


def _as_stand_in_session(play: Callable[[], int], failures: dict[int, str]) -> None:
    """Run ``play`` in a forked child that is a subreaper, as a session is; its return value
    is the verdict (0: as it should be; else a key of ``failures``). Everything the child
    started is killed and reaped before it exits."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the stand-in session; its exit code is the verdict
        code = 3
        try:
            isolation.become_subreaper()
            code = play()
        finally:
            isolation.kill_tree(os.getpid())
            os._exit(code)
    status = isolation.wait_child(pid, isolation.Deadline(60.0))
    code = None if status is None else os.waitstatus_to_exitcode(status)
    assert code == 0, failures.get(code, f"the stand-in session failed: {code}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_session_that_hangs_up_while_a_test_process_is_prepared_inherits_nothing() -> None:
    """CI once saw "1 process(es) left behind by the session were killed" under a spec whose
    tests leave nothing: the session had ended while its launcher was still announcing the
    next prepared process. The launcher now kills and reaps every process of its own before
    it exits. Here the stand-in session starts one test, then closes the launcher while it
    announces the next prepared process; once close() has returned, nothing may have been
    re-parented to it, alive or dead. (A launcher the session never saw ready is killed
    instead, and what it left is the session's sweep's: see the test after next.)"""

    def play() -> int:
        forked_r, forked_w = os.pipe()
        real_send_fds = socket.send_fds
        announced = []

        def announce_second_after_hang_up(sock, buffers, fds, *rest):  # runs in the launcher
            announced.append(1)
            if len(announced) == 2:
                os.write(forked_w, b"f")  # the second prepared process exists now
                select.select([sock], [], [], 30.0)  # readable: the session hung up
            return real_send_fds(sock, buffers, fds, *rest)

        socket.send_fds = announce_second_after_hang_up  # type: ignore[assignment]
        forker = launcher.Launcher.start(lambda *_: os._exit(0), lambda: None)
        socket.send_fds = real_send_fds
        _, report_w = os.pipe()
        handover = launcher.Handover("t", secret.new_key(), "/", [])
        forker.start_test(handover, report_w, report_w, isolation.Deadline(30.0))
        announcing, _, _ = select.select([forked_r], [], [], 30.0)
        forker.close()
        return _nothing_below_us(reached=bool(announcing))

    _as_stand_in_session(
        play,
        {
            1: "the launcher ended with a process of its own still there",
            2: "the launcher never announced a prepared process: the case was not reached",
        },
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_prepared_process_not_needed_ends_what_it_started_getting_ready() -> None:
    """CI (Python 3.10) once saw "1 process(es) left behind by the session were killed"
    under a solution that leaves nothing: the session's last prepared test process, not
    needed, exited at once and left its sandbox forked ahead (what ``ready()`` started) to
    the session, which ended before that sandbox did. A prepared process that is not needed
    now kills and reaps what it started before it exits. Here ``ready()`` starts a process
    that never ends on its own; once the prepared process has exited, nothing may have been
    re-parented to the stand-in session, alive or dead."""

    def play() -> int:
        started_r, started_w = os.pipe()

        def ready() -> None:  # runs in the prepared process
            if os.fork() == 0:
                signal.pause()  # a sandbox forked ahead, slow to end
                os._exit(0)
            os.write(started_w, b"s")

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        roles = launcher._Roles(lambda *_: os._exit(0), ready, lambda: None)
        session = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the prepared process never returns
            ours.close()
            launcher._await_test(theirs, session, roles, None)
        theirs.close()
        got_ready, _, _ = select.select([started_r], [], [], 30.0)
        ours.close()  # the session hangs up: its test is not needed
        isolation.wait_child(pid, isolation.Deadline(30.0))
        return _nothing_below_us(reached=bool(got_ready))

    left = "the prepared process exited and left what it started to the session"
    _as_stand_in_session(play, {1: left, 2: "ready() never ran: the case was not reached"})


def _ignores_sigint(pid: int) -> bool:
    mask = probe.status_field(pid, "SigIgn")
    return mask is not None and bool(int(mask, 16) >> (signal.SIGINT - 1) & 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_prepared_process_rehearses_taking_a_test_and_ignores_ctrl_c_until_it_has_one() -> None:
    """A prepared process reads a made-up request and sets SIGINT's handler once before it
    waits (so the pages those first calls copy are copied off the path from the hand-over
    to the test); that leaves Ctrl-C ignored, as the launcher set it: Ctrl-C is the
    session's until the process has its test, whose handler it then gets."""

    def play() -> int:
        rehearsed_r, rehearsed_w = os.pipe()
        ran_r, ran_w = os.pipe()
        real_rehearsal = launcher._rehearse_taking

        def rehearse_taking() -> None:  # in the prepared process
            real_rehearsal()
            os.write(rehearsed_w, b"r")

        def run_test(handover: launcher.Handover, report_w: int, out_fd: int) -> None:
            restored = signal.getsignal(signal.SIGINT) == signal.SIG_DFL
            os.write(ran_w, json.dumps([handover.nodeid, handover.hangs, restored]).encode())
            os._exit(0)

        launcher._rehearse_taking = rehearse_taking  # type: ignore[assignment]
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        roles = launcher._Roles(run_test, lambda: None, lambda: None)  # type: ignore[arg-type]
        session = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the prepared process never returns
            ours.close()
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the launcher forks it
            launcher._await_test(theirs, session, roles, None)
        theirs.close()
        if not select.select([rehearsed_r], [], [], 30.0)[0]:
            return 1
        if not _ignores_sigint(pid):
            return 2
        request = {"nodeid": "t.py::test_x", "workdir": "/", "hangs": [["k", "f()", "f", "t"]]}
        _, report_w = os.pipe()
        key = secret.new_key()
        socket.send_fds(ours, [key, json.dumps(request).encode()], [report_w, report_w])
        if not launcher._taken(ours, isolation.Deadline(30.0)):
            return 3
        if not select.select([ran_r], [], [], 30.0)[0]:
            return 3
        ran = json.loads(os.read(ran_r, 4096))
        isolation.wait_child(pid, isolation.Deadline(30.0))
        return 0 if ran == [request["nodeid"], request["hangs"], True] else 4

    _as_stand_in_session(
        play,
        {
            1: "the prepared process did not rehearse taking a test before it waited",
            2: "the rehearsal let Ctrl-C reach a process that has no test yet",
            3: "the prepared process did not take its test",
            4: "the test it ran was not the one handed over, or Ctrl-C was not given back",
        },
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_session_ends_what_its_launcher_left_to_it_before_it_ends() -> None:
    """The launcher's last kill can leave a process of its own still dying (a prepared
    process's sandbox forked ahead): re-parented to the session, which is their subreaper, it
    must end before the session does. Here the launcher's close() leaves such an orphan on
    purpose; once the session's pytest_unconfigure has run, nothing may be left below it."""

    class Orphaning:
        def close(self) -> None:
            middle = os.fork()
            if middle == 0:  # pragma: no cover - exits at once, leaving its child to us
                if os.fork() == 0:
                    signal.pause()
                os._exit(0)
            isolation.wait_child(middle, isolation.Deadline(30.0))

    class Config:
        stash = pytest.Stash()

        def getoption(self, name: str) -> object:
            return name == "grader_scratch"  # an instructor's own scratch: not removed

    def play() -> int:
        config = Config()
        config.stash[marks.LAUNCHER] = Orphaning()  # type: ignore[assignment]
        config.stash[marks.IDENTITY] = None
        plugin.pytest_unconfigure(config)  # type: ignore[arg-type]
        return _nothing_below_us()

    _as_stand_in_session(play, {1: "the session ended with its launcher's orphan still there"})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_test_that_kills_its_launcher_as_it_starts_is_not_run_again() -> None:
    """CI-like load once let a test's own code kill the launcher between the process taking
    the test and the session's "go": the session took that for a launcher gone before the
    test began, forked the test again itself, and the second run killed the session. A test
    that has begun is never run again: start_test returns its process, and waiting for it
    says the launcher is gone. The stand-in session answers "taken" only once the launcher
    is dead, so the "go" fails every time."""

    def kill_the_launcher(*_: object) -> None:  # runs as the test, in the test process
        os.kill(os.getppid(), signal.SIGKILL)
        signal.pause()  # until it dies with its launcher

    def play() -> int:
        forker = launcher.Launcher.start(kill_the_launcher, lambda: None)
        real_taken = launcher._taken

        def taken_once_the_launcher_is_dead(sock, deadline):  # type: ignore[no-untyped-def]
            took = real_taken(sock, deadline)
            isolation.wait_child(forker.pid, isolation.Deadline(20.0))
            return took

        launcher._taken = taken_once_the_launcher_is_dead  # type: ignore[assignment]
        handover = launcher.Handover("t.py::test_x", secret.new_key(), "/", [])
        out = os.open(os.devnull, os.O_WRONLY)
        _report_r, report_w = os.pipe()  # the report never comes
        try:
            started = forker.start_test(handover, report_w, out, isolation.Deadline(20.0))
        except launcher.LauncherGone:
            return 1
        try:
            forker.wait_exit(started, isolation.Deadline(20.0))
        except launcher.LauncherGone:
            return 0
        return 2

    _as_stand_in_session(
        play,
        {
            1: "start_test raised LauncherGone for a test that had begun: it would run again",
            2: "waiting for the test did not say that its launcher is gone",
        },
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_a_test_after_the_last_is_refused_at_once() -> None:
    """Once told that the last test has started, the launcher prepares nothing: a session
    that starts one more anyway learns at once that it must fork it itself (it would
    otherwise wait seconds for a process that never comes)."""

    def play() -> int:
        forker = launcher.Launcher.start(lambda *_: os._exit(0), lambda: None)
        out = os.open(os.devnull, os.O_WRONLY)
        _report_r, report_w = os.pipe()
        handover = launcher.Handover("t.py::test_x", secret.new_key(), "/", [])
        started = forker.start_test(handover, report_w, out, isolation.Deadline(20.0), last=True)
        if forker.wait_exit(started, isolation.Deadline(20.0)) is None:
            return 1
        if probe.child_pids(forker.pid):
            return 2
        try:
            forker.start_test(handover, report_w, out, isolation.Deadline(20.0))
        except launcher.LauncherGone as exc:  # said at once, not after a wait for a process
            forker.close()
            return 0 if "last test had started" in str(exc) else 4
        return 3

    _as_stand_in_session(
        play,
        {
            1: "the last test's process did not end",
            2: "the launcher prepared a process after the last test",
            3: "a test after the last was handed to a process",
            4: "the session waited for a process the launcher would never prepare",
        },
    )


def test_a_sweep_with_no_child_but_the_spared_reads_no_table(monkeypatch) -> None:
    """After a test the session's only child is its launcher: the sweep asks the kernel for
    its children, sees none outside ``spare``, and reads no process table. A zombie child
    outside ``spare`` is seen, and the sweep reaps it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends at once (a zombie is still a child)
        os._exit(0)
    assert pid in probe.child_pids(os.getpid())
    assert not isolation._no_child_outside(frozenset())
    assert isolation._no_child_outside(frozenset({pid})) is probe.HAS_CHILDREN_FILES
    if probe.HAS_CHILDREN_FILES:
        tables: list[int] = []
        monkeypatch.setattr(probe, "table", lambda: tables.append(1) or {})
        assert isolation.sweep_descendants(spare=frozenset({pid})) == []
        assert not tables, "the spared child alone made the sweep read the whole table"
        monkeypatch.undo()
    assert holds_within(lambda: not isolation.sweep_descendants() and not _is_child(pid), 10.0)


def _is_child(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return False


KEY_SCAN = """
import os
import time
from pathlib import Path

from grader import secret
from grader.polling import holds_within


def wait_scrubbed(module, flag):
    Path(flag).write_text("ready")  # the sandbox has scrubbed its keys before it runs this
    time.sleep(30)


def regions(pid):
    with open(f"/proc/{{pid}}/maps") as f:
        for line in f:
            span, perms = line.split()[:2]
            if perms.startswith("r"):
                start, end = (int(x, 16) for x in span.split("-"))
                yield start, end


def test_the_key_of_the_test_is_not_in_the_sandbox(student, tmp_path):
    flag = tmp_path / "flag"
    running = student.start_scenario(wait_scrubbed, str(flag))
    assert holds_within(flag.exists, 10.0), "the sandbox never started"
    # Copies made only now, after the fork: the sandbox cannot have them from us.
    keys = [bytes(k) for k in secret._LIVE if any(k)]
    assert len(keys) == 1, "the test process holds its report key"
    found = []
    with open(f"/proc/{{running.pid}}/mem", "rb", buffering=0) as mem:
        for start, end in regions(running.pid):
            try:
                data = os.pread(mem.fileno(), end - start, start)
            except OSError:
                continue
            for form in (keys[0], keys[0].hex().encode()):
                if form in data:
                    found.append(hex(start))
    running.stop()
    assert not found, f"the test's key is readable in the sandbox at {{found}}"
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="reads another process's memory: root only")
def test_no_copy_of_the_report_key_reaches_a_sandbox(grade, fixture_repo: Path) -> None:
    """The key that signs a test's report reaches the test process through the launcher; the
    sandbox forked from it scrubs it, and no other copy (a string, a message) is left there."""
    _exercise(fixture_repo, KEY_SCAN.format())
    run = grade("07_launched", "def nothing():\n    return None\n")
    assert run.statuses() == {"test_the_key_of_the_test_is_not_in_the_sandbox": "passed"}, run.data[
        "exercises"
    ][0]["tests"][0]


def test_the_rehearsed_failure_lives_in_a_file_too_small_to_cost_its_parse() -> None:
    """A failing test's report parses the whole file of the failing function (pytest finds
    the failed statement in its syntax tree); in grader/plugin.py that was 85 of the 90 ms
    every session's rehearsal took (3.13)."""
    for body in (rehearsed.passes, rehearsed.fails):
        assert body.__code__.co_filename == rehearsed.__file__
    with open(rehearsed.__file__, encoding="utf-8") as source:
        assert len(source.readlines()) <= 40, "keep grader/rehearsed.py to the two bodies"
