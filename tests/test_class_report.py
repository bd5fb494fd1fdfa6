"""report.html of `grader batch`: what it counts, that it escapes what students wrote, and that a
real headless browser renders it without the network."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from grader.catalog import Exercise
from grader.report import class_report

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
HOSTILE = '<script>alert("x")</script><img src="http://example.invalid/x.png">'


def _exercise(name: str) -> Exercise:
    slug = name.split("_", 1)[1]
    return Exercise(int(name[:2]), slug, Path(name), None, (), "", 10.0, ())  # type: ignore[arg-type]


def _record(
    student: str,
    tests: dict[str, list[tuple[str, str, str]]],
    seconds: float = 1.0,
    error: str = "",
) -> dict[str, Any]:
    exercises = []
    for name, rows in tests.items():
        exercises.append(
            {
                "name": name,
                "tests": [
                    {
                        "name": t,
                        "status": s,
                        "message": m,
                        "score": 1 if s == "passed" else 0,
                        "max_score": 1,
                    }
                    for t, s, m in rows
                ],
            }
        )
    score = sum(t["score"] for e in exercises for t in e["tests"])
    top = sum(t["max_score"] for e in exercises for t in e["tests"])
    return {
        "student": {"id": student, "seconds": seconds, "error": error},
        "exercises": exercises,
        "score": score,
        "max_score": top,
    }


EXERCISES = [_exercise("01_add"), _exercise("02_twice")]
RECORDS = [
    _record(
        "alice",
        {
            "01_add": [("test_a", "passed", ""), ("test_b", "passed", "")],
            "02_twice": [("test_c", "passed", "")],
        },
        seconds=3.0,
    ),
    _record(
        "bob",
        {
            "01_add": [("test_a", "passed", ""), ("test_b", "failed", "add(-2, -3) is -5\nmore")],
            "02_twice": [("test_c", "todo", "")],
        },
        seconds=9.5,
    ),
    _record(
        HOSTILE,
        {
            "01_add": [("test_a", "failed", HOSTILE), ("test_b", "failed", "add(-2, -3) is -5")],
            "02_twice": [("test_c", "failed", "twice(4) is 8")],
        },
    ),
    _record("carol", {}, error="the grader failed on this submission: RuntimeError: x"),
]


def test_the_numbers_of_the_class() -> None:
    assert class_report.distribution(RECORDS) == [1, 0, 0, 1, 0, 0, 0, 0, 0, 1]  # 0, 33, 100 %
    rates = [
        (r.exercise, r.test, r.passed, r.runs) for r in class_report.test_rates(RECORDS, EXERCISES)
    ]
    assert rates == [
        ("01_add", "test_a", 2, 3),
        ("01_add", "test_b", 1, 3),
        ("02_twice", "test_c", 1, 3),
    ]
    failures = class_report.common_failures(RECORDS)
    assert failures["01_add"][0] == ("test_b: add(-2, -3) is -5", 2)  # first lines, counted
    assert failures["02_twice"] == [("test_c: todo", 1), ("test_c: twice(4) is 8", 1)]


def test_what_students_wrote_is_only_ever_text() -> None:
    page = class_report.render(RECORDS, EXERCISES)
    assert "<script>alert" not in page and "<img src" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 1  # the page's own, with its nonce
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy and "default-src 'none'" in policy.group(1)
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy.group(1))
    assert nonce and f'<script nonce="{nonce.group(1)}">' in page


def test_the_report_speaks_chinese() -> None:
    page = class_report.render(RECORDS, EXERCISES, "zh")
    assert '<html lang="zh-CN">' in page and "全班成绩报告" in page and "每个测试的通过率" in page


def _browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def test_a_headless_browser_renders_every_chart(tmp_path: Path) -> None:
    """The page's own script counts the charts and bars the browser built from the SVG."""
    browser = _browser()
    if browser is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER"):
            pytest.fail(f"no headless browser found (tried {', '.join(BROWSERS)})")
        pytest.skip("no headless Chromium here (CI installs chromium-headless-shell)")
    page = tmp_path / "report.html"
    page.write_text(class_report.render(RECORDS, EXERCISES), encoding="utf-8")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    done = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert 'data-charts="2"' in dom, dom[:2000]
    assert 'data-bars="13"' in dom  # 10 score steps + 3 tests
    assert "&lt;script&gt;alert" in dom  # the student's text stayed text
