"""grader.sources: a failing test's report finds its statements without parsing the file
again, and shows exactly what pytest would show after parsing it."""

from __future__ import annotations

import ast
import importlib.util
import linecache
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from _pytest._code.source import Source, get_statement_startend2

from grader import sources

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*ROOT.glob("exercises/*/test_*.py"), *ROOT.glob("grader/*.py")])

FAILING = """\
import functools


@functools.cache
def helper(n):
    values = [
        n,
        n + 1,
    ]
    assert values == [], (
        "never empty")


def failing():
    try:
        helper(1)
    finally:
        pass
"""


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_small_tree_gives_every_line_the_real_trees_statement(path: Path) -> None:
    """The tree is all that differs between the two: the rest of pytest's search reads the
    text alone (its own check, ``_agrees``, compares the whole search on a sample)."""
    text = str(Source(path.read_text(encoding="utf-8")))
    real = ast.parse(text, "source", "exec")
    small = sources.statement_tree(text)
    get_statement_startend2(0, real)
    # pytest 9.2 keeps the statements on the tree; before, each search walks the whole
    # tree, and every line of the larger files would take minutes: every 20th then.
    step = 1 if hasattr(real, "_pytest_statement_linenos") else 20
    for line in range(0, len(text.splitlines()), step):
        expected = get_statement_startend2(line, real)
        assert get_statement_startend2(line, small) == expected, line + 1


def test_the_installed_pytest_agrees_on_the_sample_with_every_kind_of_statement() -> None:
    assert sources.install()
    assert sources._agrees()
    assert sources.installed()


@pytest.fixture
def failing_module(tmp_path: Path) -> Iterator[ModuleType]:
    path = tmp_path / "failing_here.py"
    path.write_text(FAILING, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("failing_here", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    linecache.checkcache(str(path))


def _report(module: ModuleType) -> str:
    with pytest.raises(AssertionError) as info:
        module.failing()
    return str(info.getrepr(style="long"))


def _parses_of(monkeypatch: pytest.MonkeyPatch, text: str) -> list[int]:
    """Count the parses of ``text`` (as pytest's report makes them) from now on."""
    parses: list[int] = []
    real_parse = ast.parse

    def counting(source: str, *args: object, **kwargs: object) -> ast.AST:
        if source == text.rstrip("\n"):
            parses.append(1)
        return real_parse(source, *args, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(ast, "parse", counting)
    return parses


def test_a_learnt_files_report_is_the_same_and_parses_nothing(
    failing_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _report(failing_module)  # nothing learnt yet: pytest parses the file
    assert "assert values == []" in expected and '"never empty")' in expected
    assert sources.learn([failing_module]) == 1
    assert sources.learn([failing_module]) == 0, "once is enough"
    parses = _parses_of(monkeypatch, FAILING)
    assert _report(failing_module) == expected
    assert parses == [], "the report found its statements in what was learnt"


def test_a_file_changed_since_it_was_learnt_is_parsed_again(
    failing_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources.learn([failing_module])
    path = Path(failing_module.__file__ or "")
    changed = FAILING.replace("        pass\n", "        pass  # changed\n")
    path.write_text(changed, encoding="utf-8")
    linecache.checkcache(str(path))
    parses = _parses_of(monkeypatch, changed)
    report = _report(failing_module)
    assert parses == [1], "what was learnt no longer matches: parsed as before"
    assert "assert values == []" in report


def test_a_pytest_that_answers_differently_gets_nothing_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sources, "_original", None)
    monkeypatch.setattr(sources, "_SAMPLE", "x = 1\ny = 2\n")
    monkeypatch.setattr(sources, "statement_tree", lambda text: ast.parse("pass"))
    getsource = sources.pytest_code.TracebackEntry.getsource
    assert not sources.install()
    assert not sources.installed()
    assert sources.pytest_code.TracebackEntry.getsource is getsource
    assert sources.learn([sys.modules[__name__]]) == 0


def test_what_cannot_be_learnt_is_left_to_pytest_and_raises_nothing(tmp_path: Path) -> None:
    """Learning only saves time: it runs in the launcher and the zygote, which must go on."""
    broken = tmp_path / "broken.py"
    broken.write_text("def broken(:\n    pass\n", encoding="utf-8")
    unparsable = ModuleType("broken")
    unparsable.__file__ = str(broken)
    nowhere = ModuleType("nowhere")
    nowhere.__file__ = str(tmp_path / "gone.py")
    odd = ModuleType("odd")
    odd.__file__ = 42  # type: ignore[assignment]  # whatever a module carries
    assert sources.learn([unparsable, nowhere, odd, ModuleType("no_file")]) == 0
    assert not sources.learnt(broken)


def test_a_pytest_whose_internals_moved_gets_nothing_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sources, "_original", None)
    moved = ModuleType("source")
    moved.Source = Source  # type: ignore[attr-defined]  # the rest is gone
    monkeypatch.setattr(sources, "pytest_source", moved)
    getsource = sources.pytest_code.TracebackEntry.getsource
    assert not sources.install()
    assert sources.pytest_code.TracebackEntry.getsource is getsource
