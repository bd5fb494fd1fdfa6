"""A Markdown summary: one row per exercise (tests passed, points), notes, and the total."""

from __future__ import annotations

from grader.i18n import note, word
from grader.results import Grading


def _points(value: float) -> str:
    return f"{value:g}"


def summary_lines(grading: Grading, lang: str = "en") -> list[str]:
    """Plain-text lines: one per exercise, then the total (used by several formats)."""
    lines = [
        word(
            "summary.exercise",
            lang,
            name=r.name,
            passed=r.passed,
            tests=len(r.tests),
            score=_points(r.score),
            max_score=_points(r.max_score),
        )
        for r in grading.results
    ]
    lines.append(
        word(
            "summary.total",
            lang,
            score=_points(grading.score),
            max_score=_points(grading.max_score),
            percent=grading.percent,
        )
    )
    return lines


def render(grading: Grading, lang: str = "en") -> str:
    """The summary table in ``lang`` (headings and notes; names and numbers stay as they are)."""
    headers = [word(f"md.{key}", lang) for key in ("exercise", "tests_passed", "points", "notes")]
    rows = ["| " + " | ".join(headers) + " |", "|---|---|---|---|"]
    for r in grading.results:
        texts = [note(n, lang) for n in r.notes]
        notes = "; ".join([*texts, *([r.error.splitlines()[0]] if r.error else [])])
        rows.append(
            f"| {r.name} | {r.passed}/{len(r.tests)} | {_points(r.score)}/{_points(r.max_score)} "
            f"| {notes.replace('|', '/')} |"
        )
    rows.append(
        f"| **{word('md.total', lang)}** | {grading.passed}/{grading.passed + grading.failed} "
        f"| **{_points(grading.score)}/{_points(grading.max_score)}** ({grading.percent:.1f}%) | |"
    )
    failing = [(r.name, t) for r in grading.results for t in r.tests if t.status != "passed"]
    text = f"## {word('md.heading', lang)}\n\n" + "\n".join(rows) + "\n"
    if failing:
        text += f"\n<details><summary>{word('md.not_passed', lang)}</summary>\n\n"
        for name, test in failing:
            first = test.message.splitlines()[0] if test.message else ""
            status = word(f"status.{test.status}", lang)
            text += f"- `{name}::{test.name}` ({status}): {first}\n"
        text += "\n</details>\n"
    return text
