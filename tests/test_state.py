"""The local progress file survives concurrent graders and damage."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from grader.results import ExerciseResult, TestResult
from grader.state import State


def _record(root: Path, index: int) -> None:
    module = root / f"m{index}.py"
    module.write_text(f"# {index}\n")
    state = State(root)
    state.record(module, ExerciseResult(f"{index:02d}_x", (TestResult("test_a", "passed", 1.0),)))
    state.next_hint(f"{index:02d}_x", 3)
    state.save()


def test_concurrent_saves_lose_nothing(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_record, args=(tmp_path, i)) for i in range(12)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * 12
    state = State(tmp_path)
    for i in range(12):
        last = state.last(tmp_path / f"m{i}.py")
        assert last is not None and last["status"] == "passed"
        assert state.data["hints"][f"{i:02d}_x"] == 1


def test_a_changed_file_has_no_last_result(tmp_path: Path) -> None:
    _record(tmp_path, 0)
    (tmp_path / "m0.py").write_text("# edited\n")
    assert State(tmp_path).last(tmp_path / "m0.py") is None


def test_a_damaged_file_is_set_aside(tmp_path: Path) -> None:
    state_file = tmp_path / ".grader" / "state.json"
    state_file.parent.mkdir()
    state_file.write_text("{not json")
    state = State(tmp_path)
    assert state.data == {"results": {}, "hints": {}, "passed": {}}
    assert (tmp_path / ".grader" / "state.json.broken").read_text() == "{not json"
    _record(tmp_path, 1)
    assert State(tmp_path).last(tmp_path / "m1.py") is not None


def test_forget_clears_a_result_and_its_hints_but_not_that_it_once_passed(tmp_path: Path) -> None:
    _record(tmp_path, 0)
    state = State(tmp_path)
    assert state.ever_passed(tmp_path / "m0.py")
    state.forget(tmp_path / "m0.py", "00_x")
    state.save()
    again = State(tmp_path)
    assert again.latest(tmp_path / "m0.py") is None and "00_x" not in again.data["hints"]
    assert again.ever_passed(tmp_path / "m0.py"), "the solution stays unlocked"
