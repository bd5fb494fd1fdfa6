"""`grader verify`: prove that each spec is strong.

For every exercise: each spec test fails on the stub; each passes on the reference solution
in every one of K runs; and each mutant in ``tests/mutants/NN_slug/`` (a known-wrong
implementation) fails, in every run, every test its docstring names (``test_...``).

A mutant file holds only what it breaks: it is appended to the reference solution, so its
definitions replace the solution's (and it must not contain ``from __future__`` imports).
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalog import Exercise
from grader.results import ExerciseResult
from grader.session import Target, run_exercise

TEST_NAME = re.compile(r"\btest_\w+")


@dataclass(frozen=True)
class Mutant:
    path: Path
    must_fail: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass
class Verdict:
    exercise: Exercise
    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_mutants(root: Path, exercise: Exercise) -> list[Mutant]:
    """The mutants of an exercise; a mutant that names no test is reported, not skipped."""
    folder = root / "tests" / "mutants" / exercise.name
    mutants = []
    for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), str(path))) or ""
        mutants.append(Mutant(path, tuple(dict.fromkeys(TEST_NAME.findall(doc)))))
    return mutants


def mutant_source(root: Path, exercise: Exercise, mutant: Path) -> str:
    """The reference solution with the mutant's definitions appended (they win)."""
    solution = (root / "solutions" / exercise.name / exercise.module_file).read_text(
        encoding="utf-8"
    )
    return f"{solution}\n\n# ---- mutant {mutant.name} ----\n{mutant.read_text(encoding='utf-8')}"


def _run_mutant(root: Path, exercise: Exercise, mutant: Path) -> ExerciseResult:
    """Grade ``exercise`` against one mutant, laid out as a submission in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="grader-mutant-"))
    try:
        (folder / exercise.name).mkdir()
        module = folder / exercise.name / exercise.module_file
        module.write_text(mutant_source(root, exercise, mutant), encoding="utf-8")
        return run_exercise(exercise, Target(folder, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def verify(
    root: Path,
    exercises: list[Exercise],
    repeat: int,
    jobs: int,
    progress: Callable[[Verdict], None] = lambda _: None,
) -> list[Verdict]:
    """Run every check for ``exercises``, ``jobs`` sessions at a time.

    ``progress`` receives each exercise's verdict as soon as it is complete, in order.
    """
    stub = Target(root / "exercises", root)
    solution = Target(root / "solutions", root)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        plan = []
        for ex in exercises:
            mutants = load_mutants(root, ex)
            stub_run = pool.submit(run_exercise, ex, stub)
            solution_runs = [pool.submit(run_exercise, ex, solution) for _ in range(repeat)]
            mutant_runs = [
                (m, [pool.submit(_run_mutant, root, ex, m.path) for _ in range(repeat)])
                for m in mutants
            ]
            plan.append((ex, stub_run, solution_runs, mutant_runs))
        verdicts = []
        for ex, stub_run, solution_runs, mutant_runs in plan:
            verdict = Verdict(ex)
            _judge_stub(verdict, stub_run.result())
            _judge_solution(verdict, [f.result() for f in solution_runs])
            for mutant, futures in mutant_runs:
                _judge_mutant(verdict, mutant, [f.result() for f in futures], stub_run.result())
            progress(verdict)
            verdicts.append(verdict)
    return verdicts


def _judge_stub(verdict: Verdict, result: ExerciseResult) -> None:
    if not result.tests:
        verdict.problems.append(f"stub: no test ran ({result.error or 'nothing collected'})")
        return
    passed = [t.name for t in result.tests if t.status == "passed"]
    if passed:
        verdict.problems.append(f"stub: these tests pass on the stub: {', '.join(passed)}")
    not_todo = [
        f"{t.name} ({t.status})" for t in result.tests if t.status not in ("todo", "passed")
    ]
    counts = f"{sum(t.status == 'todo' for t in result.tests)}/{len(result.tests)} todo"
    verdict.summary.append(
        f"stub: {counts}" + (f"; others: {', '.join(not_todo)}" if not_todo else "")
    )


def _judge_solution(verdict: Verdict, runs: list[ExerciseResult]) -> None:
    good = 0
    for index, result in enumerate(runs, 1):
        bad = [t for t in result.tests if t.status != "passed"]
        if result.error or not result.tests:
            verdict.problems.append(f"solution run {index}: {result.error or 'no tests'}")
        elif bad:
            for t in bad:
                first_line = t.message.splitlines()[0] if t.message else ""
                verdict.problems.append(f"solution run {index}: {t.name} {t.status}: {first_line}")
        else:
            good += 1
    slowest = max((sum(t.duration_s for t in r.tests) for r in runs), default=0.0)
    verdict.summary.append(
        f"solution: {good}/{len(runs)} runs all passed (slowest {slowest:.2f} s of tests)"
    )


def _judge_mutant(
    verdict: Verdict, mutant: Mutant, runs: list[ExerciseResult], stub: ExerciseResult
) -> None:
    known = {t.name.split("[")[0] for t in stub.tests} | {t.name for t in stub.tests}
    if not mutant.must_fail:
        verdict.problems.append(
            f"mutant {mutant.name}: its docstring names no test_... that must catch it"
        )
        return
    unknown = [n for n in mutant.must_fail if n not in known]
    if unknown:
        verdict.problems.append(f"mutant {mutant.name}: names unknown test(s) {', '.join(unknown)}")
        return
    caught = 0
    for index, result in enumerate(runs, 1):
        escaped = [n for n in mutant.must_fail if not _failed(result, n)]
        if result.error and not result.tests:
            first_line = result.error.splitlines()[0]
            verdict.problems.append(
                f"mutant {mutant.name} run {index}: the session failed: {first_line}"
            )
        elif escaped:
            verdict.problems.append(
                f"mutant {mutant.name} run {index}: not caught by {', '.join(escaped)}"
            )
        else:
            caught += 1
    verdict.summary.append(
        f"mutant {mutant.name}: caught {caught}/{len(runs)} by {', '.join(mutant.must_fail)}"
    )


def _failed(result: ExerciseResult, test: str) -> bool:
    """True if ``test`` (or any parametrised instance of it) did not pass."""
    return any(
        t.status != "passed"
        for t in result.tests
        if t.name == test or t.name.startswith(test + "[")
    )
