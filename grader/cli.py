"""The `grader` command: parse arguments and dispatch; the work lives in other modules.

Exit codes: 0 success (check: everything passed), 1 not (tests failed, verify found a weak
spec), 2 bad usage (unknown exercise, missing folder, invalid exercise.toml).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from grader import catalog, i18n, results
from grader.catalog import CatalogError, Exercise
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
                console.print(f"[red]grader: {problem}[/red]")
            return cmd_list(console, root, exercises, args.target, args.run, lang)
        if args.command == "check":
            return cmd_check(
                console, root, _find(exercises, problems, args.name), args.target, args.json, lang
            )
        if args.command == "hint":
            return cmd_hint(console, root, _find(exercises, problems, args.name), args.all, lang)
        if args.command == "verify":
            if problems:  # authors: every exercise must be valid
                raise problems[0]
            return cmd_verify(console, root, exercises, args.names, args.repeat, args.jobs)
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
    rows = []
    for ex in exercises:
        module = ex.module_in(target.folder)
        if run:
            result = run_exercise(ex, target)
            state.record(module, result)
        last = state.last(module)
        label = "not checked"
        if last is not None:
            label = {"passed": "passed", "todo": "todo"}.get(str(last["status"]), "failing")
        rows.append((ex, label))
    if run:
        state.save()
    text.render_list(console, rows, lang)
    return 0


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
        path.write_text(
            json.dumps(results.document(exercise_results), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
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
    console: Console,
    root: Path,
    exercises: list[Exercise],
    names: list[str],
    repeat: int,
    jobs: int,
) -> int:
    from grader.verify import verify

    if repeat < 1:
        raise UsageProblem("--repeat must be at least 1")
    if jobs < 1:
        raise UsageProblem("--jobs must be at least 1")
    chosen = [catalog.find(exercises, n) for n in names] if names else exercises
    verdicts = verify(root, chosen, repeat, jobs)
    for verdict in verdicts:
        mark = "[green]ok[/green]" if verdict.ok else "[red]WEAK[/red]"
        console.print(f"{mark} {verdict.exercise.name}")
        for line in verdict.summary:
            console.print(f"    {line}")
        for problem in verdict.problems:
            console.print(f"    [red]{problem}[/red]")
    good = sum(v.ok for v in verdicts)
    console.print(f"{good} passed, {len(verdicts) - good} failed")
    return 0 if good == len(verdicts) else 1
