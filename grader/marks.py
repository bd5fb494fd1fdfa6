"""What every side of a grading session agrees on about a test: its marks, its time budgets,
the keys its reports carry the grader's verdict under, and the keys of the session's stash.

Read by the session's hooks (:mod:`grader.plugin`), the judge of each test
(:mod:`grader.judge`), the test process (:mod:`grader.forked`) and the results for the
supervisor (:mod:`grader.recorder`). Nothing here owns a process, a pipe or a file; what the
stash holds is owned as each key says.
"""

from __future__ import annotations

import pytest

from grader import hangs, launcher
from grader.sandbox_child import Identity

DEFAULT_DEADLINE = 10.0  # seconds: a test's hard wall-clock limit unless its exercise says

# A report's user properties the grader adds (reports travel as JSON, so plain strings).
STATUS_KEY = "grader_status"  # a failing phase's verdict: failed, error, timeout, todo...
MESSAGE_KEY = "grader_message"  # what the student reads about a failing phase
KILLED_KEY = "grader_killed"  # the processes the test left behind, as the grader named them

# The session's stash (``config.stash``), set up by grader.plugin's pytest_configure.
IDENTITY = pytest.StashKey[Identity | None]()
"""The sandboxes' uid and view of the files (root only). Its view's descriptor is the
session's, closed by grader.plugin's pytest_unconfigure."""
SCRATCH = pytest.StashKey[str]()
"""Where each test's working folder is made. Removed at the session's end only if the
session made it itself (run by hand); the supervisor's is the supervisor's."""
NOTES = pytest.StashKey[list[str]]()
"""What the supervisor should tell about this session (a weaker isolation, say)."""
HANGS = pytest.StashKey[hangs.Memory]()
"""With --grader-fast-hangs: the calls that hung so far (a plugin object of the session)."""
LAUNCHER = pytest.StashKey[launcher.Launcher | None]()
"""The launcher that forks the test processes (None: the session forks them). Made at the
first test by grader.judge, which also closes it (:func:`grader.judge.close`)."""
GATE = pytest.StashKey[int]()
"""With --grader-gated: the key's descriptor, read once more before the tests run, then
closed (grader.plugin's pytest_runtestloop)."""


def budgets(hard: float) -> tuple[float, float]:
    """(soft timeout inside the test process, default deadline of one student call), for a
    test whose hard deadline is ``hard`` seconds: each leaves the next one a margin."""
    margin = max(0.5, 0.1 * hard)
    return hard - margin, max(0.5, hard - 2 * margin)


def hard_deadline(item: pytest.Item) -> float:
    """The test's hard wall-clock limit: its ``deadline`` mark, or the exercise's timeout."""
    marker = item.get_closest_marker("deadline")
    if marker is not None and marker.args:
        return float(marker.args[0])
    value = item.config.getoption("grader_timeout")
    return float(value) if value else DEFAULT_DEADLINE


def points(item: pytest.Item) -> float:
    """What the test is worth: its ``points`` mark, or 1."""
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker is not None and marker.args else 1.0


def add_soft_timeouts(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each test without a ``timeout`` mark of its own pytest-timeout's soft limit,
    inside its test process and below its hard deadline (when pytest-timeout is loaded)."""
    manager = config.pluginmanager
    if not (manager.has_plugin("timeout") or manager.has_plugin("pytest_timeout")):
        return
    for item in items:
        if item.get_closest_marker("timeout") is None:
            soft, _ = budgets(hard_deadline(item))
            item.add_marker(pytest.mark.timeout(soft, method="signal", func_only=True))
