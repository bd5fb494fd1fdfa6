"""Which of a spec's messages a Chinese-speaking student would read in English.

A spec gives its messages with ``check(cond, en=..., zh=...)`` or ``fail(en=..., zh=...)``,
or through a wrapper of its own with parameters named ``en`` and ``zh``. This reads the
spec's source (no import) and names every such call that has no ``zh``, and counts the bare
``assert cond, "message"`` statements left from before (English only).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.catalog import Exercise

MESSAGE_CALLS = {"check": 2, "fail": 1}  # function name -> position of zh among its arguments


@dataclass(frozen=True)
class Coverage:
    calls: int  # check()/fail() calls, and calls of the spec's wrappers of them
    missing: tuple[str, ...]  # "line N: check() has no zh" for each call without Chinese
    english_asserts: int  # bare asserts with a message: English only


def message_calls(tree: ast.Module) -> dict[str, int]:
    """check, fail, and the spec's own wrappers of them: every function defined in the spec
    with parameters named ``en`` and ``zh`` (name -> position of zh among its arguments)."""
    found = dict(MESSAGE_CALLS)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            if "en" in names and "zh" in names:
                found[node.name] = names.index("zh")
    return found


def coverage(exercise: Exercise) -> Coverage:
    tree = ast.parse(exercise.spec_path.read_text(encoding="utf-8"), str(exercise.spec_path))
    known = message_calls(tree)
    calls, missing, asserts = 0, [], 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            asserts += 1
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        position = known.get(node.func.id)
        if position is None:
            continue
        calls += 1
        has_zh = len(node.args) > position or any(k.arg in ("zh", None) for k in node.keywords)
        if not has_zh:
            missing.append(f"{exercise.spec_file} line {node.lineno}: {node.func.id}() has no zh")
    return Coverage(calls, tuple(missing), asserts)
