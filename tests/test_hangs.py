"""A hang is explained quickly: where the student's code was, and (in `check`) one deadline.

End to end on the fixture `06_hang` (timeout 3 s: each call may take 2 s), whose spec calls
bump() in four tests and one other function in each other test; the student modules here
loop in pure Python, sleep, wait on an Event, spin in a thread, hold the GIL in C code, block
every signal, or pause. Statuses and messages are asserted; how long a check takes is
measured by benchmarks/hang.py, not here.
"""

from __future__ import annotations

import json
import signal
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, leftovers

from grader import hangs, stackdump
from grader.cli import main
from grader.stackdump import Frame, Stack, ThreadStack

HANGING = """\
import collections
import itertools
import signal
import threading
import time


def _step(n):
    while True:  # LOOP
        n += 1


def bump(n):
    return _step(n)  # BUMP


def wait_here():
    threading.Event().wait()  # EVENT


def sleepy():
    time.sleep(60)  # SLEEP


def c_loop():
    collections.deque(itertools.count(), maxlen=0)


def _spin():
    x = 0
    while True:  # SPIN
        x += 1


def spinner():
    worker = threading.Thread(target=_spin, name="spinner", daemon=True)
    worker.start()
    worker.join()  # JOIN


def masked():
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    time.sleep(60)


def pauses():
    signal.pause()  # PAUSE
    return "woke"


def ready():
    return "ready"


def _wait_longer():
    threading.Event().wait()  # THERE


def wait_there():
    _wait_longer()


def settle():
    while True:  # SETTLE
        pass
"""

BUMP_HANGS = """\
def bump(n):
    while True:  # LOOP
        n += 1


def wait_here():
    return "here"


def sleepy():
    return "awake"


def c_loop():
    return "done"


def spinner():
    return "joined"


def masked():
    return "unmasked"


def pauses():
    return "woke"


def ready():
    return "ready"


def wait_there():
    return "there"


def settle():
    return "settled"
"""

BUMPS = ("test_bump_one", "test_bump_two", "test_bump_ten", "test_bump_negative")
BUMPING = (*BUMPS, "test_scenario_bumps", "test_started_bump")  # every test that calls bump()
MODULE = "06_hang/hang.py"


def line_of(source: str, marker: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if f"# {marker}" in line)


def shows(message: str, source: str, marker: str, function: str) -> bool:
    line = line_of(source, marker)
    text = source.splitlines()[line - 1].strip()
    return f"{MODULE}:{line} in {function}\n" in message and f"    {text}" in message


@pytest.fixture
def run_grader(fixture_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """run_grader(verb, source, *options) -> Run, for `check 06_hang` or `grade --exercise 06`."""

    def run(verb: str, source: str, *options: str) -> Run:
        mark = f"GRADER_SELFTEST_{uuid.uuid4().hex}"
        monkeypatch.setenv("GRADER_SELFTEST_MARK", mark)
        folder = tmp_path / "target" / "06_hang"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "hang.py").write_text(source, encoding="utf-8")
        out = tmp_path / f"{verb}.json"
        which = ["check", "06_hang"] if verb == "check" else ["grade", "--exercise", "06_hang"]
        argv = ["--root", str(fixture_repo), *options, *which]
        code = main([*argv, "--target", str(tmp_path / "target"), "--json", str(out)])
        output = capsys.readouterr().out
        assert not leftovers(mark), "processes left behind"
        return Run(code, 0.0, json.loads(out.read_text()), output)

    return run


def test_check_shows_where_each_hang_was_and_pays_for_bump_once(run_grader) -> None:
    run = run_grader("check", HANGING)
    statuses = run.statuses()
    assert run.code == 1
    assert statuses["test_bump_one"] == "timeout"
    first = run.test("test_bump_one")["message"]
    assert first.startswith("bump() did not return in time\n"), first
    assert "Where your code was when the deadline passed (most recent call last):" in first
    assert shows(first, HANGING, "BUMP", "bump") and shows(first, HANGING, "LOOP", "_step")
    assert first.index("in bump") < first.index("in _step"), "most recent call last"
    assert "main thread" not in first, "one thread: no thread headings"
    for name in BUMPS[1:]:  # not made to wait their own deadline again
        assert statuses[name] == "skipped", name
        message = run.test(name)["message"]
        assert "not run: bump() did not return in time in test_bump_one" in message
        assert "Fix the hang in bump() first" in message
        assert run.test(name)["score"] == 0
    # A spec that words the timeout itself still gets the stack under its words.
    assert statuses["test_own_words"] == "failed"
    own = run.test("test_own_words")["message"]
    assert own.startswith("wait_here() never came back (the spec's own words)\n"), own
    assert shows(own, HANGING, "EVENT", "wait_here")
    # Blocked in C (time.sleep, signal.pause): the handler runs when the call is interrupted.
    assert shows(run.test("test_sleepy")["message"], HANGING, "SLEEP", "sleepy")
    paused = run.test("test_pauses")
    assert paused["status"] == "timeout", "a result sent after the deadline is not read"
    assert shows(paused["message"], HANGING, "PAUSE", "pauses")
    # Every thread that is in the student's module: the main one in join, the worker spinning.
    spun = run.test("test_spinner")["message"]
    assert "  main thread:\n" in spun and "  thread spinner:\n" in spun, spun
    assert shows(spun, HANGING, "JOIN", "spinner") and shows(spun, HANGING, "SPIN", "_spin")
    assert spun.index("main thread:") < spun.index("thread spinner:")
    # C code holding the GIL, or the signal blocked: no answer, killed at the deadline anyway.
    assert statuses["test_c_loop"] == statuses["test_masked"] == "timeout"
    assert run.test("test_c_loop")["message"] == "c_loop() did not return in time"
    assert run.test("test_masked")["message"] == "masked() did not return in time"
    # A hung scenario is put on the function it had entered (not the deepest one, not the
    # scenario's own frame); the same scenario told to call it is not run again.
    assert statuses["test_scenario_waits"] == "timeout"
    assert shows(run.test("test_scenario_waits")["message"], HANGING, "THERE", "_wait_longer")
    assert statuses["test_scenario_waits_again"] == "skipped"
    assert run.test("test_scenario_waits_again")["message"].startswith(
        "not run: wait_there() in a scenario did not return in time in test_scenario_waits, "
        "and this test calls wait_there() too. Fix the hang in wait_there() first"
    )
    assert statuses["test_scenario_other_function"] == "passed"
    # A scenario told to call a function that hung when called directly, or a start of it:
    # not run either.
    for name in ("test_scenario_bumps", "test_started_bump"):
        assert statuses[name] == "skipped"
        assert "Fix the hang in bump() first" in run.test(name)["message"]
    # A started run the spec gave up on with time_out(): the stack under the spec's words, and
    # a scenario that calls the same function in its code is not run.
    assert statuses["test_started_settle_gives_up"] == "failed"
    gave_up = run.test("test_started_settle_gives_up")["message"]
    assert gave_up.startswith("settle() did not finish in 1.5 s\n"), gave_up
    assert shows(gave_up, HANGING, "SETTLE", "settle")
    assert statuses["test_scenario_calls_settle"] == "skipped"
    assert "Fix the hang in settle() first" in run.test("test_scenario_calls_settle")["message"]
    assert "- not run" in run.output and "test_bump_two" in run.output


def test_grade_still_runs_every_test(run_grader) -> None:
    run = run_grader("grade", BUMP_HANGS)
    statuses = run.statuses()
    for name in BUMPING[:-1]:
        assert statuses[name] == "timeout", name
        assert shows(run.test(name)["message"], BUMP_HANGS, "LOOP", "bump"), name
    assert statuses["test_started_bump"] == "failed", "the spec's own wait gave up"
    assert run.test("test_started_bump")["message"].startswith("bump(5) did not finish")
    assert {statuses[name] for name in statuses if name not in BUMPING} == {"passed"}
    assert "skipped" not in statuses.values()


def test_check_in_chinese(run_grader) -> None:
    run = run_grader("check", BUMP_HANGS, "--lang", "zh")
    statuses = run.statuses()
    assert statuses["test_bump_one"] == "timeout"
    first = run.test("test_bump_one")["message"]
    assert first.startswith(
        "bump() 没有在限时内返回\n到达时限时，你的代码正停在这里（最近的调用在最后）："
    )
    assert shows(first, BUMP_HANGS, "LOOP", "bump")
    for name in BUMPING[1:]:
        assert statuses[name] == "skipped"
        assert run.test(name)["message"].startswith(
            "未运行：bump() 在 test_bump_one 中没有在限时内返回，这个测试也要调用 bump()。"
            "请先解决 bump() 卡住不返回的问题"
        )
    assert {statuses[name] for name in statuses if name not in BUMPING} == {"passed"}
    assert "未运行" in run.output


# -- the parts, without processes -------------------------------------------------------------


def _frame(line: int, function: str, source: str = "pass") -> Frame:
    return Frame("06_hang/hang.py", line, function, source)


def test_a_stack_reads_like_a_traceback_in_both_languages() -> None:
    one = Stack((ThreadStack("MainThread", True, (_frame(3, "bump"), _frame(9, "_step"))),))
    assert one.describe() == (
        "Where your code was when the deadline passed (most recent call last):\n"
        "  06_hang/hang.py:3 in bump\n      pass\n"
        "  06_hang/hang.py:9 in _step\n      pass"
    )
    assert one.describe("zh").startswith("到达时限时，你的代码正停在这里（最近的调用在最后）：\n")
    many = Stack(
        (
            ThreadStack("MainThread", True, (_frame(5, "main", ""),)),
            ThreadStack("worker-1", False, (_frame(7, "work"),), more=4),
        ),
        more_threads=2,
    )
    text = many.describe()
    assert "  main thread:\n    06_hang/hang.py:5 in main\n  thread worker-1:\n" in text
    assert "    ... (4 earlier calls left out)\n" in text
    assert text.endswith("  ... (2 more threads were in your code)")
    zh = many.describe("zh")
    assert "  主线程：\n" in zh and "  线程 worker-1：\n" in zh and "（更早的 4 层调用从略）" in zh
    assert zh.endswith("（另有 2 个线程也在你的代码里）")
    assert many.entry() == "main"
    cut = Stack((ThreadStack("MainThread", True, (_frame(5, "deep"),), more=1),))
    assert cut.entry() is None, "the outermost frame was left out"
    assert Stack((ThreadStack("w", False, (_frame(5, "work"),)),)).entry() is None


def _dump(threads: list[object], more: object = 0) -> bytes:
    return json.dumps({"threads": threads, "more_threads": more}).encode()


def test_a_dump_is_only_shown_text_checked_and_cleaned() -> None:
    good = {"name": "\x1b[2Jevil", "main": True, "frames": [[3, "bump", "x\x07 = 1"]], "more": 0}
    stack = stackdump.parse(_dump([good]), "shown/path.py")
    assert stack is not None
    assert stack.threads[0].name == "?[2Jevil", "no escape sequence reaches a terminal"
    assert stack.threads[0].frames == (Frame("shown/path.py", 3, "bump", "x? = 1"),)
    long = {**good, "frames": [[1, "f" * 5000, "y" * 5000]] * 50}
    cut = stackdump.parse(_dump([long] * 50), "p.py")
    assert cut is not None and len(cut.threads) == stackdump.MAX_THREADS
    assert len(cut.threads[0].frames) == stackdump.MAX_FRAMES
    assert len(cut.threads[0].frames[0].function) == stackdump.TEXT_LIMIT
    bad = [
        b"not json",
        b"\xff\xfe",
        _dump([]),  # nothing to show
        _dump([{**good, "frames": [["3", "bump", ""]]}]),
        _dump([{**good, "frames": [[-1, "bump", ""]]}]),
        _dump([{**good, "frames": [[True, "bump", ""]]}]),
        _dump([{**good, "name": 7}]),
        _dump([good], more=-2),
        json.dumps([good]).encode(),
    ]
    for payload in bad:
        assert stackdump.parse(payload, "p.py") is None, payload
    forged_main = stackdump.parse(_dump([{**good, "main": "yes"}]), "p.py")
    assert forged_main is not None and forged_main.threads[0].main is False


def _parked(ready: threading.Event, release: threading.Event) -> None:
    ready.set()
    release.wait()  # PARKED


def test_a_snapshot_keeps_only_the_frames_of_one_file() -> None:
    ready, release = threading.Event(), threading.Event()
    worker = threading.Thread(target=_parked, args=(ready, release), name="parked")
    worker.start()
    try:
        assert ready.wait(10)
        data = stackdump.snapshot({__file__})
    finally:
        release.set()
        worker.join()
    names = [t["name"] for t in data["threads"]]
    assert names[0] == threading.main_thread().name and "parked" in names
    parked = data["threads"][names.index("parked")]
    line = line_of(Path(__file__).read_text(), "PARKED")
    assert parked["frames"] == [[line, "_parked", "release.wait()  # PARKED"]]
    mine = data["threads"][0]["frames"]
    assert mine[-1][1] == "test_a_snapshot_keeps_only_the_frames_of_one_file"


SLOW = ["slow", "slow()", "slow"]
BUMP = ["bump", "bump(1)", "bump"]


def _report(nodeid: str, outcome: str, hung: list[list[str]] | None = None) -> pytest.TestReport:
    props = [(hangs.HUNG_KEY, hung)] if hung is not None else []
    return pytest.TestReport(nodeid, ("f.py", 0, nodeid), {}, outcome, None, "call", [], 0.0,
                             user_properties=props)  # fmt: skip


def test_only_a_test_that_did_not_pass_teaches_the_memory() -> None:
    memory = hangs.Memory()

    def finish(nodeid: str, *reports: pytest.TestReport) -> None:
        for report in reports:
            memory.pytest_runtest_logreport(report)
        memory.pytest_runtest_logfinish(nodeid)

    finish("f.py::test_expects_it", _report("f.py::test_expects_it", "passed", [SLOW]))
    assert memory.known() == {}, "a spec that expects a timeout and passes"
    finish(
        "f.py::test_a", _report("f.py::test_a", "failed"), _report("f.py::test_a", "passed", [BUMP])
    )
    assert memory.known() == {"bump": hangs.Hang("bump", "bump(1)", "bump", "test_a")}
    finish("f.py::test_b", _report("f.py::test_b", "failed", [["bump", "bump(2)", "bump"]]))
    assert memory.known()["bump"].test == "test_a", "the first hang is the one to fix"
    finish(
        "f.py::test_c",
        _report("f.py::test_c", "failed", [["bad"], [1, 2, 3], list("abcd")]),
    )
    assert set(memory.known()) == {"bump"}, "malformed entries are ignored"


def test_the_same_call_is_the_same_function_or_the_same_scenario() -> None:
    assert hangs.key_of("bump", None, (1,)) == hangs.key_of("bump", None, (2,)) == "bump"
    key = hangs.key_of(None, _parked, ("wait", [1, 2], 3), {"mode": "fast", "n": 2})
    assert key == f"scenario {__name__}._parked wait mode=fast"
    unnamed = hangs.Hang(key, "a scenario", "", "test_x")  # the sandbox did not say where
    bump = hangs.Hang("bump", "bump(1)", "bump", "test_a")
    known = {key: unnamed, "bump": bump}
    assert hangs.find(known, "bump", None, (7,)) == bump
    assert hangs.find(known, None, _parked, ("wait", [9], 3), {"mode": "fast"}) == unnamed
    assert hangs.find(known, None, _parked, ("ready", [9], 3), {"mode": "fast"}) is None
    assert hangs.find(known, None, _frame, ("bump", 3)) == bump, "a scenario told to call it"
    assert hangs.find(known, None, _frame, (), {"function": "bump"}) == bump
    assert hangs.find(known, "ready", None) is None

    def calls_bump_in_its_code(module: Any) -> object:
        return [module.ready(), (lambda: module.bump(1))()]  # nested code counts too

    assert hangs.names_used(calls_bump_in_its_code) >= {"ready", "bump"}
    assert hangs.find(known, None, calls_bump_in_its_code) == bump
    assert hangs.find(known, None, lambda module: module.ready()) is None
    inside = hangs.Hang("scenario x", "parallel_map(f, [1], 2)", "parallel_map", "test_y")
    assert hangs.find({"scenario x": inside}, "parallel_map", None) == inside
    message = hangs.skip_message(inside)
    assert message.en.startswith(
        "not run: parallel_map(f, [1], 2) did not return in time in test_y, and this test "
        "calls parallel_map() too. Fix the hang in parallel_map() first"
    )
    assert message.zh is not None and "请先解决 parallel_map() 卡住不返回的问题" in message.zh
    other = hangs.skip_message(unnamed)
    assert "this test runs it again. Fix that hang first" in other.en
    assert other.zh is not None and "请先解决那里卡住不返回的问题" in other.zh


def test_the_fixture_passes_its_solution_and_its_stub_is_todo(grade) -> None:
    assert set(grade("06_hang", target="solutions").statuses().values()) == {"passed"}
    assert set(grade("06_hang", target="exercises").statuses().values()) == {"todo"}


def test_the_wait_for_a_stack_fits_before_the_soft_limit() -> None:
    """The judge waits up to DUMP_WAIT for the stack, less when the test's soft limit is near."""
    from grader.sandbox import DUMP_RESERVE, DUMP_WAIT, dump_wait

    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    armed = signal.getitimer(signal.ITIMER_REAL)  # pytest-timeout's own, given back after
    try:
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert dump_wait() == DUMP_WAIT, "no soft limit: the whole wait"
        assert dump_wait(0.2) == pytest.approx(0.2), "no soft limit: what the caller gives"
        assert dump_wait(60) == DUMP_WAIT, "never more than DUMP_WAIT"
        signal.setitimer(signal.ITIMER_REAL, 100)
        assert dump_wait(0.2) == DUMP_WAIT, "a far soft limit: the whole wait"
        signal.setitimer(signal.ITIMER_REAL, 0.9)
        assert 0.6 < dump_wait() <= 0.9 - DUMP_RESERVE, "a near one: what it leaves"
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        assert dump_wait() == 0.05, "past the reserve: still a short question"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if armed[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *armed)
