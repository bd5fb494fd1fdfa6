"""Which of a spec's messages a Chinese-speaking student would read in English.

A spec gives its messages with ``check(cond, en=..., zh=...)`` or ``fail(en=..., zh=...)``.
This reads the spec's source (no import) and names every such call that has no ``zh``, and
counts the bare ``assert cond, "message"`` statements left from before (English only).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.catalog import Exercise

MESSAGE_CALLS = {"check": 2, "fail": 1}  # function name -> position of zh among its arguments


@dataclass(frozen=True)
class Coverage:
    calls: int  # check()/fail() calls
    missing: tuple[str, ...]  # "line N: check() has no zh" for each call without Chinese
    english_asserts: int  # bare asserts with a message: English only


def coverage(exercise: Exercise) -> Coverage:
    tree = ast.parse(exercise.spec_path.read_text(encoding="utf-8"), str(exercise.spec_path))
    calls, missing, asserts = 0, [], 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            asserts += 1
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        position = MESSAGE_CALLS.get(node.func.id)
        if position is None:
            continue
        calls += 1
        has_zh = len(node.args) > position or any(k.arg in ("zh", None) for k in node.keywords)
        if not has_zh:
            missing.append(f"{exercise.spec_file} line {node.lineno}: {node.func.id}() has no zh")
    return Coverage(calls, tuple(missing), asserts)
