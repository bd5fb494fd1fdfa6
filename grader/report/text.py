"""Terminal output for students: one line per test with every problem under it, the course at
a glance, and a closing count.

Every word comes from :mod:`grader.i18n`. Columns are laid out by rich, which measures text by
its width on screen, so Chinese (two cells a character) lines up with English. The closing line
``N passed, M failed`` is always printed in English, last, for tools that parse it; in Chinese
the same count is printed in Chinese just above it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from grader.catalog import Exercise
from grader.i18n import note, word
from grader.progress import Row, next_row
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


# Our own styles, not rich's theme names: rich 13.0's "markdown.code" was plain white on
# black, later ones make it bold cyan, and hints must look the same with every rich allowed.
CODE_STYLE = Style(bold=True, color="cyan", bgcolor="black")
STRONG_STYLE = Style(bold=True)
EM_STYLE = Style(italic=True)

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
        text.append(code, style=CODE_STYLE)
        position = match.end()
    _append_emphasis(text, source[position:])
    return text


def _append_emphasis(text: Text, source: str) -> None:
    position = 0
    for match in _EMPHASIS.finditer(source):
        text.append(source[position : match.start()])
        if match.group("strong") is not None:
            text.append(match.group("strong"), style=STRONG_STYLE)
        else:
            text.append(match.group("em"), style=EM_STYLE)
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


OUTPUT_LINES = 15  # lines of a failing test's own output shown without -v
OUTPUT_CHARS = 1500
_SECTION = re.compile(r"^--- (?P<title>.+) ---$", re.MULTILINE)
_TEST_PROCESS = "Captured output of the test process"
# Real failures first, then what a hang kept from running, then what is not written yet.
ORDER = {"failed": 0, "timeout": 0, "crashed": 0, "error": 0, "skipped": 1, "todo": 2, "passed": 3}


def student_output(output: str) -> str:
    """What the student's code printed: the ``--- <call> stdout/stderr ---`` sections the
    sandbox wrote into the test process's output, without pytest's traceback of the spec or
    the test process's own stack dump."""
    start = output.find(f"--- {_TEST_PROCESS} ---\n")
    if start < 0:
        return ""
    body = output[start:]
    headings = list(_SECTION.finditer(body))[1:]  # none: only the test process wrote
    kept = []
    for number, heading in enumerate(headings, 1):
        title = heading.group("title")
        if title in ("setup", "call", "teardown") or title.startswith("Captured "):
            break
        if title.endswith((" stdout", " stderr")):
            end = headings[number].start() if number < len(headings) else len(body)
            kept.append(body[heading.start() : end].rstrip("\n"))
    return "\n".join(kept)


def capped(text: str, lang: str) -> str:
    """The last OUTPUT_LINES lines (at most OUTPUT_CHARS characters), saying what was cut."""
    lines = text.splitlines()
    kept = lines[-OUTPUT_LINES:]
    shown = tail("\n".join(kept), OUTPUT_CHARS)
    if len(kept) < len(lines):
        hidden = word("check.lines_hidden", lang, count=len(lines) - len(kept))
        shown = f"{hidden}\n{shown}"
    return shown


def _indented(text: str, indent: int, style: str = "") -> Text:
    pad = " " * indent
    return Text("\n".join(pad + line for line in text.splitlines()), style=style)


def render_check(
    console: Console,
    exercise: Exercise,
    result: ExerciseResult,
    lang: str,
    verbose: bool = False,
    next_command: str | None = None,
) -> None:
    """The `grader check` report; ends with the line `N passed, M failed`.

    One line per test, problems first (failures, then parts not written yet, then passes);
    under each problem its message and the student's own output (capped; all of it, and the
    passing tests' output too, with ``verbose``).
    """
    console.print(Text.assemble((exercise.name, "bold"), " — ", exercise.title.get(lang)))
    tests = sorted(result.tests, key=lambda t: ORDER.get(t.status, 0))
    labels = {
        t.name: f"{STYLE.get(t.status, ('?', ''))[0]} {word(f'status.{t.status}', lang)}"
        for t in tests
    }
    label_width = max((cell_len(label) for label in labels.values()), default=0)
    name_width = max((cell_len(t.name) for t in tests), default=0)
    for test in tests:
        colour = STYLE.get(test.status, ("?", "white"))[1]
        label = labels[test.name]
        points = f"{_points(test.score)}/{_points(test.max_score)}"
        console.print(
            Text.assemble(
                "  ",
                (label + " " * (label_width - cell_len(label)), colour),
                "  ",
                test.name + " " * (name_width - cell_len(test.name)),
                "  ",
                (points, "dim"),
            )
        )
        if test.status != "passed":
            message = test.message or word(f"status.{test.status}", lang)
            console.print(_indented(message, 6))
        printed = student_output(test.output)
        if verbose and test.output.strip():
            console.print(_indented(word("check.output", lang), 6, "dim"))
            console.print(_indented(test.output.strip("\n"), 8, "dim"))
        elif printed and test.status != "passed" and test.status != "todo":
            console.print(_indented(word("check.student_output", lang), 6, "dim"))
            console.print(_indented(capped(printed, lang), 8, "dim"))
    for text in result.notes:
        console.print(Text("  " + word("check.note", lang, note=note(text, lang)), style="dim"))
    if result.error:
        console.print()
        console.print(Text(result.error, style="red"))
    if result.first_failure() is not None:
        console.print()
        console.print(inline_markdown(word("check.next_step", lang, name=exercise.slug), "dim"))
    elif result.tests:
        console.print()
        console.print(Text(word("check.all_passed", lang), style="green"))
        if next_command is not None:
            console.print(inline_markdown(word("check.go_on", lang, command=next_command)))
    score = _points(result.score)
    console.print(
        Text(word("check.points", lang, score=score, max_score=_points(result.max_score)), "dim")
    )
    render_count(console, result.passed, result.failed, lang)


def render_hint(console: Console, number: int, total: int, hint: str, lang: str) -> None:
    """One hint: its heading, and its text with Markdown (`code`, **bold**) rendered."""
    heading = Text(word("hint.heading", lang, number=number, total=total), style="bold")
    console.print(Text.assemble(heading, inline_markdown(hint)))


BAR_WIDTH = 30


def render_list(console: Console, rows: list[Row], lang: str) -> None:
    """The course table (`grader`, `grader list`): number, name, title, state, points."""
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column(word("column.number", lang), no_wrap=True)
    table.add_column(word("column.exercise", lang), no_wrap=True)
    table.add_column(word("column.title", lang))
    table.add_column(word("column.state", lang), no_wrap=True)
    table.add_column(word("column.points", lang), justify="right", no_wrap=True)
    colours = {"passed": "green", "failing": "red", "started": "cyan", "todo": "yellow"}
    for row in rows:
        score = "-" if row.score is None else _points(row.score)
        table.add_row(
            f"{row.exercise.number:02d}",
            Text(row.exercise.name),
            Text(row.exercise.title.get(lang)),
            Text(word(f"state.{row.state}", lang), style=colours.get(row.state, "dim")),
            Text(f"{score}/{_points(row.max_score)}", style="dim"),
        )
    console.print(table)


def render_overview(console: Console, rows: list[Row], lang: str, command: str) -> None:
    """The course at a glance: the table, a progress bar, and what to do next.

    ``command`` is how to check the next exercise, with ``{name}`` for its slug.
    """
    render_list(console, rows, lang)
    done = sum(r.state == "passed" for r in rows)
    score = sum(r.score or 0.0 for r in rows)
    total = sum(r.max_score for r in rows)
    filled = round(BAR_WIDTH * done / len(rows)) if rows else 0
    console.print()
    console.print(
        Text.assemble(
            ("█" * filled, "green"),
            ("░" * (BAR_WIDTH - filled), "dim"),
            "  ",
            word(
                "overview.progress",
                lang,
                done=done,
                total=len(rows),
                score=_points(score),
                max_score=_points(total),
            ),
        )
    )
    upcoming = next_row(rows)
    if upcoming is None:
        console.print(Text(word("overview.all_done", lang), style="green"))
        return
    ex = upcoming.exercise
    console.print(
        inline_markdown(
            word(
                "overview.next",
                lang,
                name=ex.name,
                title=ex.title.get(lang),
                command=command.format(name=ex.slug),
                readme=f"exercises/{ex.name}/README{'.zh-CN' if lang == 'zh' else ''}.md",
            )
        )
    )


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


def shown_path(path: Path) -> str:
    """``path`` relative to the current folder when it is under it, else absolute."""
    relative = os.path.relpath(path, Path.cwd())
    return str(path) if relative.startswith("..") else relative
