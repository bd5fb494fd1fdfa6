"""Pairing the jobs of a batch: each job's next exercise is chosen so that a spec that keeps
more than one core busy runs beside one that mostly waits (grader.pairing), from what every
session cost (its wall-clock time and its whole tree's CPU, read when it is reaped).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import fork_child, make_exercise

from grader import grade, pairing, session
from grader.isolation import Deadline, wait_child
from grader.session import Cost, Target

# How each made-up exercise behaves: (cores it keeps busy, seconds a session runs).
BUSY, WAITS, MIDDLE = "07_busy", "04_waits", "21_middle"
HABITS = {BUSY: (1.4, 1000.0), WAITS: (0.2, 1000.0), MIDDLE: (0.8, 1000.0)}


def _exercise(name: str) -> Any:
    return SimpleNamespace(name=name)  # all a lane reads of an exercise


def _taught(habits: dict[str, tuple[float, float]] = HABITS) -> pairing.Pairing:
    """A pairing of two lanes that has measured one session of each exercise."""
    taught = pairing.Pairing()
    lane = taught.lane()
    taught.lane()
    for name, (cores, seconds) in habits.items():
        lane.ended(_exercise(name), Cost(wall=seconds, cpu=cores * seconds))
    return taught


def _all() -> list[Any]:
    return [_exercise(n) for n in (MIDDLE, BUSY, WAITS)]


def test_exercises_not_measured_yet_come_first_in_the_order_given() -> None:
    fresh = pairing.Pairing()
    lane, other = fresh.lane(), fresh.lane()
    other.started(_exercise(BUSY))
    assert lane.pick(_all()).name == MIDDLE, "nothing is known: the order given"
    lane.ended(_exercise(MIDDLE), Cost(wall=2.0, cpu=1.6))
    assert lane.pick(_all()).name == BUSY, "the first one not measured yet"


def test_beside_a_busy_session_a_lane_takes_one_that_waits() -> None:
    taught = _taught()
    lane, other = taught.lanes
    other.started(_exercise(BUSY))
    assert lane.pick(_all()).name == WAITS


def test_beside_a_session_that_waits_a_lane_takes_the_busiest() -> None:
    taught = _taught()
    lane, other = taught.lanes
    other.started(_exercise(WAITS))
    assert lane.pick(_all()).name == BUSY


def test_beside_a_middling_session_a_lane_takes_a_middling_one() -> None:
    taught = _taught()
    lane, other = taught.lanes
    other.started(_exercise(MIDDLE))
    assert lane.pick(_all()).name == MIDDLE


def test_what_the_other_lane_chose_next_counts_once_its_current_session_should_be_over() -> None:
    """The other lane runs a middling spec that should end before this lane's next session
    starts, and has chosen a busy one next: this lane pairs with that one."""
    quick = dict(HABITS, **{MIDDLE: (0.8, 1e-6)})  # a session of it ends at once
    taught = _taught(quick)  # typically 0.8 cores a session: 1.6 for the two lanes
    lane, other = taught.lanes
    other.started(_exercise(MIDDLE))
    assert other.pick([_exercise(BUSY)]).name == BUSY
    lane.started(_exercise(WAITS))  # this lane's current session runs for a long time
    # Beside BUSY (1.4) the lanes want 0.2 more: WAITS. Beside MIDDLE, or beside a session
    # not chosen yet (0.8), it would be MIDDLE.
    assert lane.pick(_all()).name == WAITS


def test_the_other_lanes_current_session_no_longer_counts_if_it_should_end_first() -> None:
    """This lane's next session starts only when its long current one ends; the other lane's
    busy session should be over by then, and its next one is the one that counts."""
    short_busy = dict(HABITS, **{BUSY: (1.4, 10.0)})  # typically 0.5 cores: 1.0 for two
    taught = _taught(short_busy)
    lane, other = taught.lanes
    other.started(_exercise(BUSY))
    assert other.pick([_exercise(WAITS)]).name == WAITS
    lane.started(_exercise(MIDDLE))  # 1000 s long
    # Beside WAITS (0.2) the lanes want 0.8 more: MIDDLE; beside BUSY it would be WAITS.
    assert lane.pick(_all()).name == MIDDLE


def test_a_lane_that_has_not_chosen_yet_counts_as_a_typical_session() -> None:
    quick = dict(HABITS, **{MIDDLE: (0.8, 1e-6)})  # typically 0.8 cores: 1.6 for two
    taught = _taught(quick)
    lane, other = taught.lanes
    other.started(_exercise(MIDDLE))  # over at once; what comes next is not chosen yet
    # Beside a typical session (0.8) the lanes want 0.8 more: MIDDLE; beside nothing, BUSY.
    assert lane.pick(_all()).name == MIDDLE


def test_an_idle_lane_counts_for_nothing() -> None:
    taught = _taught()
    lane, other = taught.lanes
    other.started(_exercise(BUSY))
    other.idle()
    assert lane.pick(_all()).name == BUSY, "alone on the machine: the busiest"


def test_a_session_that_was_killed_teaches_nothing() -> None:
    fresh = pairing.Pairing()
    lane = fresh.lane()
    lane.ended(_exercise(BUSY), None)
    assert not fresh.measured and fresh.typical() == 1.0
    with pytest.raises(ValueError):
        lane.pick([])


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_cpu_of_a_reaped_child_includes_what_its_own_children_used() -> None:
    def reaps_a_burner() -> None:  # a child that reaps a grandchild which burns 0.3 s
        os.waitpid(fork_child(lambda: _burn(0.3)), 0)

    pid = fork_child(reaps_a_burner)
    cpu: list[float] = []
    assert wait_child(pid, Deadline(60.0), cpu=cpu) is not None
    assert len(cpu) == 1 and cpu[0] >= 0.29, cpu


BURNS = """
import os
import time


def test_burns_in_a_child():
    pid = os.fork()
    if pid == 0:
        end = time.process_time() + 0.3
        while time.process_time() < end:
            pass
        os._exit(0)
    os.waitpid(pid, 0)
"""


def _make(root: Path, name: str, spec: str) -> Any:
    return make_exercise(root, name, spec, timeout=30)


def test_a_session_that_ends_by_itself_costs_its_whole_trees_cpu(tmp_path: Path) -> None:
    exercise = _make(tmp_path, "01_burn", BURNS)
    prepared = session.prepare_exercise(exercise, Target(tmp_path / "exercises", tmp_path))
    result = prepared.result()
    assert [t.status for t in result.tests] == ["passed"], result
    assert prepared.cost is not None and prepared.cost.cpu >= 0.29, prepared.cost
    assert prepared.cost.wall > 0


def test_a_session_that_was_abandoned_has_no_cost(tmp_path: Path) -> None:
    exercise = _make(tmp_path, "01_burn", BURNS)
    prepared = session.prepare_exercise(exercise, Target(tmp_path / "exercises", tmp_path))
    prepared.abandon()
    assert prepared.cost is None


class LastFirst:
    """A lane that runs the exercises last to first, and notes what it was told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []

    def pick(self, remaining: list[Any]) -> Any:
        return remaining[-1]

    def started(self, exercise: Any) -> None:
        self.told.append(("started", exercise.name))

    def ended(self, exercise: Any, cost: Cost | None) -> None:
        self.told.append(("ended", exercise.name if cost is not None else "no cost"))

    def idle(self) -> None:
        self.told.append(("idle", ""))


def test_grading_in_turn_runs_in_the_lanes_order_and_returns_the_order_given(
    tmp_path: Path,
) -> None:
    exercises = [_make(tmp_path, f"0{n}_burn", BURNS) for n in (1, 2, 3)]
    lane = LastFirst()
    graded = grade.grade(exercises, Target(tmp_path / "exercises", tmp_path), 1, "en", lane)  # type: ignore[arg-type]
    assert [r.name for r in graded.results] == ["01_burn", "02_burn", "03_burn"]
    assert all(t.status == "passed" for r in graded.results for t in r.tests), graded
    assert lane.told == [
        ("started", "03_burn"),
        ("ended", "03_burn"),
        ("started", "02_burn"),
        ("ended", "02_burn"),
        ("started", "01_burn"),
        ("ended", "01_burn"),
        ("idle", ""),
    ]
