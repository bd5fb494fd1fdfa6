"""The session's results for the supervisor: one signed JSON line per event.

Registered as a plugin object by grader.plugin's ``pytest_configure`` when the supervisor
passes ``--grader-results`` and the key's descriptor. It appends to the results file, which
the supervisor owns (it made it, reads it, and removes it); it opens and closes the file for
each line, so nothing of it is open while a test runs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

from grader import secret
from grader.marks import MESSAGE_KEY, STATUS_KEY, hard_deadline, points
from grader.results import TestResult
from grader.trim import head_tail, tail

OUTPUT_LIMIT = 64 * 1024  # characters of a test's output kept in its result


class Recorder:
    """Writes one signed JSON line per event to the results file the supervisor reads.

    Lines: ``note`` (what the session could not set up), ``collected`` (the test names and
    points, in file order), ``started`` and then ``test`` per test (``started`` carries the
    test's hard deadline, for live progress), ``collect_error``, and ``finished``. Each
    is ``<hex HMAC> <json>`` under the key the supervisor passed through an inherited pipe, so
    no student process can forge one.
    """

    def __init__(self, path: str, key: bytearray, notes: list[str]) -> None:
        self.path = path
        self.key = key
        self.notes = notes
        self.points: dict[str, float] = {}
        self.names: dict[str, str] = {}
        self.deadlines: dict[str, float] = {}
        self.hidden: set[str] = set()
        self.phases: dict[str, list[pytest.TestReport]] = {}
        self.started: dict[str, float] = {}

    def _emit(self, record: dict[str, Any]) -> None:
        line = secret.sign_line(self.key, json.dumps(record, ensure_ascii=False))
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.points[item.nodeid] = points(item)
            self.names[item.nodeid] = item.name
            self.deadlines[item.nodeid] = hard_deadline(item)
            if item.get_closest_marker("hidden") is not None:
                self.hidden.add(item.nodeid)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for note in self.notes:
            self._emit({"type": "note", "message": note})
        tests = [
            {
                "name": self.names[i.nodeid],
                "max_score": self.points[i.nodeid],
                "hidden": i.nodeid in self.hidden,
            }
            for i in session.items
        ]
        self._emit({"type": "collected", "tests": tests})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._emit({"type": "collect_error", "message": tail(report.longreprtext, 4000)})

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.started[nodeid] = time.monotonic()
        self.phases[nodeid] = []
        name, deadline = self.names.get(nodeid, nodeid), self.deadlines.get(nodeid)
        self._emit({"type": "started", "name": name, "deadline": deadline})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.phases.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        reports = self.phases.pop(nodeid, [])
        now = time.monotonic()
        started = self.started.pop(nodeid, now)
        result = summarise(
            self.names.get(nodeid, nodeid), self.points.get(nodeid, 1.0), reports, now - started
        )
        result = dataclasses.replace(result, hidden=nodeid in self.hidden)
        # When it started, on the monotonic clock the supervisor shares (one machine): the
        # supervisor counts the test's start_s from the moment it let the tests run.
        self._emit({"type": "test", **result.to_json(), "started_at": started})

    def pytest_sessionfinish(self) -> None:
        self._emit({"type": "finished"})


def summarise(
    name: str, max_score: float, reports: list[pytest.TestReport], duration: float
) -> TestResult:
    """Fold the setup/call/teardown reports of one test into its TestResult."""
    status, message = "passed", ""
    for report in reports:
        props = dict(report.user_properties)
        if report.failed:
            status = str(props.get(STATUS_KEY, "failed" if report.when == "call" else "error"))
            message = str(props.get(MESSAGE_KEY, report.longreprtext))
            if report.when == "teardown" and status == "failed":
                status = "error"
            break
        if report.skipped:
            status, message = "error", f"skipped: {report.longreprtext}"
            break
    output_parts = []
    for report in reports:
        for title, text in report.sections:
            output_parts.append(f"--- {title} ---\n{text}")
        if report.failed and report.longreprtext:
            output_parts.append(f"--- {report.when} ---\n{report.longreprtext}")
    output = head_tail("\n".join(output_parts), OUTPUT_LIMIT)
    return TestResult(
        name=name,
        status=status,
        max_score=max_score,
        message=message,
        output=output,
        duration_s=round(duration, 4),
        # What the spec itself took: pytest times each phase inside the test process, so
        # duration_s minus this is the test's isolation (its process, report and sweeps).
        spec_s=round(sum(report.duration for report in reports), 4),
    )
