"""The course at a glance: each exercise's state and points, the next one to do.

States: ``todo`` (the module is the untouched stub), ``started`` (edited, but not checked since,
or its last check found only parts not written yet), ``failing`` (its last check of this very
file failed), ``passed`` (its last check of this very file passed). Points are those of the
last recorded check; an exercise never checked shows its maximum only, read from its spec.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from grader import pristine
from grader.catalog import Exercise
from grader.state import State


@dataclass(frozen=True)
class Row:
    exercise: Exercise
    state: str  # todo, started, failing, passed
    score: float | None  # None: never checked
    max_score: float


def spec_points(exercise: Exercise) -> float:
    """The points of the spec before it ever ran: each test's ``@pytest.mark.points(n)`` (1
    without it), once per parametrised case. Read from the source, not collected: a case list
    that is neither a literal nor a module-level name bound to one counts as one case."""
    try:
        return points_in_source(exercise.spec_path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return 0.0


def test_names(exercise: Exercise) -> list[str]:
    """The names of the spec's test functions, in order (read from the source)."""
    try:
        tree = ast.parse(exercise.spec_path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    ]


def points_in_source(source: str) -> float:
    tree = ast.parse(source)
    sizes = {  # module-level NAME = [...] / (...): the case lists parametrize may name
        target.id: len(node.value.elts)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    total = 0.0
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not node.name.startswith("test_"):
            continue
        points, cases = 1.0, 1
        for decorator in node.decorator_list:
            if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
                continue
            if decorator.func.attr == "points" and decorator.args:
                value = decorator.args[0]
                if isinstance(value, ast.Constant) and isinstance(value.value, int | float):
                    points = float(value.value)
            elif decorator.func.attr == "parametrize":
                cases *= _case_count(decorator, sizes)
        total += points * cases
    return total


def _case_count(decorator: ast.Call, sizes: dict[str, int]) -> int:
    values = decorator.args[1] if len(decorator.args) > 1 else None
    for keyword in decorator.keywords:
        if keyword.arg == "argvalues":
            values = keyword.value
    if isinstance(values, ast.List | ast.Tuple | ast.Set):
        return len(values.elts)
    if isinstance(values, ast.Name):
        return sizes.get(values.id, 1)
    return 1


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
