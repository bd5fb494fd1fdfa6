"""``grader check`` pays for a hang once: later tests that call the same function are not run.

A student's infinite loop made every test that calls the function wait its whole deadline in
turn (a minute and a half for one bug). With ``--grader-fast-hangs`` (``grader check`` and
``watch`` only; ``grade`` and ``verify`` need every verdict) the session remembers, in a
:class:`Memory`, each student function whose call timed out in a test that then did not pass,
and the ``student`` fixture of every later test refuses to call it again: the test ends at
once with the status ``skipped`` ("not run: fix the hang in bump() first"), which is not a pass.

The flow, all in trusted processes: the test process's :class:`~grader.sandbox.Student` lists
the runs that timed out; the fixture puts them on the test's report (:data:`HUNG_KEY`, signed
with the rest of the report); the session process's :class:`Memory` reads them when the test
finishes; the next test process is forked with that memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from grader.messages import Msg

HUNG_KEY = "grader_hung"  # user property: [[key, label, function], ...]


@dataclass(frozen=True)
class Hang:
    """A run of student code that timed out: what it called, and where (``test``)."""

    key: str  # what a later run must match to be skipped (see key_of)
    label: str  # how messages named the run, e.g. "bump(3)"
    function: str = ""  # the student's function, for a direct call ("" for a scenario)
    test: str = ""  # the test in which it hung (filled in by the session)

    def to_json(self) -> list[str]:
        return [self.key, self.label, self.function]


def key_of(function: str | None, scenario: Callable[..., object] | None) -> str:
    """What identifies "the same call" across tests: the function's name, or the scenario's."""
    if function is not None:
        return function
    where = getattr(scenario, "__module__", "?")
    return f"scenario {where}.{getattr(scenario, '__qualname__', '?')}"


def skip_message(hang: Hang) -> Msg:
    """Why a test was not run, and what to do about it."""
    if hang.function:
        fn = f"{hang.function}()"
        return Msg(
            f"not run: {hang.label} did not return in time in {hang.test}, and this test calls "
            f"{fn} too. Fix the hang in {fn} first, then check again",
            f"未运行：{hang.label} 在 {hang.test} 中没有在限时内返回，这个测试也要调用 {fn}。"
            f"请先解决 {fn} 卡住不返回的问题，再重新检查",
        )
    return Msg(
        f"not run: {hang.label} did not return in time in {hang.test}, and this test runs it "
        "too. Fix that hang first, then check again",
        f"未运行：{hang.label} 在 {hang.test} 中没有在限时内返回，这个测试也要运行它。"
        "请先解决那里卡住不返回的问题，再重新检查",
    )


class Memory:
    """The session's memory of hangs (a pytest plugin object in the session process).

    Only a test that did not pass teaches it: a spec that expects a call to time out (and
    passes) does not make later tests skip that function.
    """

    def __init__(self) -> None:
        self._known: dict[str, Hang] = {}
        self._pending: dict[str, list[Hang]] = {}
        self._failed: set[str] = set()

    def known(self) -> dict[str, Hang]:
        """Hangs so far, by key (a copy: the test process gets it when it is forked)."""
        return dict(self._known)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._failed.add(report.nodeid)
        test = report.nodeid.rpartition("::")[2]
        for name, value in report.user_properties:
            if name != HUNG_KEY or not isinstance(value, list):
                continue
            for entry in value:
                if (
                    isinstance(entry, list)
                    and len(entry) == 3
                    and all(isinstance(part, str) for part in entry)
                ):
                    key, label, function = entry
                    self._pending.setdefault(report.nodeid, []).append(
                        Hang(key, label, function, test)
                    )

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        pending = self._pending.pop(nodeid, [])
        if nodeid in self._failed:
            self._failed.discard(nodeid)
            for hang in pending:
                self._known.setdefault(hang.key, hang)
