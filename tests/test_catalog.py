"""exercise.toml validation: every error names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import catalog
from grader.catalog import CatalogError

GOOD = """\
title = { en = "T", zh = "题" }
topics = ["a"]
seed_section = "s"
timeout = 5

[[hints]]
en = "h"
zh = "提示"
"""


def make(tmp_path: Path, toml: str, name: str = "03_thing") -> Path:
    folder = tmp_path / "exercises" / name
    folder.mkdir(parents=True)
    slug = name.split("_", 1)[1]
    (folder / f"{slug}.py").write_text("")
    (folder / f"test_{slug}.py").write_text("")
    (folder / "exercise.toml").write_text(toml, encoding="utf-8")
    return folder


def test_a_valid_exercise_loads_into_a_frozen_dataclass(tmp_path: Path) -> None:
    ex = catalog.load_exercise(make(tmp_path, GOOD))
    assert (ex.number, ex.slug, ex.name, ex.timeout) == (3, "thing", "03_thing", 5.0)
    assert ex.title.get("zh") == "题" and ex.hints[0].get("en") == "h"
    with pytest.raises(AttributeError):
        ex.timeout = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        (GOOD + "colour = 'red'\n", ["unknown key 'colour'"]),
        (GOOD.replace('seed_section = "s"\n', ""), ["missing key 'seed_section'"]),
        (GOOD.replace("timeout = 5", 'timeout = "5"'), ["'timeout'", "wrong type"]),
        (GOOD.replace("timeout = 5", "timeout = true"), ["'timeout'", "wrong type"]),
        (GOOD.replace("timeout = 5", "timeout = 0"), ["'timeout'", "between"]),
        (GOOD.replace('zh = "提示"', ""), ["hints[0]", "missing key 'zh'"]),
        (
            GOOD.replace(
                'title = { en = "T", zh = "题" }', 'title = { en = "T", fr = "x", zh = "题" }'
            ),
            ["title", "unknown key 'fr'"],
        ),
        (GOOD.replace('topics = ["a"]', "topics = [1]"), ["'topics'"]),
        ("title = [", ["not valid TOML"]),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, toml: str, words: list[str]) -> None:
    folder = make(tmp_path, toml)
    with pytest.raises(CatalogError) as info:
        catalog.load_exercise(folder)
    message = str(info.value)
    assert str(folder / "exercise.toml") in message
    for word in words:
        assert word in message


def test_missing_stub_or_spec_is_named(tmp_path: Path) -> None:
    folder = make(tmp_path, GOOD)
    (folder / "test_thing.py").unlink()
    with pytest.raises(CatalogError, match=r"test_thing\.py: missing file"):
        catalog.load_exercise(folder)


def test_names_resolve_by_folder_slug_or_number(tmp_path: Path) -> None:
    make(tmp_path, GOOD, "03_thing")
    make(tmp_path, GOOD, "12_other")
    exercises = catalog.load_catalog(tmp_path / "exercises")
    assert [e.name for e in exercises] == ["03_thing", "12_other"]
    for name in ("12_other", "other", "12", "exercises/12_other/"):
        assert catalog.find(exercises, name).name == "12_other"
    with pytest.raises(CatalogError, match="no exercise named 'nope'"):
        catalog.find(exercises, "nope")


def test_duplicate_numbers_are_refused(tmp_path: Path) -> None:
    make(tmp_path, GOOD, "03_thing")
    make(tmp_path, GOOD, "03_other")
    with pytest.raises(CatalogError, match="number 03 is also used"):
        catalog.load_catalog(tmp_path / "exercises")


def test_the_real_catalogue_is_valid() -> None:
    exercises = catalog.load_catalog(Path(__file__).parents[1] / "exercises")
    assert exercises, "the repository has exercises"
    for ex in exercises:
        assert 2 <= len(ex.hints) <= 4, f"{ex.name}: 2-4 hints"
        for f in ("README.md", "README.zh-CN.md"):
            assert (ex.folder / f).is_file(), f"{ex.name}: {f}"


def test_a_misnamed_folder_is_an_error_not_left_out(tmp_path: Path) -> None:
    make(tmp_path, GOOD, "03_thing")
    (tmp_path / "exercises" / "4_zombie_avoidance").mkdir()
    (tmp_path / "exercises" / "notes").mkdir()
    (tmp_path / "exercises" / "__pycache__").mkdir()
    (tmp_path / "exercises" / ".hidden").mkdir()
    exercises, problems = catalog.scan(tmp_path / "exercises")
    assert [e.name for e in exercises] == ["03_thing"]
    messages = sorted(str(p) for p in problems)
    assert len(messages) == 2
    assert messages[0].endswith(
        "4_zombie_avoidance: not an exercise folder name: an exercise folder is named NN_slug "
        "(two digits, snake_case): rename it to 04_zombie_avoidance"
    )
    assert messages[1].endswith(
        "notes: not an exercise folder name: an exercise folder is "
        "named NN_slug (two digits, snake_case)"
    )
    with pytest.raises(CatalogError, match="4_zombie_avoidance"):
        catalog.load_catalog(tmp_path / "exercises")
