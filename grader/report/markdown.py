"""A Markdown summary: one row per exercise (tests passed, points), notes, and the total."""

from __future__ import annotations

from grader.grade import Grading


def _points(value: float) -> str:
    return f"{value:g}"


def summary_lines(grading: Grading) -> list[str]:
    """Plain-text lines: one per exercise, then the total (used by several formats)."""
    lines = [
        f"{r.name}: {r.passed}/{len(r.tests)} tests passed, "
        f"{_points(r.score)}/{_points(r.max_score)} points"
        for r in grading.results
    ]
    lines.append(
        f"total: {_points(grading.score)}/{_points(grading.max_score)} points "
        f"({grading.percent:.1f}%)"
    )
    return lines


def render(grading: Grading) -> str:
    rows = ["| Exercise | Tests passed | Points | Notes |", "|---|---|---|---|"]
    for r in grading.results:
        notes = "; ".join([*r.notes, *([r.error.splitlines()[0]] if r.error else [])])
        rows.append(
            f"| {r.name} | {r.passed}/{len(r.tests)} | {_points(r.score)}/{_points(r.max_score)} "
            f"| {notes.replace('|', '/')} |"
        )
    rows.append(
        f"| **Total** | {grading.passed}/{grading.passed + grading.failed} "
        f"| **{_points(grading.score)}/{_points(grading.max_score)}** ({grading.percent:.1f}%) | |"
    )
    failing = [(r.name, t) for r in grading.results for t in r.tests if t.status != "passed"]
    text = "## Grading results\n\n" + "\n".join(rows) + "\n"
    if failing:
        text += "\n<details><summary>Tests not passed</summary>\n\n"
        for name, test in failing:
            first = test.message.splitlines()[0] if test.message else ""
            text += f"- `{name}::{test.name}` ({test.status}): {first}\n"
        text += "\n</details>\n"
    return text
