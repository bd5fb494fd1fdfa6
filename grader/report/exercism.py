"""Exercism's test-runner results.json, version 3, for a run of exactly one exercise.

``version``, ``status`` (pass/fail/error), ``message`` (when status is error), and ``tests``
in file order with ``name``, ``test_code``, ``status``, ``message``, ``output`` (at most 500
characters, with a truncation notice) and ``task_id`` (from a ``@pytest.mark.task(taskno=N)``
marker, when the test has one).
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Any

from grader.results import ExerciseResult

OUTPUT_LIMIT = 500
TRUNCATED = "... (output truncated)"
STATUS = {"passed": "pass", "failed": "fail", "todo": "fail"}  # timeout, crashed, error: error


def _cap(text: str) -> str:
    if len(text) <= OUTPUT_LIMIT:
        return text
    return text[: OUTPUT_LIMIT - len(TRUNCATED)] + TRUNCATED


def spec_functions(spec: Path) -> dict[str, tuple[str, int | None]]:
    """Test function name -> (its body's source, its task number or None)."""
    source = spec.read_text(encoding="utf-8")
    found: dict[str, tuple[str, int | None]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            body = "\n".join(
                ast.get_source_segment(source, stmt, padded=True) or "" for stmt in node.body
            )
            found[node.name] = (_dedent(body), _task_number(node))
    return found


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip()


def _task_number(node: ast.FunctionDef) -> int | None:
    """N from a ``@pytest.mark.task(taskno=N)`` (or ``task(N)``) decorator."""
    for deco in node.decorator_list:
        if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)):
            continue
        if deco.func.attr != "task":
            continue
        values = [kw.value for kw in deco.keywords if kw.arg == "taskno"] + list(deco.args[:1])
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, int):
                return value.value
    return None


def document(result: ExerciseResult, spec: Path) -> dict[str, Any]:
    functions = spec_functions(spec) if spec.is_file() else {}
    if result.error and not result.tests:
        return {"version": 3, "status": "error", "message": result.error, "tests": []}
    tests = []
    for test in result.tests:
        code, task = functions.get(test.name.split("[")[0], ("", None))
        entry: dict[str, Any] = {
            "name": test.name,
            "test_code": code,
            "status": STATUS.get(test.status, "error"),
        }
        if test.status != "passed":
            entry["message"] = f"[{test.status}] {test.message}" if test.message else test.status
        if test.output:
            entry["output"] = _cap(test.output)
        if task is not None:
            entry["task_id"] = task
        tests.append(entry)
    status = "pass" if all(t["status"] == "pass" for t in tests) and tests else "fail"
    return {"version": 3, "status": status, "tests": tests}
