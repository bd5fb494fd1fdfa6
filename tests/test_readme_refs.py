"""README references in spec messages name headings that exist."""

from __future__ import annotations

from pathlib import Path

from grader import catalog, readme_refs

README = """\
# 09 · Title

## The API

```text
## Not a heading: inside a fence
```

### `wait()` and statuses ###

## Part 1 — reap every child
"""

README_ZH = "# 标题\n\n## 接口\n"

SPEC = '''\
"""Spec."""

SECTION = "README: 'Protocol' and 'The API'"


def test_one(student):
    assert False, (
        "joined by Python (README: 'Part 1 — reap "
        "every child')"
    )


def test_two(student, name):
    assert False, f"{name} went wrong (README: 'Not a heading: inside a fence')"


def test_three(student, en, zh):
    assert False, f"(README: '{en}' / README.zh-CN:「{zh}」) and README: \\"wait() and statuses\\""


def test_four(student):
    assert False, "README.zh-CN.md: '接口' 和 '接囗'"
'''


def exercise(tmp_path: Path) -> catalog.Exercise:
    folder = tmp_path / "09_thing"
    folder.mkdir()
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "README.zh-CN.md").write_text(README_ZH, encoding="utf-8")
    (folder / "test_thing.py").write_text(SPEC, encoding="utf-8")
    title = catalog.Text("T", "题")
    return catalog.Exercise(9, "thing", folder, title, (), "s", 5.0, (title,))


def test_headings_are_atx_headings_outside_fences_with_and_without_markup() -> None:
    assert readme_refs.headings(README) == {
        "09 · Title",
        "The API",
        "`wait()` and statuses",
        "wait() and statuses",
        "Part 1 — reap every child",
    }


def test_references_take_every_quoting_and_lists() -> None:
    text = "(README: 'A' and \"B\", 'C') then README.zh-CN:「甲」、「乙」 and README.md: 'D'"
    found = [(r.readme, r.heading) for r in readme_refs.references(text, "here")]
    assert found == [
        ("README.md", "A"),
        ("README.md", "B"),
        ("README.md", "C"),
        ("README.zh-CN.md", "甲"),
        ("README.zh-CN.md", "乙"),
        ("README.md", "D"),
    ]


def test_check_names_each_missing_heading_once_with_where_and_a_guess(tmp_path: Path) -> None:
    ex = exercise(tmp_path)
    checked, problems = readme_refs.check(ex)
    # Protocol, The API, Part 1, Not a heading, wait() and statuses, 接口, 接囗; the
    # f-string holes ('{en}', 「{zh}」) cannot be checked before the message exists.
    assert checked == 7
    assert problems == [
        "README reference 'Protocol' (test_thing.py line 3): README.md has no such heading",
        "README reference 'Not a heading: inside a fence' (test_thing.py line 14): README.md "
        "has no such heading",
        "README reference '接囗' (test_thing.py line 22): README.zh-CN.md has no such heading; "
        "did you mean '接口'?",
    ]


def test_messages_from_runs_are_checked_too(tmp_path: Path) -> None:
    ex = exercise(tmp_path)
    messages = [("test_three", "(README: 'The APl' / README.zh-CN:「接口」)")]
    _, problems = readme_refs.check(ex, messages)
    assert (
        "README reference 'The APl' (a message of test_three): README.md has no such heading; "
        "did you mean 'The API'?"
    ) in problems


def test_the_real_specs_name_only_existing_headings() -> None:
    for ex in catalog.load_catalog(Path(__file__).parents[1] / "exercises"):
        assert readme_refs.check(ex)[1] == [], ex.name


def test_chinese_references_are_looked_up_in_the_chinese_readme() -> None:
    found = readme_refs.references(
        "（见 README：'同时运行'） (README: 'At once') README.zh-CN:「善后」 README: 「协议」", "x"
    )
    assert [(r.readme, r.heading) for r in found] == [
        ("README.zh-CN.md", "同时运行"),
        ("README.md", "At once"),
        ("README.zh-CN.md", "善后"),
        ("README.zh-CN.md", "协议"),
    ]
