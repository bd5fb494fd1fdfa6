"""`grader grade`: grade a whole submission, several exercises at a time, with trusted specs.

The specs, ``exercise.toml`` and everything else a spec needs come from the trusted folder
(``--spec-from``, an instructor's pristine copy; default the repository's own exercises/).
From the target only each exercise's one student module is taken (see session.stage).
"""

from __future__ import annotations

import filecmp
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from grader import session, submitted
from grader.catalog import Exercise
from grader.results import ExerciseResult, Grading
from grader.session import Target, run_exercise

SPEC_MODIFIED = "spec modified in the submission; graded with the trusted spec"


def spec_modified(exercise: Exercise, target: Target) -> bool:
    """True if the submission has its own copy of the spec and it differs from the trusted one.

    Only a copy inside the submission counts: the judge compares no file a link leads to,
    and a copy it may not read (a zip keeps its files' modes) is not reported."""
    theirs = target.folder / exercise.name / exercise.spec_file
    try:
        return (
            theirs.is_file()
            and submitted.inside(theirs, target.folder)
            and not filecmp.cmp(theirs, exercise.spec_path, shallow=False)
        )
    except OSError:  # Path.is_file raises when a folder on the way may not be searched
        return False


def grade_one(exercise: Exercise, target: Target, lang: str = "en") -> ExerciseResult:
    return _noted(exercise, target, run_exercise(exercise, target, lang=lang))


def _noted(exercise: Exercise, target: Target, result: ExerciseResult) -> ExerciseResult:
    if spec_modified(exercise, target):
        result = replace(result, notes=(*result.notes, SPEC_MODIFIED))
    return result


def grade_in_turn(
    exercises: list[Exercise],
    target: Target,
    lang: str = "en",
    first: session.PreparedSession | None = None,
    then: Callable[[], object] | None = None,
) -> Grading:
    """Grade ``exercises`` one session at a time, each next session prepared (pytest started,
    its spec collected) while the one before it runs its tests: on two cores that start
    costs the grading nothing. Every session is ended here, whatever happens.

    ``first``: the session of ``exercises[0]``, prepared already by the caller (it is ours to
    end from this call on). ``then()`` is called once, when the last session has been let
    run, so that the caller can prepare what comes next while it runs; it must not raise."""
    started = time.monotonic()
    waiting = list(exercises)  # not prepared yet
    if first is not None and (not waiting or first.exercise != waiting[0]):
        first.abandon()
        raise ValueError(f"the session prepared ahead is not {exercises[:1]}'s")
    if first is not None:
        waiting.pop(0)
    following = first
    if following is None and waiting:
        following = session.prepare_exercise(waiting.pop(0), target, lang=lang)
    results: list[ExerciseResult] = []
    try:
        while following is not None:
            current, following = following, None
            try:
                current.go()
                if waiting:
                    following = session.prepare_exercise(waiting.pop(0), target, lang=lang)
                elif then is not None:
                    then()
            except BaseException:
                current.abandon()
                raise
            results.append(_noted(current.exercise, target, current.result()))
    finally:
        if following is not None:  # the run stopped (Ctrl-C, say) before it could go
            following.abandon()
    return Grading(tuple(results), time.monotonic() - started)


def grade(exercises: list[Exercise], target: Target, jobs: int, lang: str = "en") -> Grading:
    """Grade ``exercises`` from ``target``, ``jobs`` sessions at a time; results in given order."""
    if jobs <= 1:
        return grade_in_turn(exercises, target, lang)
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(grade_one, ex, target, lang) for ex in exercises]
        results = tuple(f.result() for f in futures)
    except KeyboardInterrupt:
        # Ctrl-C: kill every running session; the worker threads sweep and reap their trees,
        # and are waited for, so nothing of the run is left when this returns.
        session.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return Grading(results, time.monotonic() - started)


def trusted_exercises_dir(spec_from: Path) -> Path:
    """``--spec-from`` may name a repository (with exercises/) or an exercises-like folder."""
    return spec_from / "exercises" if (spec_from / "exercises").is_dir() else spec_from
