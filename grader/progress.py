"""The course at a glance: each exercise's state and points, the next one to do.

States: ``todo`` (the module is the untouched stub), ``started`` (edited, but not checked since,
or its last check found only parts not written yet), ``failing`` (its last check of this very
file failed), ``passed`` (its last check of this very file passed). Points are those of the
last recorded check; an exercise never checked shows its maximum only, read from its spec.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from grader import pristine
from grader.catalog import Exercise
from grader.state import State

_TEST = re.compile(r"^(?P<decorators>(?:[ \t]*@.*\n)*)[ \t]*(?:async\s+)?def\s+test_", re.MULTILINE)
_POINTS = re.compile(r"@pytest\.mark\.points\(\s*(?P<n>[0-9.]+)\s*\)")


@dataclass(frozen=True)
class Row:
    exercise: Exercise
    state: str  # todo, started, failing, passed
    score: float | None  # None: never checked
    max_score: float


def spec_points(exercise: Exercise) -> float:
    """The sum of the spec's ``@pytest.mark.points(n)`` (1 for a test without it)."""
    try:
        text = exercise.spec_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0.0
    total = 0.0
    for match in _TEST.finditer(text):
        found = _POINTS.search(match.group("decorators"))
        total += float(found.group("n")) if found else 1.0
    return total


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


def row(root: Path, exercise: Exercise, target: Path, state: State) -> Row:
    module = exercise.module_in(target)
    latest = state.latest(module)
    last = state.last(module)
    score = float(latest["score"]) if latest and "score" in latest else None
    max_score = float(latest["max_score"]) if latest and "max_score" in latest else None
    if max_score is None:
        max_score = spec_points(exercise)
    stub = pristine.stub(root, exercise, use_git=False) if target == root / "exercises" else None
    try:
        untouched = stub is not None and module.read_bytes() == stub
    except OSError:
        untouched = True
    if last is not None:
        status = str(last["status"])
        if status == "passed":
            label = "passed"
        elif status == "todo":
            label = "todo" if untouched else "started"
        else:
            label = "failing"
    elif untouched or (stub is None and latest is None and has_unwritten_stub(module)):
        label = "todo"
    else:
        label = "started"
    return Row(exercise, label, score, max_score)


def overview(root: Path, exercises: list[Exercise], target: Path) -> list[Row]:
    state = State(root)
    return [row(root, ex, target, state) for ex in exercises]


def next_row(rows: list[Row], after: Exercise | None = None) -> Row | None:
    """The exercise to do next: the first not passed (after ``after`` first, if given)."""
    if after is not None:
        later = [r for r in rows if r.exercise.number > after.number and r.state != "passed"]
        if later:
            return later[0]
    return next((r for r in rows if r.state != "passed"), None)
