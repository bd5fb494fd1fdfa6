"""A failing test's report, made without parsing its files again in every test process.

pytest's report of a failing test shows, for each entry of the traceback, the statement
that failed. To find where that statement starts and ends it parses the whole file the
entry is in and walks its syntax tree (``_pytest._code.source.getstatementrange_ast``),
once per file per report. Every test runs in a fresh process, so every failing test did it
again: 57 ms for the 1,625 lines of exercise 23's spec, 21 ms for the 807 of 07's, 25 ms for
``grader/sandbox.py`` (3.11), and a typical report goes through a spec and the sandbox.

:func:`learn` does it once per file, before the test processes are forked (the launcher
learns its session's spec modules; the zygote the grader's modules and ``contextlib``, once
for every session it forks after its first), and keeps only where statements start: a
small syntax tree of one ``pass`` per such line, which answers pytest's search as the real
tree does. :func:`install` seeds pytest's per-report table of trees with what was learnt,
after checking, on a sample with every kind of statement, that the small tree gives the
same answer as the real one for every line under the installed pytest; where it does not,
nothing is installed and reports parse as before. A file whose text differs from what was
learnt is parsed as before too.

This reaches into pytest's internals (``TracebackEntry.getsource`` and the ``astcache`` it is
given); the check above is what keeps a later pytest from getting a wrong excerpt from it.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

try:
    from _pytest._code import code as pytest_code
    from _pytest._code import source as pytest_source
except ImportError:  # a pytest whose internals moved: reports parse as before
    pytest_code = pytest_source = None  # type: ignore[assignment]

_USED = ("Source", "findsource", "get_statement_startend2", "getstatementrange_ast")

# The modules besides the spec whose frames a failing spec's traceback shows: the grader's
# (a student's call, a wait) and the standard library's ``with`` blocks.
TRACEBACK_MODULES = (
    "contextlib",
    "grader.channel",
    "grader.net",
    "grader.outcome",
    "grader.polling",
    "grader.probe",
    "grader.sandbox",
    "grader.spec",
    "grader.watch",
)


_HOLDS_STATEMENTS = (ast.stmt, ast.ExceptHandler, ast.match_case)


@dataclass(frozen=True)
class _Learnt:
    tree: ast.Module
    digest: bytes  # of the text it was learnt from: a file changed since is parsed afresh


_LEARNT: dict[Path | str, _Learnt] = {}
_original: Callable[..., Any] | None = None  # pytest's TracebackEntry.getsource, once wrapped


def install() -> bool:
    """Let every failing test's report use what :func:`learn` learnt; whether it is (False:
    this pytest's answers differ or its internals moved, and reports parse as before)."""
    global _original
    if _original is not None:
        return True
    entry = getattr(pytest_code, "TracebackEntry", None)
    if entry is None or not callable(getattr(entry, "getsource", None)):
        return False
    if not all(hasattr(pytest_source, name) for name in _USED) or not _agrees():
        return False
    _original = entry.getsource
    entry.getsource = _getsource
    return True


def installed() -> bool:
    return _original is not None


def learn(modules: Iterable[ModuleType]) -> int:
    """Learn where the statements of each module's file start (see the module's docstring);
    how many files were learnt now. Nothing is learnt where :func:`install` refuses."""
    if not install():
        return 0
    learnt = 0
    for module in modules:
        try:
            learnt += _learn(module)
        except Exception:  # learning only saves time: the report parses the file as before
            continue
    return learnt


def _learn(module: ModuleType) -> int:
    key = _key_of(module)
    source, _ = pytest_source.findsource(module)
    if key is None or source is None:
        return 0
    text = str(source)
    digest = _digest(text)
    known = _LEARNT.get(key)
    if known is not None and known.digest == digest:
        return 0
    _LEARNT[key] = _Learnt(statement_tree(text), digest)
    return 1


def learnt(path: Path | str) -> bool:
    return path in _LEARNT


def traceback_modules() -> list[ModuleType]:
    return [sys.modules[name] for name in TRACEBACK_MODULES if name in sys.modules]


def statement_tree(text: str) -> ast.Module:
    """A syntax tree with one ``pass`` on each line where pytest's search sees a statement of
    ``text`` start: every statement and ``except``, a definition's decorators, and the line
    before an ``else:`` or ``finally:`` block's first statement. Where pytest keeps that list
    on the tree itself once it has walked it, the ``pass`` nodes are dropped again."""
    starts: list[int] = []
    todo: list[ast.AST] = list(ast.parse(text, "source", "exec").body)
    while todo:  # statements only: no expression holds one, and they are most of the tree
        node = todo.pop()
        if isinstance(node, ast.match_case):
            todo.extend(node.body)
            continue
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            starts.extend(decorator.lineno for decorator in node.decorator_list)
        starts.append(getattr(node, "lineno", 0))
        for block in ("finalbody", "orelse"):
            body = getattr(node, block, None)
            if body:
                starts.append(body[0].lineno - 1)
        for field in node._fields:  # bodies, handlers and cases: statements below this one
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], _HOLDS_STATEMENTS):
                todo.extend(value)
    passes: list[ast.stmt] = [ast.Pass(lineno=line, col_offset=0) for line in starts]
    tree = ast.Module(body=passes, type_ignores=[])
    pytest_source.get_statement_startend2(0, tree)
    if hasattr(tree, "_pytest_statement_linenos"):  # pytest 9.2+: it reads only that list now
        tree.body = []
    return tree


def _getsource(self: Any, astcache: dict[Path | str, ast.AST] | None = None) -> Any:
    """pytest's ``TracebackEntry.getsource``, with this report's table of trees seeded."""
    if astcache is not None:
        key = self.frame.code.path
        known = _LEARNT.get(key)
        if known is not None and key not in astcache:
            source = self.frame.code.fullsource
            if source is not None and _digest(str(source)) == known.digest:
                astcache[key] = known.tree
    assert _original is not None
    return _original(self, astcache)


def _key_of(module: ModuleType) -> Path | None:
    """The key pytest files a module's tree under: the absolute path of its source file."""
    filename = getattr(module, "__file__", None)
    if not filename:
        return None
    path = Path(os.path.abspath(filename))  # as pytest makes it: `..` gone, links kept
    return path if path.is_file() else None


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


_SAMPLE = '''\
import functools


@functools.cache
@staticmethod
def decorated(a,
              b):
    return (a +
            b)


class Shape:
    """A docstring
    on two lines."""

    @property
    def area(self):
        return [x for x in range(3)
                if x]

    async def later(self):
        async with self as s:
            await s


def flow(n):
    try:
        n = 1 / n
    except ZeroDivisionError as exc:
        raise ValueError(n) from exc
    except (TypeError,
            OSError):
        pass
    else:
        n += 1
    finally:
        n -= 1
    for i in range(n):
        if i:
            continue
        elif i > 2:
            break
        else:
            n = (lambda: i)()
    else:
        n = 0
    while n:
        n -= 1
    else:
        pass
    with open(__file__) as f, \\
            open(__file__) as g:
        del f, g
    match n:
        case 0:
            assert n == 0, (
                "zero")
        case _:
            global flow
    return n
'''


def _agrees() -> bool:
    """Whether, under this pytest, the small tree of :data:`_SAMPLE` gives every line the same
    statement range as the sample's real tree."""
    try:
        source = pytest_source.Source(_SAMPLE)
        search = pytest_source.getstatementrange_ast
        real, _, _ = search(0, source)
        small = statement_tree(str(source))
        for line in range(len(source.lines)):
            expected = search(line, source, astnode=real)[1:]
            if search(line, source, astnode=small)[1:] != expected:
                return False
    except Exception:
        return False
    return True
