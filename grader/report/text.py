"""Terminal output for students: one line per test, the first problem, and a closing count."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.catalog import Exercise
from grader.grade import Grading
from grader.i18n import word
from grader.results import ExerciseResult

STYLE = {
    "passed": ("✓", "green"),
    "failed": ("✗", "red"),
    "todo": ("·", "yellow"),
    "timeout": ("⏱", "magenta"),
    "crashed": ("!", "red"),
    "error": ("!", "red"),
}


def _points(value: float) -> str:
    return f"{value:g}"


def render_check(console: Console, exercise: Exercise, result: ExerciseResult, lang: str) -> None:
    """The `grader check` report; ends with the line `N passed, M failed`."""
    console.print(f"[bold]{exercise.name}[/bold] — {escape(exercise.title.get(lang))}")
    for test in result.tests:
        mark, colour = STYLE.get(test.status, ("?", "white"))
        console.print(
            f"  [{colour}]{mark} {word(test.status, lang):<8}[/{colour}] {escape(test.name)}"
            f"  [dim]{_points(test.score)}/{_points(test.max_score)}[/dim]"
        )
    for note in result.notes:
        console.print(f"  [dim]note: {escape(note)}[/dim]")
    if result.error:
        console.print(f"\n[red]{escape(result.error)}[/red]")
    failure = result.first_failure()
    if failure is not None:
        console.print(f"\n[bold]{word('first_failure', lang)}[/bold] ({escape(failure.name)}):")
        console.print(escape(failure.message or failure.output[-2000:] or failure.status))
        console.print(f"\n[dim]{escape(word('next_step', lang).format(name=exercise.slug))}[/dim]")
    elif result.tests:
        console.print(f"\n[green]{word('all_passed', lang)}[/green]")
    score = f"{_points(result.score)}/{_points(result.max_score)}"
    console.print(f"[dim]points {score}[/dim]")
    console.print(f"{result.passed} passed, {result.failed} failed", highlight=False)


def render_list(console: Console, rows: list[tuple[Exercise, str]], lang: str) -> None:
    """The `grader list` table: number, name, title, state."""
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("#")
    table.add_column(word("exercise", lang))
    table.add_column(word("title", lang))
    table.add_column(word("state", lang))
    colours = {"passed": "green", "failing": "red", "todo": "yellow"}
    for exercise, state in rows:
        colour = colours.get(state, "dim")
        table.add_row(
            f"{exercise.number:02d}",
            exercise.name,
            escape(exercise.title.get(lang)),
            f"[{colour}]{word(state, lang)}[/{colour}]",
        )
    console.print(table)


def render_grading(console: Console, grading: Grading) -> None:
    """The `grader grade` report: a table, the notes, the total, and `N passed, M failed`."""
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("exercise")
    table.add_column("tests passed", justify="right")
    table.add_column("points", justify="right")
    table.add_column("status")
    for r in grading.results:
        colour = {"passed": "green", "todo": "yellow"}.get(r.status, "red")
        table.add_row(
            r.name,
            f"{r.passed}/{len(r.tests)}",
            f"{_points(r.score)}/{_points(r.max_score)}",
            f"[{colour}]{r.status}[/{colour}]",
        )
    console.print(table)
    for r in grading.results:
        for note in r.notes:
            console.print(f"[dim]{r.name}: {escape(note)}[/dim]")
    console.print(
        f"total {_points(grading.score)}/{_points(grading.max_score)} points "
        f"({grading.percent:.1f}%) in {grading.seconds:.1f} s"
    )
    console.print(f"{grading.passed} passed, {grading.failed} failed", highlight=False)
