"""The CLI's words: one table, both languages for every key, Markdown hints, CJK alignment."""

from __future__ import annotations

import argparse
import io
import re
import string
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console

from grader import i18n
from grader.catalog import load_exercise
from grader.cli import build_parser
from grader.report.text import CODE_STYLE, STRONG_STYLE, inline_markdown, render_check
from grader.results import STATUSES, ExerciseResult, TestResult

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    for key, entry in i18n.WORDS.items():
        assert set(entry) == set(i18n.LANGS), key
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert fields(entry["en"]) == fields(entry["zh"]), key
        assert CJK.search(entry["zh"]), f"{key}: the Chinese text is not Chinese"


def test_every_key_the_grader_names_is_in_the_table() -> None:
    """A key missing from the table would be shown as it is ("usage.bad_record"), not as a
    message: every literal of a key's form (a known prefix, a dot, a name) must be there."""
    prefixes = {key.split(".")[0] for key in i18n.WORDS}
    literal = re.compile(r"[\"']([a-z]+)\.([a-z_]+)[\"']")
    files = ("json", "csv", "html", "toml", "ini", "md", "py")  # file names, not keys
    missing = set()
    for path in Path(i18n.__file__).parent.rglob("*.py"):
        for prefix, name in literal.findall(path.read_text(encoding="utf-8")):
            if prefix in prefixes and name not in files and f"{prefix}.{name}" not in i18n.WORDS:
                missing.add(f"{path.name}: {prefix}.{name}")
    assert not missing, sorted(missing)


def test_every_status_and_state_has_words() -> None:
    for status in STATUSES:
        assert f"status.{status}" in i18n.WORDS
    for state in ("passed", "failing", "started", "todo"):
        assert f"state.{state}" in i18n.WORDS


def test_every_help_text_of_the_student_and_instructor_commands_is_translated() -> None:
    parser = build_parser("zh")
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    parsers = [parser, *(p for name, p in commands.choices.items() if name != "verify")]
    for p in parsers:
        for action in p._actions:
            if action.help and action.help != argparse.SUPPRESS:
                assert CJK.search(action.help), f"{p.prog} {action.dest}: {action.help}"
    for choice in commands._choices_actions:
        if choice.dest != "verify":
            assert choice.help and CJK.search(choice.help), choice.dest


def test_known_notes_and_argparse_errors_are_translated_and_others_kept() -> None:
    assert i18n.note("3 process(es) left behind by the session were killed", "zh") == (
        "测试会话结束后遗留的 3 个进程已被强制结束"
    )
    assert i18n.note("something new", "zh") == "something new"
    assert i18n.note("3 process(es) left behind by the session were killed", "en").startswith("3")
    assert i18n.argparse_message("unrecognized arguments: --x", "zh") == "无法识别的参数：--x"
    assert i18n.argparse_message("a message nobody knows", "zh") == "a message nobody knows"


def test_lang_in_argv_takes_the_last_valid_one_wherever_it_is() -> None:
    assert i18n.lang_in_argv(["--lang", "zh", "check", "12"]) == "zh"
    assert i18n.lang_in_argv(["check", "12", "--lang=zh"]) == "zh"
    assert i18n.lang_in_argv(["--lang", "zh", "check", "12", "--lang", "en"]) == "en"
    assert i18n.lang_in_argv(["check", "--lang", "fr"]) is None
    assert i18n.lang_in_argv(["check", "--", "--lang", "zh"]) is None


def test_hint_markdown_becomes_styles_and_nothing_else_is_markup() -> None:
    text = inline_markdown(
        "只创建**一把** `multiprocessing.Lock()`，`a * b` 和 [red]x[/red] 照原样"
    )
    assert text.plain == "只创建一把 multiprocessing.Lock()，a * b 和 [red]x[/red] 照原样"
    styled = {text.plain[span.start : span.end]: span.style for span in text.spans}
    assert styled == {
        "一把": STRONG_STYLE,
        "multiprocessing.Lock()": CODE_STYLE,
        "a * b": CODE_STYLE,
    }
    assert (
        inline_markdown("2 * 3 * 4 is *not* emphasis twice").plain
        == "2 * 3 * 4 is not emphasis twice"
    )


def name_columns(output: str, names: list[str]) -> list[int]:
    """The screen column (in cells) where each test name starts on its line."""
    columns = []
    for name in names:
        line = next(line for line in output.splitlines() if name in line)
        columns.append(cell_len(line[: line.index(name)]))
    return columns


def test_check_rows_align_by_display_width_in_both_languages() -> None:
    tests = tuple(
        TestResult(f"test_{status}_case", status, 1.0, message="m") for status in STATUSES
    )
    result = ExerciseResult("01_hostile", tests)
    exercise = load_exercise(Path(__file__).parent / "fixtures/repo/exercises/01_hostile")
    for lang in i18n.LANGS:
        out = io.StringIO()
        render_check(Console(file=out, width=120), exercise, result, lang)
        output = out.getvalue()
        columns = name_columns(output, [t.name for t in tests])
        assert len(set(columns)) == 1, f"{lang}: names start at cells {columns}\n{output}"
        points = [
            cell_len(line)
            for line in output.splitlines()
            if line.endswith("/1") and "_case" in line
        ]
        assert len(points) == len(tests) and len(set(points)) == 1, output


def test_a_phrase_is_put_in_the_language_of_the_text_it_is_part_of() -> None:
    """A module that finds a problem does not know the reader's language: it hands over a
    Phrase, and the words around it choose the language for both."""
    where = i18n.Phrase("roster.line", line=3)
    what = i18n.Phrase("roster.yaml", problem="a tab")
    assert str(what) == "not YAML: a tab"
    said = i18n.Phrase("roster.at", where=where, what=what)
    assert i18n.word("usage.roster", "zh", path="m.yml", what=said).startswith(
        "m.yml：第 3 行：不是合法的 YAML：a tab（"
    )
    assert i18n.word("usage.roster", "en", path="m.yml", what=said).startswith(
        "m.yml: line 3: not YAML: a tab ("
    )
