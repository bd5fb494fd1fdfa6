"""Null submissions: a stub whose every function gives up at once, in one of four ways.

``grader verify`` grades each of them: a spec test that *passes* on one pays for doing
nothing (a check of "no worker left behind" that holds because no worker was ever started)
and is reported as VACUOUS. Every top-level function, and every method of a top-level class,
keeps its signature and decorators; only its body is replaced. Everything else in the stub
(imports, constants, classes' attributes, ``if __name__ == "__main__":``) stays as it is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class NullKind:
    name: str
    what: str  # "every function ...", for reports
    body: str  # the statements that replace each function's body


KINDS: tuple[NullKind, ...] = (
    NullKind(
        "raises",
        "every function raises RuntimeError",
        "raise RuntimeError('null submission: this function does nothing')",
    ),
    NullKind("returns-none", "every function returns None", "return None"),
    NullKind("sys-exit", "every function calls sys.exit(0)", "import sys\nsys.exit(0)"),
    NullKind("os-exit", "every function calls os._exit(0)", "import os\nos._exit(0)"),
)

_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)


def null_source(stub_source: str, kind: NullKind, filename: str = "<stub>") -> str:
    """The stub with every function's body replaced by ``kind.body``.

    Raises SyntaxError if the stub does not parse, and ValueError if it defines no function.
    """
    tree = ast.parse(stub_source, filename)
    replaced = 0
    for node in tree.body:
        targets = [node] if isinstance(node, _FUNCTION) else []
        if isinstance(node, ast.ClassDef):
            targets = [item for item in node.body if isinstance(item, _FUNCTION)]
        for function in targets:
            function.body = ast.parse(kind.body).body
            replaced += 1
    if not replaced:
        raise ValueError(f"{filename}: defines no function to replace")
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
