"""`grader verify`: prove that each spec is strong.

For every exercise:

* each spec test fails on the stub (status todo);
* each passes on the reference solution, and on every alternative solution in
  ``tests/alternatives/NN_slug/*.py`` (correct code written another way: a complete module),
  in every one of K runs;
* each mutant in ``tests/mutants/NN_slug/`` (a known-wrong implementation) fails, in every
  run, every test its docstring names (``test_...``; only those tests are run for it);
* no test passes on a *null submission*, the stub with every function raising, returning
  None, calling ``sys.exit(0)`` or ``os._exit(0)`` (:mod:`grader.nulls`): a test that does is
  VACUOUS — it pays for doing nothing;
* every ``README: '...'`` reference in the spec's messages names a heading that exists
  (:mod:`grader.readme_refs`);
* every ``check()`` / ``fail()`` message has a Chinese text (:mod:`grader.bilingual`); bare
  ``assert`` messages, English only, are counted in the summary.

With ``load`` > 0, that many CPU-bound processes run beside the specs for the whole run
(:mod:`grader.load`).

A mutant file holds only what it breaks: it is appended to the reference solution, so its
definitions replace the solution's (and it must not contain ``from __future__`` imports).
"""

from __future__ import annotations

import ast
import difflib
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader import bilingual, catalog, nulls, readme_refs
from grader.catalog import Exercise
from grader.load import busy_load
from grader.results import ExerciseResult, TestResult
from grader.session import Target, run_exercise

TEST_NAME = re.compile(r"\btest_\w+")
KINDS = ("mutants", "alternatives")  # folders under tests/, one subfolder per exercise


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
    # Each test that failed a run of the solution or an alternative, whole (message, output):
    # a rare failure, seen once in a CI log, must say enough to be found again.
    failures: list[tuple[str, TestResult]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "exercise": self.exercise.name,
            "ok": self.ok,
            "summary": self.summary,
            "problems": self.problems,
            "failures": [{"run": what, **test.to_json()} for what, test in self.failures],
        }


def layout_problems(root: Path, exercises: list[Exercise]) -> list[str]:
    """What is misplaced under ``tests/mutants/`` and ``tests/alternatives/``.

    Each holds one folder per exercise, named exactly like it, holding only ``.py`` files.
    A misnamed folder would otherwise mean zero mutants, silently.
    """
    names = sorted(ex.name for ex in exercises)
    problems = []
    for kind in KINDS:
        base = root / "tests" / kind
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            shown = f"tests/{kind}/{entry.name}"
            if catalog.is_ignored(entry):
                continue
            if not entry.is_dir():
                problems.append(f"{shown}: only exercise folders belong here ({kind}/NN_slug/)")
            elif entry.name not in names:
                close = difflib.get_close_matches(entry.name, names, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]}?" if close else ""
                problems.append(f"{shown}: names no exercise{hint}")
            else:
                for item in sorted(entry.iterdir()):
                    if catalog.is_ignored(item):
                        continue
                    if not (item.is_file() and item.suffix == ".py"):
                        problems.append(
                            f"{shown}/{item.name}: not a .py file (each of {kind} is one module)"
                        )
    return problems


def load_mutants(root: Path, exercise: Exercise) -> tuple[list[Mutant], list[str]]:
    """The mutants of an exercise, and problems (a mutant that does not parse)."""
    mutants, problems = [], []
    for path in _modules(root, "mutants", exercise):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (SyntaxError, ValueError) as exc:
            problems.append(f"mutant {path.stem}: does not parse: {exc}")
            continue
        doc = ast.get_docstring(tree) or ""
        mutants.append(Mutant(path, tuple(dict.fromkeys(TEST_NAME.findall(doc)))))
    return mutants, problems


def load_alternatives(root: Path, exercise: Exercise) -> list[Path]:
    """The alternative solutions of an exercise: complete modules, graded as they are."""
    return _modules(root, "alternatives", exercise)


def _modules(root: Path, kind: str, exercise: Exercise) -> list[Path]:
    folder = root / "tests" / kind / exercise.name
    return sorted(p for p in folder.glob("*.py") if p.is_file()) if folder.is_dir() else []


def mutant_source(root: Path, exercise: Exercise, mutant: Path) -> str:
    """The reference solution with the mutant's definitions appended (they win)."""
    solution = (root / "solutions" / exercise.name / exercise.module_file).read_text(
        encoding="utf-8"
    )
    return f"{solution}\n\n# ---- mutant {mutant.name} ----\n{mutant.read_text(encoding='utf-8')}"


def run_source(exercise: Exercise, source: str, only: Sequence[str] = ()) -> ExerciseResult:
    """Grade ``exercise`` against ``source``, laid out as a submission in a temporary folder
    (``only``: the tests to run, default all)."""
    folder = Path(tempfile.mkdtemp(prefix="grader-verify-"))
    try:
        (folder / exercise.name).mkdir()
        module = folder / exercise.name / exercise.module_file
        module.write_text(source, encoding="utf-8")
        return run_exercise(exercise, Target(folder, folder), only=only)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_mutant(root: Path, exercise: Exercise, mutant: Mutant) -> ExerciseResult:
    # Only the tests that must catch it: what the others do with a mutant decides nothing, and
    # running them made a mutant cost a whole spec (most of verify's time).
    return run_source(exercise, mutant_source(root, exercise, mutant.path), mutant.must_fail)


def _run_file(exercise: Exercise, path: Path) -> ExerciseResult:
    return run_source(exercise, path.read_text(encoding="utf-8"))


@dataclass
class _Plan:
    """The runs submitted for one exercise, judged once they are done."""

    exercise: Exercise
    problems: list[str]
    stub: Future[ExerciseResult]
    solution: list[Future[ExerciseResult]]
    nulls: list[tuple[nulls.NullKind, Future[ExerciseResult]]]
    alternatives: list[tuple[Path, list[Future[ExerciseResult]]]]
    mutants: list[tuple[Mutant, list[Future[ExerciseResult]]]]


def verify(
    root: Path,
    exercises: list[Exercise],
    repeat: int,
    jobs: int,
    progress: Callable[[Verdict], None] = lambda _: None,
    load: int = 0,
) -> list[Verdict]:
    """Run every check for ``exercises``, ``jobs`` sessions at a time, ``load`` busy processes
    beside them.

    ``progress`` receives each exercise's verdict as soon as it is complete, in order.
    """
    with busy_load(load):
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            plans = [_submit(pool, root, ex, repeat) for ex in exercises]
            verdicts = []
            for plan in plans:
                verdict = _judge(plan, load)
                progress(verdict)
                verdicts.append(verdict)
            return verdicts
        finally:  # on Ctrl-C, drop the sessions not started yet instead of running them all
            pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ThreadPoolExecutor, root: Path, ex: Exercise, repeat: int) -> _Plan:
    stub_run = pool.submit(run_exercise, ex, Target(root / "exercises", root))
    solution = Target(root / "solutions", root)
    problems: list[str] = []
    mutants, mutant_problems = load_mutants(root, ex)
    problems.extend(mutant_problems)
    stub_source = (ex.folder / ex.module_file).read_text(encoding="utf-8")
    null_runs = []
    for kind in nulls.KINDS:
        try:
            source = nulls.null_source(stub_source, kind, ex.module_file)
        except (SyntaxError, ValueError) as exc:
            problems.append(f"null submissions: cannot be made from the stub: {exc}")
            break
        null_runs.append((kind, pool.submit(run_source, ex, source)))
    return _Plan(
        exercise=ex,
        problems=problems,
        stub=stub_run,
        solution=[pool.submit(run_exercise, ex, solution) for _ in range(repeat)],
        nulls=null_runs,
        alternatives=[
            (path, [pool.submit(_run_file, ex, path) for _ in range(repeat)])
            for path in load_alternatives(root, ex)
        ],
        mutants=[
            (m, [pool.submit(_run_mutant, root, ex, m) for _ in range(repeat) if m.must_fail])
            for m in mutants
        ],
    )


def _judge(plan: _Plan, load: int) -> Verdict:
    verdict = Verdict(plan.exercise, problems=list(plan.problems))
    stub = plan.stub.result()
    seen = [stub]
    _judge_stub(verdict, stub)
    null_results = [(kind, future.result()) for kind, future in plan.nulls]
    seen.extend(result for _, result in null_results)
    _judge_nulls(verdict, null_results)
    solution = [f.result() for f in plan.solution]
    _judge_passing(verdict, "solution", solution, load)
    for path, futures in plan.alternatives:
        runs = [f.result() for f in futures]
        _judge_passing(verdict, f"alternative {path.stem}", runs, load)
    for mutant, futures in plan.mutants:
        runs = [f.result() for f in futures]
        seen.extend(runs)
        _judge_mutant(verdict, mutant, runs, stub)
    messages = [(t.name, t.message) for result in seen for t in result.tests if t.message]
    checked, missing = readme_refs.check(plan.exercise, messages)
    verdict.problems.extend(missing)
    verdict.summary.append(f"README references: {checked - len(missing)}/{checked} name a heading")
    chinese = bilingual.coverage(plan.exercise)
    verdict.problems.extend(f"message without Chinese: {m}" for m in chinese.missing)
    verdict.summary.append(
        f"messages in Chinese: {chinese.calls - len(chinese.missing)}/{chinese.calls} "
        f"check()/fail() calls"
        + (
            f"; {chinese.english_asserts} bare assert(s) in English only"
            if chinese.english_asserts
            else ""
        )
    )
    return verdict


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


def _judge_nulls(verdict: Verdict, runs: list[tuple[nulls.NullKind, ExerciseResult]]) -> None:
    """Every test must not pass on any null submission; one that does is VACUOUS."""
    vacuous: dict[str, list[str]] = {}
    for kind, result in runs:
        if not result.tests:
            first_line = (result.error or "no test ran").splitlines()[0]
            verdict.problems.append(f"null submission {kind.name}: session failed: {first_line}")
        for test in result.tests:
            if test.status == "passed":
                vacuous.setdefault(test.name, []).append(kind.what)
    for name, whats in vacuous.items():
        verdict.problems.append(f"VACUOUS {name}: passes when {' / when '.join(whats)}")
    if runs:
        clean = [
            kind.name
            for kind, result in runs
            if result.tests and all(t.status != "passed" for t in result.tests)
        ]
        verdict.summary.append(
            f"null submissions: every test fails on {len(clean)}/{len(runs)} "
            f"({', '.join(clean) or 'none'})"
        )


def _judge_passing(verdict: Verdict, what: str, runs: list[ExerciseResult], load: int) -> None:
    """The solution, or an alternative one, must pass every test in every run."""
    good = 0
    for index, result in enumerate(runs, 1):
        bad = [t for t in result.tests if t.status != "passed"]
        if result.error or not result.tests:
            first_line = (result.error or "no tests").splitlines()[0]
            verdict.problems.append(f"{what} run {index}: {first_line}")
        elif bad:
            for t in bad:
                first_line = t.message.splitlines()[0] if t.message else ""
                verdict.problems.append(f"{what} run {index}: {t.name} {t.status}: {first_line}")
                verdict.failures.append((f"{what} run {index}", t))
        else:
            good += 1
    slowest = max((sum(t.duration_s for t in r.tests) for r in runs), default=0.0)
    beside = f", {load} busy process(es) beside" if load else ""
    verdict.summary.append(
        f"{what}: {good}/{len(runs)} runs all passed (the slowest run's tests took "
        f"{slowest:.2f} s together{beside})"
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
