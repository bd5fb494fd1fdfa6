"""What `grader batch` prints: a line per graded student under a progress bar, and a summary."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from rich import progress as bars
from rich.console import Console
from rich.text import Text

from grader import landlock, namespaces, users, workspace
from grader.batch import StudentRow
from grader.i18n import Phrase, word
from grader.report.text import shown_path


def student_line(row: StudentRow, lang: str) -> Text:
    """One graded student: id, points and time, or what went wrong."""
    if row.error:
        return Text(word("batch.error", lang, student=row.student, error=row.error), "red")
    return Text(
        word(
            "batch.line",
            lang,
            student=row.student,
            score=f"{row.total:g}",
            max_score=f"{row.max_total:g}",
            percent=row.percent,
            seconds=row.seconds,
        )
    )


@contextlib.contextmanager
def progress(console: Console, lang: str, total: int) -> Iterator[Callable[[StudentRow], None]]:
    """Say each student as they are graded; on a terminal, under a bar with done/total and ETA."""
    if not console.is_terminal or total == 0:
        yield lambda row: console.print(student_line(row, lang), highlight=False, markup=False)
        return
    columns = (
        bars.TextColumn(word("batch.progress", lang)),
        bars.BarColumn(),
        bars.MofNCompleteColumn(),
        bars.TextColumn("ETA"),
        bars.TimeRemainingColumn(),
    )
    with bars.Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("grading", total=total)

        def advance(row: StudentRow) -> None:
            bar.console.print(student_line(row, lang), highlight=False, markup=False)
            bar.advance(task)

        yield advance


def render_passed_over(console: Console, skipped: list[tuple[Path, str]], lang: str) -> None:
    """Name each folder of the class folder not graded as a student's, and why."""
    for folder, why in skipped:
        console.print(word(why, lang, path=shown_path(folder)), highlight=False, markup=False)


def render_isolation(console: Console, lang: str) -> None:
    """Say, before a class is graded, when its code will reach more than its own files: run
    as the user grading it (not root on Linux: grader.users), as root (no view of the files,
    and an interpreter only root may reach), or as its own uid that sees the class and the
    specs (no view: grader.namespaces); each said as Landlock, where the kernel offers it,
    narrows it (grader.landlock): its files, and from ABI 6 the processes it may signal;
    then whether the grader's own folders lie within that reach (grader.workspace).
    Nothing where sandboxes are fully isolated."""
    confined = "_confined" if landlock.available() else ""  # its files kept out
    scoped = landlock.scoped()
    parts = {
        "as_root": Phrase("batch.as_root"),
        "with_view": Phrase("batch.with_view"),
        "confined": Phrase("batch.confined"),
    }
    if not users.separate_uid_applies():
        parts["signals"] = Phrase("batch.signals_kept" if scoped else "batch.signals_yours")
        message = word(f"batch.runs_as_you{confined}", lang, uid=os.geteuid(), **parts)
    else:
        why = namespaces.view_problem()
        if why is None:
            return
        closed = namespaces.unreachable(namespaces.needed_paths())
        if closed:
            where = ", ".join(closed)
            key = f"batch.keeps_root{confined}"
            parts["signals"] = Phrase("batch.signals_kept" if scoped else "batch.signals_all")
            message = word(key, lang, why=why, closed=where, **parts)
        else:
            message = word(f"batch.no_view{confined}", lang, why=why, **parts)
    console.print(message, style="yellow", highlight=False, markup=False)
    exposed = workspace.exposed() if confined else None
    if exposed:
        said = word("batch.workspace_exposed", lang, base=workspace.base(), why=exposed)
        console.print(said, style="yellow", highlight=False, markup=False)


def render_summary(
    console: Console, rows: list[StudentRow], reused: int, gradebook: Path, lang: str
) -> None:
    """How many were graded, reused, failed; where the gradebook is; then each failure."""
    errors = [row for row in rows if row.error]
    console.print(
        word(
            "batch.summary",
            lang,
            graded=len(rows) - reused,
            reused=reused,
            errors=len(errors),
            path=shown_path(gradebook),
        ),
        highlight=False,
        markup=False,
    )
    _list_errors(console, errors)


def render_merged(
    console: Console, rows: list[StudentRow], shards: int, gradebook: Path, lang: str
) -> None:
    """How many students came from how many shards, how many failed; where the gradebook is."""
    errors = [row for row in rows if row.error]
    console.print(
        word(
            "batch.merged",
            lang,
            students=len(rows),
            shards=shards,
            errors=len(errors),
            path=shown_path(gradebook),
        ),
        highlight=False,
        markup=False,
    )
    _list_errors(console, errors)


def _list_errors(console: Console, errors: list[StudentRow]) -> None:
    for row in errors:
        console.print(Text(f"  {row.student}: {row.error}", "red"), highlight=False)
