"""The `grader` command: parse arguments and dispatch; the work lives in other modules.

Exit codes: 0 success (check: everything passed), 1 not (tests failed, verify found a weak
spec), 2 bad usage (unknown exercise, missing folder, invalid exercise.toml).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader import catalog, i18n, results
from grader.catalog import CatalogError, Exercise
from grader.grade import Grading, grade
from grader.report import text
from grader.session import Target, run_exercise
from grader.state import State


class UsageProblem(Exception):
    """Bad usage: the message names the argument at fault (exit 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Check multitasking katas for real."
    )
    parser.add_argument(
        "--root", type=Path, help="the repository (default: found from the current folder)"
    )
    parser.add_argument(
        "--lang", choices=["en", "zh"], help="language of messages (default: from the locale)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="every exercise with its state")
    p_list.add_argument(
        "--target", default="exercises", help="exercises (default), solutions, or a folder"
    )
    p_list.add_argument(
        "--run", action="store_true", help="run every spec now instead of showing the last result"
    )

    p_check = sub.add_parser("check", help="run one exercise's spec")
    p_check.add_argument("name", help="12_shared_counter, shared_counter or 12")
    p_check.add_argument(
        "--target", default="exercises", help="exercises (default), solutions, or a folder"
    )
    p_check.add_argument("--json", type=Path, help="write the results as JSON to this file")

    p_hint = sub.add_parser("hint", help="show the next hint for an exercise")
    p_hint.add_argument("name")
    p_hint.add_argument("--all", action="store_true", help="show every hint")

    p_grade = sub.add_parser("grade", help="grade a whole submission with points (for instructors)")
    p_grade.add_argument(
        "--target", default="exercises", help="exercises (default), solutions, or a folder"
    )
    p_grade.add_argument(
        "--exercise", action="append", default=[], metavar="NAME", help="only these (repeatable)"
    )
    p_grade.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="exercises graded at a time"
    )
    p_grade.add_argument(
        "--spec-from", type=Path, help="trusted copy of the repository (or its exercises/)"
    )
    p_grade.add_argument("--json", type=Path, help="native results JSON")
    p_grade.add_argument("--gradescope", type=Path, help="Gradescope results.json")
    p_grade.add_argument(
        "--exercism", type=Path, help="Exercism results.json v3 (exactly one exercise)"
    )
    p_grade.add_argument("--junit", type=Path, help="JUnit XML")
    p_grade.add_argument(
        "--markdown", type=Path, help="Markdown summary (also appended to $GITHUB_STEP_SUMMARY)"
    )
    p_grade.add_argument(
        "--fail-under", type=float, metavar="PERCENT", help="exit 1 below this score"
    )

    p_verify = sub.add_parser(
        "verify", help="prove each spec fails the stub, passes the solution, rejects mutants"
    )
    p_verify.add_argument("names", nargs="*", help="exercises to verify (default: all)")
    p_verify.add_argument(
        "--repeat", type=int, default=1, help="runs of the solution and of each mutant"
    )
    p_verify.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="sessions at a time"
    )
    p_verify.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="K",
        help="run K CPU-bound busy processes beside the specs for the whole run",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 for --help
        return int(exc.code or 0)
    console = Console(highlight=False, soft_wrap=True)
    lang = i18n.detect_lang(args.lang)
    try:
        root = _root(args.root)
        exercises, problems = catalog.scan(root / "exercises")
        if args.command == "list":
            for problem in problems:
                console.print(f"[red]grader: {escape(str(problem))}[/red]")
            return cmd_list(console, root, exercises, args.target, args.run, lang)
        if args.command == "check":
            return cmd_check(
                console, root, _find(exercises, problems, args.name), args.target, args.json, lang
            )
        if args.command == "hint":
            return cmd_hint(console, root, _find(exercises, problems, args.name), args.all, lang)
        if args.command == "grade":
            return cmd_grade(console, root, args)
        if args.command == "verify":
            if problems:  # authors: every exercise must be valid
                for problem in problems:
                    console.print(f"[red]grader: {escape(str(problem))}[/red]")
                return 2
            return cmd_verify(console, root, exercises, args)
    except (CatalogError, UsageProblem) as exc:
        console.print(f"[red]grader: {exc}[/red]")
        return 2
    return 2  # pragma: no cover - argparse rejects unknown commands


def main_entry() -> None:
    sys.exit(main())


def _find(exercises: list[Exercise], problems: list[CatalogError], name: str) -> Exercise:
    """The named exercise; if it is one of the invalid ones, its own error."""
    for problem in problems:
        if problem.folder is not None and catalog.matches(problem.folder.name, name):
            raise problem
    return catalog.find(exercises, name)


def _root(explicit: Path | None) -> Path:
    if explicit is not None:
        if not (explicit / "exercises").is_dir():
            raise UsageProblem(f"--root {explicit}: no exercises/ folder there")
        return explicit.resolve()
    found = catalog.find_root(Path.cwd()) or catalog.find_root(Path(__file__).resolve().parent)
    if found is None:
        raise UsageProblem(
            "no exercises/ folder in this folder or above it: run grader in the repository"
        )
    return found.resolve()


def resolve_target(root: Path, target: str) -> Target:
    """`exercises`, `solutions`, or a folder laid out like exercises/."""
    if target in ("exercises", "solutions"):
        return Target(root / target, root)
    folder = Path(target).resolve()
    if not folder.is_dir():
        raise UsageProblem(f"--target {target}: not a folder (use exercises, solutions, or a path)")
    return Target(folder, Path.cwd())


def cmd_list(
    console: Console, root: Path, exercises: list[Exercise], target_name: str, run: bool, lang: str
) -> int:
    target = resolve_target(root, target_name)
    state = State(root)
    if run:
        grading = grade(exercises, target, os.cpu_count() or 1)
        for ex, result in zip(exercises, grading.results, strict=True):
            state.record(ex.module_in(target.folder), result)
        state.save()
    rows = []
    for ex in exercises:
        module = ex.module_in(target.folder)
        last = state.last(module)
        if last is not None:
            label = {"passed": "passed", "todo": "todo"}.get(str(last["status"]), "failing")
        else:
            label = "todo" if has_unwritten_stub(module) else "not checked"
        rows.append((ex, label))
    text.render_list(console, rows, lang)
    return 0


def has_unwritten_stub(module: Path) -> bool:
    """True if a function in ``module`` is still just ``raise NotImplementedError`` (never run)."""
    try:
        tree = ast.parse(module.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if len(body) == 1 and isinstance(body[0], ast.Raise):
                raised = body[0].exc
                name = raised.func if isinstance(raised, ast.Call) else raised
                if isinstance(name, ast.Name) and name.id == "NotImplementedError":
                    return True
    return False


def cmd_check(
    console: Console,
    root: Path,
    exercise: Exercise,
    target_name: str,
    json_path: Path | None,
    lang: str,
) -> int:
    target = resolve_target(root, target_name)
    module = exercise.module_in(target.folder)
    if not module.is_file():
        raise UsageProblem(f"--target {target_name}: there is no {module}")
    result = run_exercise(exercise, target)
    if json_path is not None:
        write_json(json_path, [result])
    state = State(root)
    state.record(module, result)
    state.save()
    text.render_check(console, exercise, result, lang)
    return 0 if result.status == "passed" else 1


def write_json(path: Path, exercise_results: list[results.ExerciseResult]) -> None:
    try:
        path.write_text(_dump(results.document(exercise_results)), encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"--json {path}: cannot write: {exc.strerror}") from None


def cmd_hint(console: Console, root: Path, exercise: Exercise, show_all: bool, lang: str) -> int:
    hints = exercise.hints
    if show_all:
        for number, hint in enumerate(hints, 1):
            console.print(
                f"[bold]{i18n.word('hint', lang)} {number}/{len(hints)}[/bold]: {hint.get(lang)}"
            )
        return 0
    state = State(root)
    index = state.next_hint(exercise.name, len(hints))
    state.save()
    console.print(
        f"[bold]{i18n.word('hint', lang)} {index + 1}/{len(hints)}[/bold]: {hints[index].get(lang)}"
    )
    if index == len(hints) - 1:
        console.print(f"[dim]{i18n.word('last_hint', lang)}[/dim]")
    return 0


def cmd_verify(
    console: Console, root: Path, exercises: list[Exercise], args: argparse.Namespace
) -> int:
    from grader.load import max_load
    from grader.verify import Verdict, layout_problems, verify

    if args.repeat < 1:
        raise UsageProblem("--repeat must be at least 1")
    if args.jobs < 1:
        raise UsageProblem("--jobs must be at least 1")
    if not 0 <= args.load <= max_load():
        raise UsageProblem(f"--load must be between 0 and {max_load()} on this machine")
    chosen = [catalog.find(exercises, n) for n in args.names] if args.names else exercises
    layout = layout_problems(root, exercises)
    for problem in layout:
        console.print(f"[red]error: {escape(problem)}[/red]")
    if args.load:
        console.print(f"load: {args.load} CPU-bound busy process(es) run beside the specs")

    def show(verdict: Verdict) -> None:
        mark = "[green]ok[/green]" if verdict.ok else "[red]WEAK[/red]"
        console.print(f"{mark} {verdict.exercise.name}")
        for line in verdict.summary:
            console.print(f"    {escape(line)}")
        for problem in verdict.problems:
            console.print(f"    [red]{escape(problem)}[/red]")

    verdicts = verify(root, chosen, args.repeat, args.jobs, progress=show, load=args.load)
    good = sum(v.ok for v in verdicts)
    console.print(f"{good} passed, {len(verdicts) - good} failed")
    if layout:
        console.print(f"[red]{len(layout)} error(s) in tests/mutants or tests/alternatives[/red]")
    return 0 if good == len(verdicts) and not layout else 1


def cmd_grade(console: Console, root: Path, args: argparse.Namespace) -> int:
    from grader import grade as grading_mod
    from grader.report import markdown

    if args.jobs < 1:
        raise UsageProblem("--jobs must be at least 1")
    if args.fail_under is not None and not 0 <= args.fail_under <= 100:
        raise UsageProblem("--fail-under must be a percentage between 0 and 100")
    spec_root = root / "exercises"
    if args.spec_from is not None:
        if not args.spec_from.is_dir():
            raise UsageProblem(f"--spec-from {args.spec_from}: not a folder")
        spec_root = grading_mod.trusted_exercises_dir(args.spec_from.resolve())
    exercises = catalog.load_catalog(spec_root)
    named = {catalog.find(exercises, n).name for n in args.exercise}
    chosen = [ex for ex in exercises if ex.name in named] if named else exercises  # catalogue order
    if args.exercism is not None and len(chosen) != 1:
        raise UsageProblem("--exercism needs exactly one exercise: add --exercise NAME")
    target = resolve_target(root, args.target)
    grading = grading_mod.grade(chosen, target, args.jobs)
    for path, render in _report_writers(args, grading, chosen):
        _write(path, render)
    if args.markdown is not None and os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(markdown.render(grading))
    text.render_grading(console, grading)
    incomplete = grading.incomplete()
    if incomplete:
        console.print("[red]grading could not complete:[/red]")
        for reason in incomplete:
            console.print(f"  [red]{reason.splitlines()[0]}[/red]")
        return 3
    if args.fail_under is not None and grading.percent < args.fail_under:
        console.print(
            f"[red]score {grading.percent:.1f}% is under --fail-under {args.fail_under:g}%[/red]"
        )
        return 1
    return 0


def _report_writers(
    args: argparse.Namespace, grading: Grading, chosen: list[Exercise]
) -> list[tuple[Path, Callable[[], str]]]:
    from grader.report import exercism, gradescope, junit, markdown

    writers: list[tuple[Path, Callable[[], str]]] = []
    if args.json is not None:
        writers.append((args.json, lambda: _dump(results.document(list(grading.results)))))
    if args.gradescope is not None:
        writers.append((args.gradescope, lambda: _dump(gradescope.document(grading))))
    if args.exercism is not None:
        writers.append(
            (
                args.exercism,
                lambda: _dump(exercism.document(grading.results[0], chosen[0].spec_path)),
            )
        )
    if args.junit is not None:
        writers.append((args.junit, lambda: junit.render(grading)))
    if args.markdown is not None:
        writers.append((args.markdown, lambda: markdown.render(grading)))
    return writers


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, render: Callable[[], str]) -> None:
    try:
        path.write_text(render(), encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot write: {exc.strerror}") from None
