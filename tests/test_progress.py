"""The points `grader list` shows before an exercise was ever checked are the spec's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog, progress

REPO = Path(__file__).parents[1]

# Collects a spec with pytest and prints the sum of its items' points (1 without a marker).
COLLECT = """
import sys, pytest
class Points:
    total = 0.0
    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("points")
            Points.total += float(marker.args[0]) if marker else 1.0
code = pytest.main([sys.argv[1], "--collect-only", "-q", "-p", "no:cacheprovider",
                    "-W", "ignore::pytest.PytestUnknownMarkWarning"], plugins=[Points()])
print("TOTAL", Points.total, int(code))
"""


@pytest.mark.parametrize("exercise", catalog.load_catalog(REPO / "exercises"), ids=lambda e: e.name)
def test_points_read_from_the_source_are_those_pytest_collects(
    exercise: catalog.Exercise,
) -> None:
    run = subprocess.run(
        [sys.executable, "-c", COLLECT, str(exercise.spec_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=exercise.folder,
    )
    total = next(line for line in run.stdout.splitlines() if line.startswith("TOTAL"))
    assert total == f"TOTAL {progress.spec_points(exercise)} 0", run.stdout + run.stderr


def test_parametrize_multiplies_the_points_of_a_test() -> None:
    source = """
import pytest
CASES = ["a", "b", "c"]

@pytest.mark.points(2)
@pytest.mark.parametrize("case", CASES)
def test_named_list(case): ...

@pytest.mark.parametrize("x", (1, 2))
@pytest.mark.parametrize("y", [3, 4])
def test_two_literals(x, y): ...

@pytest.mark.points(0.5)
def test_plain(): ...

def helper(): ...
"""
    assert progress.points_in_source(source) == 2 * 3 + 4 + 0.5
