"""Terminal output for students: one line per test, the first problem, and a closing count.

Every word comes from :mod:`grader.i18n`. Columns are laid out by rich, which measures text by
its width on screen, so Chinese (two cells a character) lines up with English. The closing line
``N passed, M failed`` is always printed in English, last, for tools that parse it; in Chinese
the same count is printed in Chinese just above it.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from grader.catalog import Exercise
from grader.i18n import note, word
from grader.results import ExerciseResult, Grading
from grader.trim import tail

STYLE = {
    "passed": ("✓", "green"),
    "failed": ("✗", "red"),
    "todo": ("·", "yellow"),
    "timeout": ("⏱", "magenta"),
    "crashed": ("!", "red"),
    "error": ("!", "red"),
    "skipped": ("-", "dim"),
}


COUNT_LINE = "{passed} passed, {failed} failed"  # read by tools: English in every language


def _points(value: float) -> str:
    return f"{value:g}"


_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_EMPHASIS = re.compile(r"\*\*(?=\S)(?P<strong>.+?)(?<=\S)\*\*|\*(?=\S)(?P<em>[^*]+?)(?<=\S)\*")


def inline_markdown(source: str, style: str = "") -> Text:
    """Markdown's inline code, **bold** and *italic* (as hints are written) as styled text.

    Everything else is literal: square brackets are not rich markup, and ``*`` inside a code
    span is not emphasis.
    """
    text = Text(style=style)
    position = 0
    for match in _CODE.finditer(source):
        _append_emphasis(text, source[position : match.start()])
        code = match.group(2)
        if len(code) > 2 and code.startswith(" ") and code.endswith(" "):
            code = code[1:-1]
        text.append(code, style="markdown.code")
        position = match.end()
    _append_emphasis(text, source[position:])
    return text


def _append_emphasis(text: Text, source: str) -> None:
    position = 0
    for match in _EMPHASIS.finditer(source):
        text.append(source[position : match.start()])
        if match.group("strong") is not None:
            text.append(match.group("strong"), style="markdown.strong")
        else:
            text.append(match.group("em"), style="markdown.em")
        position = match.end()
    text.append(source[position:])


def render_count(console: Console, passed: int, failed: int, lang: str) -> None:
    """The closing count: in Chinese first if asked, then always `N passed, M failed`."""
    if lang != "en":
        console.print(
            word("count", lang, passed=passed, failed=failed, total=passed + failed),
            highlight=False,
        )
    console.print(COUNT_LINE.format(passed=passed, failed=failed), highlight=False, markup=False)


def render_check(console: Console, exercise: Exercise, result: ExerciseResult, lang: str) -> None:
    """The `grader check` report; ends with the line `N passed, M failed`."""
    console.print(Text.assemble((exercise.name, "bold"), " — ", exercise.title.get(lang)))
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)  # mark and status
    table.add_column(overflow="fold")  # test name
    table.add_column(justify="right", no_wrap=True)  # points
    for test in result.tests:
        mark, colour = STYLE.get(test.status, ("?", "white"))
        table.add_row(
            Text(f"{mark} {word(f'status.{test.status}', lang)}", style=colour),
            Text(test.name),
            Text(f"{_points(test.score)}/{_points(test.max_score)}", style="dim"),
        )
    if result.tests:
        console.print(Padding(table, (0, 0, 0, 2), expand=False))
    for text in result.notes:
        console.print(Text("  " + word("check.note", lang, note=note(text, lang)), style="dim"))
    if result.error:
        console.print()
        console.print(Text(result.error, style="red"))
    failure = result.first_failure()
    if failure is not None:
        console.print()
        console.print(Text(word("check.first_problem", lang, test=failure.name), style="bold"))
        console.print(
            Text(
                failure.message
                or tail(failure.output, 2000)
                or word(f"status.{failure.status}", lang)
            )
        )
        console.print()
        console.print(inline_markdown(word("check.next_step", lang, name=exercise.slug), "dim"))
    elif result.tests:
        console.print()
        console.print(Text(word("check.all_passed", lang), style="green"))
    score = _points(result.score)
    console.print(
        Text(word("check.points", lang, score=score, max_score=_points(result.max_score)), "dim")
    )
    render_count(console, result.passed, result.failed, lang)


def render_hint(console: Console, number: int, total: int, hint: str, lang: str) -> None:
    """One hint: its heading, and its text with Markdown (`code`, **bold**) rendered."""
    heading = Text(word("hint.heading", lang, number=number, total=total), style="bold")
    console.print(Text.assemble(heading, inline_markdown(hint)))


def render_list(console: Console, rows: list[tuple[Exercise, str]], lang: str) -> None:
    """The `grader list` table: number, name, title, state."""
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column(word("column.number", lang), no_wrap=True)
    table.add_column(word("column.exercise", lang), no_wrap=True)
    table.add_column(word("column.title", lang))
    table.add_column(word("column.state", lang), no_wrap=True)
    colours = {"passed": "green", "failing": "red", "todo": "yellow"}
    for exercise, state in rows:
        table.add_row(
            f"{exercise.number:02d}",
            Text(exercise.name),
            Text(exercise.title.get(lang)),
            Text(word(f"state.{state}", lang), style=colours.get(state, "dim")),
        )
    console.print(table)


def render_grading(console: Console, grading: Grading, lang: str) -> None:
    """The `grader grade` report: a table, the notes, the total, and `N passed, M failed`."""
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column(word("column.exercise", lang), no_wrap=True)
    table.add_column(word("column.tests_passed", lang), justify="right", no_wrap=True)
    table.add_column(word("column.points", lang), justify="right", no_wrap=True)
    table.add_column(word("column.status", lang), no_wrap=True)
    for r in grading.results:
        colour = {"passed": "green", "todo": "yellow"}.get(r.status, "red")
        table.add_row(
            Text(r.name),
            f"{r.passed}/{len(r.tests)}",
            f"{_points(r.score)}/{_points(r.max_score)}",
            Text(word(f"status.{r.status}", lang), style=colour),
        )
    console.print(table)
    for r in grading.results:
        for text in r.notes:
            console.print(Text(f"{r.name}: {note(text, lang)}", style="dim"))
    console.print(
        word(
            "grade.total",
            lang,
            score=_points(grading.score),
            max_score=_points(grading.max_score),
            percent=grading.percent,
            seconds=grading.seconds,
        ),
        highlight=False,
        markup=False,
    )
    render_count(console, grading.passed, grading.failed, lang)
