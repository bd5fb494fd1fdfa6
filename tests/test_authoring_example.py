"""The authoring guide's worked example is a real exercise, and its spec is proved strong."""

from __future__ import annotations

from pathlib import Path

from grader.cli import main

REPO = Path(__file__).parents[1]


def test_the_guide_shows_the_spec_that_runs() -> None:
    guide = (REPO / "docs/authoring.md").read_text(encoding="utf-8")
    spec = (REPO / "tests/fixtures/repo/exercises/05_burn/test_burn.py").read_text()
    assert f"```python\n{spec}```\n" in guide


def test_the_worked_example_is_verified(fixture_repo: Path, capsys) -> None:
    code = main(["--root", str(fixture_repo), "verify", "05", "--repeat", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    for mutant in ("hard_coded", "joined_in_the_loop", "never_joined"):
        assert f"mutant {mutant}: caught 2/2" in out, out
