"""Gradescope's autograder results.json.

Top level: ``score``, ``execution_time``, ``output``, ``tests``; each test has ``name``,
``number``, ``score``, ``max_score``, ``status`` (passed/failed), ``output``, ``visibility``.
"""

from __future__ import annotations

from typing import Any

from grader.report.markdown import summary_lines
from grader.results import Grading

OUTPUT_LIMIT = 8000


def _test_output(message: str, output: str) -> str:
    text = message if not output else f"{message}\n\n{output}"
    if len(text) > OUTPUT_LIMIT:
        text = text[:OUTPUT_LIMIT] + f"\n[... {len(text) - OUTPUT_LIMIT} characters cut ...]"
    return text


def document(grading: Grading, lang: str = "en") -> dict[str, Any]:
    """The results document; the summary text at the top is in ``lang``."""
    tests: list[dict[str, Any]] = []
    for exercise in grading.results:
        number = exercise.name.split("_", 1)[0].lstrip("0") or "0"
        for index, test in enumerate(exercise.tests, 1):
            tests.append(
                {
                    "name": f"{exercise.name}: {test.name}",
                    "number": f"{number}.{index}",
                    "score": test.score,
                    "max_score": test.max_score,
                    "status": "passed" if test.status == "passed" else "failed",
                    "output": _test_output(
                        test.message
                        if test.status == "passed"
                        else f"[{test.status}] {test.message}",
                        "" if test.status == "passed" else test.output,
                    ),
                    # an instructor's hidden test: shown to students once grades are published
                    "visibility": "after_published" if test.hidden else "visible",
                }
            )
    return {
        "score": grading.score,
        "execution_time": round(grading.seconds, 3),
        "output": "\n".join(summary_lines(grading, lang)),
        "tests": tests,
    }
