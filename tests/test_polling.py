"""The pace of grader.polling: backing off by default, fixed where a gate must open at once."""

from __future__ import annotations

import pytest

from grader import polling


def _paces(monkeypatch: pytest.MonkeyPatch, calls: int, **pace: float) -> list[float]:
    """The sleeps a poll takes before a condition that holds on its ``calls``-th look."""
    slept: list[float] = []
    monkeypatch.setattr(polling.time, "sleep", slept.append)
    looks = iter(range(1, calls + 1))
    assert polling.holds_within(lambda: next(looks) == calls, 3600.0, **pace)
    return slept


def test_a_poll_backs_off_to_50_ms(monkeypatch: pytest.MonkeyPatch) -> None:
    slept = _paces(monkeypatch, 9)
    assert slept == pytest.approx([0.002, 0.004, 0.008, 0.016, 0.032, 0.05, 0.05, 0.05])


def test_a_poll_with_a_fixed_pace_never_slows_down(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _paces(monkeypatch, 6, max_interval=0.002) == pytest.approx([0.002] * 5)


def test_the_pace_never_goes_below_the_first_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(polling.time, "sleep", slept.append)
    looks = iter(range(4))
    polling.wait_until(lambda: next(looks) == 3, 3600.0, interval=0.01, max_interval=0.001)
    assert slept == pytest.approx([0.01] * 3)
