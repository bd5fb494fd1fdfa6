"""The benchmarks' own machinery: what a comparison of two checkouts runs must be each one's."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from grader import landlock

REPO = Path(__file__).resolve().parent.parent


def _class_batch() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "class_batch", REPO / "benchmarks" / "class_batch.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_a_checkouts_python_imports_its_grader_even_in_isolated_mode(tmp_path: Path) -> None:
    """Sessions start with ``python -I`` (no PYTHONPATH): the venv must still give them the
    checkout's grader, not the one installed where the benchmark runs."""
    other = tmp_path / "other"
    shutil.copytree(REPO / "grader", other / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    python = _class_batch().python_for(other, tmp_path / "venv")
    found = subprocess.run(
        [python, "-I", "-c", "import grader, pytest; print(grader.__file__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(found.stdout.strip()) == other / "grader" / "__init__.py"
    # Why a venv: PYTHONPATH, which the comparison used to set, is ignored under -I.
    plain = subprocess.run(
        [sys.executable, "-I", "-c", "import grader; print(grader.__file__)"],
        env=dict(os.environ, PYTHONPATH=str(other)), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert Path(plain.stdout.strip()) != other / "grader" / "__init__.py"


def test_a_folder_without_a_grader_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="does not import the grader of"):
        _class_batch().python_for(tmp_path / "empty", tmp_path / "venv")


def _record(folder: Path, name: str, exercises: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"student": {"id": name, "error": ""}, "exercises": exercises}
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def test_the_overhead_splits_into_isolation_sessions_and_outside(tmp_path: Path) -> None:
    students = tmp_path / "out" / "students"
    tests = [
        {"name": "test_a", "status": "passed", "spec_s": 4.0, "duration_s": 4.5},
        {"name": "test_b", "status": "passed", "spec_s": 1.0, "duration_s": 1.5},
    ]
    _record(students, "s001", [{"name": "01", "tests": tests, "session_s": 6.5}])
    _record(students, "s002", [{"name": "01", "tests": tests, "session_s": 6.5}])
    sums = _class_batch().time_sums(tmp_path / "out")
    assert (sums.spec, sums.tests, sums.sessions, sums.students) == (10.0, 12.0, 13.0, 2)
    assert sums.split(14.0) == (
        "overhead +40.0% (isolation +20.0%, in sessions +10.0%, outside +10.0%)"
    )
    # Records of a grader without session_s: the sessions' part is all that is not the tests'.
    older = [{"name": "01", "tests": tests}]
    _record(tmp_path / "old" / "students", "s001", older)
    assert _class_batch().time_sums(tmp_path / "old").split(7.0) == (
        "overhead +40.0% (isolation +20.0%, sessions +20.0%)"
    )


def test_a_reference_solution_that_did_not_pass_ends_the_class_benchmark(tmp_path: Path) -> None:
    """The class is reference solutions: a test of theirs that failed is a flipped verdict."""
    students = tmp_path / "out" / "students"
    passed = {"name": "test_a", "status": "passed", "spec_s": 1.0, "duration_s": 1.2}
    _record(students, "s001", [{"name": "12_shared_counter", "tests": [passed]}])
    flipped = {**passed, "name": "test_b", "status": "timeout"}
    _record(students, "s002", [{"name": "12_shared_counter", "tests": [passed, flipped]}])
    with pytest.raises(
        SystemExit, match=r"verdict flipped:\n  s002 12_shared_counter test_b: timeout$"
    ):
        _class_batch().time_sums(tmp_path / "out")


def test_the_class_takes_every_alternative_in_turn(tmp_path: Path) -> None:
    solution = REPO / "solutions" / "12_shared_counter"
    others = sorted((REPO / "tests" / "alternatives" / solution.name).glob("*.py"))
    assert others, "12 has alternatives to take"
    count = 1 + len(others)
    made = _class_batch().make_class(tmp_path, count + 1, [solution], alternatives=True)
    taken = [
        (made / f"s{n:03d}" / solution.name / "shared_counter.py").read_bytes()
        for n in range(1, count + 2)
    ]
    expected = [(solution / "shared_counter.py").read_bytes()]
    expected += [p.read_bytes() for p in others]
    assert taken == [*expected, expected[0]]


def _run_benchmark(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``benchmarks/SCRIPT`` with ``args``, its output captured."""
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _benchmark(script: str, *args: str) -> str:
    """Run ``benchmarks/SCRIPT`` with ``args``; what it printed, once it has succeeded."""
    done = _run_benchmark(script, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_cycle_benchmark_lines_up_the_steps_of_every_test() -> None:
    """Its marks wrap the grader's own functions by name: a renamed one would drop a step."""
    out = _benchmark("cycle.py", "--tests", "6")
    assert "; 6 chains," in out, out
    for step in ("handover sent", "[tp] handover received", "[tp] test run", "report arrived"):
        assert f"  {step}\n" in out, out
    assert "  plain pytest: a test's three phases, logged\n" in out, out


def test_the_call_steps_benchmark_marks_both_sides_of_every_call() -> None:
    """Its marks wrap the grader's own functions by name: a renamed one would drop a step."""
    out = _benchmark("call_steps.py", "--tests", "6")
    assert "; 6 calls," in out, out
    for step in ("[sb] job read", "[sb] module imported", "job taken", "sandbox reaped"):
        assert f"  {step}\n" in out, out


def test_the_protocol_ceiling_counts_every_test_process_of_each_variant() -> None:
    out = _benchmark("protocol_ceiling.py", "--tests", "6", "--rounds", "1")
    for variant in ("protocol", "fewer hooks", "bare"):
        assert f"  {variant} " in out, out


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="reads /proc/self/smaps")
def test_the_dirty_pages_benchmark_reads_every_test_process() -> None:
    out = _benchmark("dirty_pages.py", "--tests", "6")
    assert "6 trivial tests, Python " in out, out
    for kind in ("total", "anon", "[heap]", "libpython", "[stack]", "other"):
        assert f"  {kind:<10} " in out, out


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="reads /proc/self/pagemap")
def test_the_dirty_pages_benchmark_says_what_lives_on_the_copied_pages() -> None:
    if os.geteuid() != 0:
        done = _run_benchmark("dirty_pages.py", "--objects")
        assert done.returncode == 1 and "--objects" in done.stderr and "root" in done.stderr
        return
    out = _benchmark("dirty_pages.py", "--tests", "6", "--objects")
    # The copied pages' objects are read in test 3; the types a test runs are on them.
    assert "test 3: " in out and " pages of the heap's mappings copied; " in out, out
    for kind in ("str", "code", "dict"):
        assert re.search(rf"^  {kind} +\d+ of \d+ \(\d+%\) +\d+$", out, re.MULTILINE), out
    if sys.version_info >= (3, 11):  # a specialising interpreter: test 4 rewrote some bytecode
        assert re.search(r"^test 4: its test changed the bytecode of [1-9]\d* of ", out, re.M), out


@pytest.mark.skipif(not landlock.available(), reason="no Landlock the grader uses here")
def test_the_landlock_benchmark_times_each_version_it_can_use() -> None:
    out = _benchmark("landlock_cost.py", "--forks", "5")
    versions = [landlock.kernel_abi()]
    if landlock.scoped():
        versions.append(landlock.SCOPES_ABI - 1)
    for version in versions:
        line = rf"^ABI {version} \(.*restrict in a fresh fork median \d+ µs"
        assert re.search(line, out, re.MULTILINE), out
