"""README references in spec messages must name headings that exist.

A failure message points the student to a section: ``(README: 'Workers')``, several at once
``(README: 'Protocol' and 'Framing')``, or the Chinese README: ``README.zh-CN:「协议」``, or
in Chinese text with a full-width colon, ``（见 README：'协议'）``. This
module finds those references — in every string literal of a spec (adjacent literals joined,
as Python joins them), and in the messages that runs actually produced (which also covers
references built at run time) — and names each one whose heading is not in the README.

Headings are ATX headings (``## Workers``) outside fenced code blocks; a reference matches
a heading's text exactly, or with its inline markup (backticks, ``*``, ``_``) removed.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from grader.catalog import Exercise

README_EN = "README.md"
README_ZH = "README.zh-CN.md"
_HOLE = "\x00"  # stands for an f-string placeholder: a reference that holds one is not checked
_QUOTED = r"(?:'[^'\n]+'|\"[^\"\n]+\"|「[^」\n]+」)"
REFERENCE = re.compile(
    rf"README(?P<zh>\.zh-CN)?(?:\.md)?\s*(?P<colon>[:：])\s*"
    rf"(?P<names>{_QUOTED}(?:\s*(?:,|and|&|/|、|和|与)\s*{_QUOTED})*)"
)
_NAME = re.compile(_QUOTED)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MARKUP = re.compile(r"[`*_]")


@dataclass(frozen=True)
class Reference:
    readme: str  # README_EN or README_ZH
    heading: str
    where: str  # where it was found, for the report


def references(text: str, where: str) -> list[Reference]:
    """Every README reference in ``text``."""
    found = []
    for match in REFERENCE.finditer(text):
        chinese = bool(match.group("zh")) or match.group("colon") == "："
        for quoted in _NAME.findall(match.group("names")):
            readme = README_ZH if chinese or quoted.startswith("「") else README_EN
            heading = quoted[1:-1].strip()
            if _HOLE not in heading:
                found.append(Reference(readme, heading, where))
    return found


def prose_lines(markdown: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks."""
    fence = ""
    for number, line in enumerate(markdown.splitlines(), start=1):
        opened = _FENCE.match(line)
        if opened:
            if not fence:
                fence = opened.group(1)
            elif opened.group(1) == fence:
                fence = ""
            continue
        if not fence:
            yield number, line


def headings(markdown: str) -> set[str]:
    """The text of every ATX heading outside fenced code, as written and without markup."""
    found: set[str] = set()
    for _, line in prose_lines(markdown):
        heading = _HEADING.match(line)
        if heading:
            text = heading.group("text").strip()
            found.update({text, _MARKUP.sub("", text)})
    return found


def spec_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal in a spec; f-string placeholders become holes."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            parts = [
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else _HOLE
                for v in node.values
            ]
            found.append((node.lineno, "".join(parts)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def spec_references(exercise: Exercise) -> list[Reference]:
    """The references written in the spec's string literals."""
    source = exercise.spec_path.read_text(encoding="utf-8")
    found = []
    for line, text in spec_strings(source):
        found.extend(references(text, f"{exercise.spec_file} line {line}"))
    return found


def check(exercise: Exercise, messages: Iterable[tuple[str, str]] = ()) -> tuple[int, list[str]]:
    """(distinct references checked, a report line for each that names no heading).

    ``messages`` are (test name, message) pairs from runs of the spec.
    """
    found = spec_references(exercise)
    for test, message in messages:
        found.extend(references(message, f"a message of {test}"))
    known: dict[str, set[str] | None] = {}
    problems: list[str] = []
    reported: set[tuple[str, str]] = set()
    for ref in found:
        if ref.readme not in known:
            path = exercise.folder / ref.readme
            known[ref.readme] = headings(path.read_text("utf-8")) if path.is_file() else None
        titles = known[ref.readme]
        if titles is not None and ref.heading in titles:
            continue
        if (ref.readme, ref.heading) in reported:
            continue
        reported.add((ref.readme, ref.heading))
        if titles is None:
            problems.append(f"README reference {ref.heading!r} ({ref.where}): no {ref.readme}")
            continue
        close = difflib.get_close_matches(ref.heading, sorted(titles), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(
            f"README reference {ref.heading!r} ({ref.where}): {ref.readme} has no such "
            f"heading{hint}"
        )
    return len({(ref.readme, ref.heading) for ref in found}), problems
