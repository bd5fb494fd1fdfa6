"""Reading whose each submission folder is from a Gradescope export's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import roster
from grader.roster import Submitter

# As Gradescope writes it (Ruby's YAML): symbols as keys, times to the nanosecond, Ruby objects
# tagged, ids quoted or not (0012 unquoted: YAML 1.1 would read the number 10), a group.
EXPORT = Path(__file__).parent / "fixtures" / "gradescope" / roster.METADATA


def _export(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / roster.METADATA
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_each_folder_gets_its_submitters_as_the_export_wrote_them() -> None:
    assert roster.read(EXPORT.parent) == {
        "submission_101": (Submitter("Jane Doe", "1234", "jane@example.edu"),),
        "submission_102": (
            Submitter("张三", "0012", "zhang@example.edu"),  # as written: not the number 10
            Submitter("=HYPERLINK(1)", "0013", ""),
        ),
        "submission_104": (),
    }


def test_a_value_is_the_text_written_not_what_yaml_would_make_of_it(tmp_path: Path) -> None:
    text = "s_1:\n  :submitters:\n  - :name: No\n    :sid: 2026-12-07\n    :email: 1.5\n"
    assert roster.read(_export(tmp_path, text)) == {"s_1": (Submitter("No", "2026-12-07", "1.5"),)}


def test_plain_keys_do_as_well_as_rubys_symbols(tmp_path: Path) -> None:
    text = "sub_1:\n  submitters:\n  - name: Ann\n    sid: '7'\n"
    assert roster.read(_export(tmp_path, text)) == {"sub_1": (Submitter("Ann", "7", ""),)}


def test_no_metadata_or_an_empty_one_names_nobody(tmp_path: Path) -> None:
    assert roster.read(tmp_path) == {}
    assert roster.read(_export(tmp_path, "")) == {}


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (
            "submission_1:\n  :submitters: [\n",
            "line 3, column 1",
            "not YAML: expected the node content",
        ),
        ("- submission_1\n", "", "not a mapping of submission folders"),
        ("~:\n  :submitters: []\n", "", "a key that is not a folder's name"),
        ("submission_1:\n  :score: 5\n", "submission_1", "has no :submitters: list"),
        ("submission_1: 5\n", "submission_1", "has no :submitters: list"),
        ("s_1:\n  :submitters: Jane\n", "s_1: :submitters:", "is not a list"),
        ("s_1:\n  :submitters:\n  - Jane\n", "s_1: :submitters: item 1", "is not a mapping"),
        (b"s_1:\n  :submitters:\n  - :name: \xd5\xc5\n", "line 3", "not UTF-8"),
        ("s_1:\n  :submitters:\n  - :sid: [1, 2]\n", "s_1: :submitters: item 1: :sid:", "is not"),
    ],
)
def test_a_bad_metadata_file_says_where_and_what(
    tmp_path: Path, text: str | bytes, where: str, what: str
) -> None:
    root = _export(tmp_path, text)
    with pytest.raises(roster.RosterProblem) as raised:
        roster.read(root)
    assert raised.value.path == root / roster.METADATA
    assert str(raised.value.where) == where
    assert str(raised.value.what).startswith(what), raised.value.what


def test_a_metadata_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    (tmp_path / roster.METADATA).mkdir()  # unreadable as a file, for root too
    with pytest.raises(roster.RosterProblem) as raised:
        roster.read(tmp_path)
    assert str(raised.value) == f"{tmp_path / roster.METADATA}: cannot read it: Is a directory"


def test_a_name_made_of_nested_aliases_is_refused_not_expanded(tmp_path: Path) -> None:
    """YAML's aliases share one list: a few lines can make a value that, written out as
    text, would be billions of items long (the "billion laughs"). Only text is taken."""
    lines = ["s_1:", "  :laughs:", "    a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"    a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    lines += ["  :submitters:", "  - :name: *a8"]
    with pytest.raises(roster.RosterProblem) as raised:
        roster.read(_export(tmp_path, "\n".join(lines) + "\n"))
    assert str(raised.value.where) == "s_1: :submitters: item 1: :name:"


def test_nothing_in_the_file_can_run_code(tmp_path: Path) -> None:
    """A Python tag is plain data to this loader, as any tag the grader does not know."""
    ran = tmp_path / "ran"
    text = f"s_1:\n  :submitters:\n  - :name: !!python/object/apply:os.mkdir ['{ran}']\n"
    with pytest.raises(roster.RosterProblem) as raised:
        roster.read(_export(tmp_path, text))
    assert str(raised.value.what) == "is not text"  # a list of one text, as data
    assert not ran.exists()
