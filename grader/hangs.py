"""``grader check`` pays for a hang once: later tests that make the same call are not run.

A student's infinite loop made every test that calls the function wait its whole deadline in
turn (a minute and a half for one bug). With ``--grader-fast-hangs`` (``grader check`` and
``watch`` only; ``grade`` and ``verify`` need every verdict) the session remembers, in a
:class:`Memory`, each call that timed out in a test that then did not pass, and the
``student`` fixture of every later test refuses to make the same call again: the test ends at
once with the status ``skipped`` ("not run: fix the hang in bump() first"), not a pass.

"The same call" (:func:`find`) is a call of a student function that hung before, whatever its
arguments — called directly, named by a string argument of a scenario (specs pass the
function's name to a generic scenario: ``_call(module, "parallel_map", ...)``), or called by
name in a scenario's code (``module.bump(...)``) — or a run of the same scenario with the same
string arguments. A scenario's hang is put on the student function its main thread had
entered, when the stack dump says so. A started function (a server, ``start`` /
``start_scenario``) that makes such a call is skipped too. A start is remembered only when
the spec says its own deadline passed (``Running.time_out()``): otherwise how long it runs is
the spec's business.

The flow, all in trusted processes: the test process's :class:`~grader.sandbox.Student` lists
the runs that timed out; the fixture puts them on the test's report (:data:`HUNG_KEY`, signed
with the rest of the report); the session process's :class:`Memory` reads them when the test
finishes; the next test process is forked with that memory.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from grader.messages import Msg

HUNG_KEY = "grader_hung"  # user property: [[key, label, function], ...]


@dataclass(frozen=True)
class Hang:
    """A run of student code that timed out, and the test in which it did."""

    key: str  # what a later run must match to be skipped (see key_of)
    label: str  # how messages named the run, e.g. "bump(3)"
    function: str = ""  # the student's function to fix ("" if the sandbox did not say)
    test: str = ""  # filled in by the session

    def to_json(self) -> list[str]:
        return [self.key, self.label, self.function]


def key_of(
    function: str | None,
    scenario: Callable[..., object] | None,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
) -> str:
    """What identifies a run: the function's name, or the scenario's and its string arguments."""
    if function is not None:
        return function
    name = f"{getattr(scenario, '__module__', '?')}.{getattr(scenario, '__qualname__', '?')}"
    return " ".join(["scenario", name, *_strings(args, kwargs)])


def find(
    known: Mapping[str, Hang],
    function: str | None,
    scenario: Callable[..., object] | None,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
) -> Hang | None:
    """The earlier hang that makes this run "the same call" (see the module's docstring)."""
    same = known.get(key_of(function, scenario, args, kwargs))
    if same is not None:
        return same
    hung = {hang.function: hang for hang in reversed(list(known.values())) if hang.function}
    if function is not None:
        named = [function]
    else:  # named by a string argument, or called by name in the scenario's code
        named = [*_strings(args, kwargs, keys=False), *sorted(names_used(scenario))]
    return next((hung[name] for name in named if name in hung), None)


def names_used(code_owner: object) -> set[str]:
    """The attribute and global names a function's code (nested functions included) uses:
    a scenario that calls ``module.bump(...)`` uses ``bump``."""
    code = getattr(code_owner, "__code__", None)
    found: set[str] = set()
    stack = [code] if isinstance(code, types.CodeType) else []
    while stack:
        current = stack.pop()
        found.update(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return found


def _strings(
    args: tuple[Any, ...], kwargs: Mapping[str, Any] | None, keys: bool = True
) -> list[str]:
    named = [a for a in args if isinstance(a, str)]
    for key, value in sorted((kwargs or {}).items()):
        if isinstance(value, str):
            named.append(f"{key}={value}" if keys else value)
    return named


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
        "again. Fix that hang first, then check again",
        f"未运行：{hang.label} 在 {hang.test} 中没有在限时内返回，这个测试会再次运行它。"
        "请先解决那里卡住不返回的问题，再重新检查",
    )


class Memory:
    """The session's memory of hangs (a pytest plugin object in the session process).

    Only a test that did not pass teaches it: a spec that expects a call to time out (and
    passes) does not make later tests skip that call.
    """

    def __init__(self) -> None:
        self._known: dict[str, Hang] = {}
        self._pending: dict[str, list[Hang]] = {}
        self._failed: set[str] = set()

    def known(self) -> dict[str, Hang]:
        """Hangs so far, by key (a copy: the test process gets it when it is forked)."""
        return dict(self._known)

    def to_json(self) -> list[list[str]]:
        """Hangs so far, for a test process forked before they were known (the launcher's)."""
        return [[*hang.to_json(), hang.test] for hang in self._known.values()]

    def adopt(self, known: list[list[str]]) -> None:
        """In a test process: take the session's hangs (from :meth:`to_json`) as known."""
        self._known = {entry[0]: Hang(*entry[:4]) for entry in known if len(entry) == 4}

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
                    hang = Hang(key, label, function, test)
                    self._pending.setdefault(report.nodeid, []).append(hang)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        pending = self._pending.pop(nodeid, [])
        if nodeid in self._failed:
            self._failed.discard(nodeid)
            for hang in pending:
                self._known.setdefault(hang.key, hang)
