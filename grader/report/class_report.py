"""`report.html` of `grader batch`: one self-contained page about a whole class.

Everything is inline (CSS, SVG charts, one small script with a nonce), and a
Content-Security-Policy forbids anything else, so the page needs no network and nothing a
student wrote (names, messages) can run in the instructor's browser: every such text is
escaped, and a script without the page's nonce would be refused anyway.

Sections: the score distribution, the pass rate of every test, the most common failure
messages per exercise, and the slowest submissions.
"""

from __future__ import annotations

import html
import secrets
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from grader import roster
from grader.catalog import Exercise
from grader.i18n import word

BINS = 10  # the score distribution in steps of 10 %
TOP_MESSAGES = 5
SLOWEST = 10
BAR_W, BAR_H = 560, 18


@dataclass(frozen=True)
class TestRate:
    exercise: str
    test: str
    passed: int
    runs: int

    @property
    def rate(self) -> float:
        return self.passed / self.runs if self.runs else 0.0


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def percent_of(record: dict[str, Any]) -> float | None:
    """A graded student's percentage; None for an error row."""
    if record["student"].get("error") or not record.get("max_score"):
        return None
    return 100.0 * float(record["score"]) / float(record["max_score"])


def distribution(records: list[dict[str, Any]]) -> list[int]:
    """How many students scored in each 10 % step (100 % counts in the last)."""
    counts = [0] * BINS
    for record in records:
        pct = percent_of(record)
        if pct is not None:
            counts[min(BINS - 1, int(pct // (100 / BINS)))] += 1
    return counts


def test_rates(records: list[dict[str, Any]], exercises: list[Exercise]) -> list[TestRate]:
    """Every test's pass rate among the students whose exercise was graded, catalogue order."""
    passed: Counter[tuple[str, str]] = Counter()
    runs: Counter[tuple[str, str]] = Counter()
    order: dict[tuple[str, str], int] = {}
    rank = {ex.name: i for i, ex in enumerate(exercises)}
    for record in records:
        for result in record.get("exercises", []):
            for test in result.get("tests", []):
                key = (result["name"], test["name"])
                order.setdefault(key, len(order))
                runs[key] += 1
                passed[key] += test["status"] == "passed"
    keys = sorted(runs, key=lambda k: (rank.get(k[0], len(rank)), order[k]))
    return [TestRate(ex, test, passed[(ex, test)], runs[(ex, test)]) for ex, test in keys]


def common_failures(records: list[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Per exercise, the most frequent first lines of failure messages, with their counts."""
    found: dict[str, Counter[str]] = {}
    for record in records:
        for result in record.get("exercises", []):
            for test in result.get("tests", []):
                if test["status"] != "passed":
                    line = (test.get("message") or test["status"]).strip().splitlines()
                    text = line[0][:300] if line else test["status"]
                    found.setdefault(result["name"], Counter())[f"{test['name']}: {text}"] += 1
    return {name: counter.most_common(TOP_MESSAGES) for name, counter in found.items()}


def _bars(items: list[tuple[str, float, str]], css: str) -> str:
    """A horizontal SVG bar chart: (label, fraction 0..1, value text) per bar."""
    label_w = 300
    height = BAR_H * len(items) + 4
    parts = [
        f'<svg class="chart {css}" role="img" width="{label_w + BAR_W + 80}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, fraction, value) in enumerate(items):
        y = i * BAR_H + 2
        width = max(0.0, min(1.0, fraction)) * BAR_W
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{_e(label)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{width:.1f}" '
            f'height="{BAR_H - 4}"><title>{_e(label)}: {_e(value)}</title></rect>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 13}">{_e(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _who(student: dict[str, Any]) -> str:
    """A student's id, with the names of its submitters where the export gave them."""
    shown = "; ".join(s.name for s in roster.recorded(student) if s.name)
    return f"{student['id']} ({shown})" if shown else str(student["id"])


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def render(records: list[dict[str, Any]], exercises: list[Exercise], lang: str = "en") -> str:
    """The whole page for ``records`` (each student's JSON, as ``grader batch`` writes them)."""

    def w(key: str, **params: object) -> str:
        return _e(word(f"report.{key}", lang, **params))

    graded = [p for p in (percent_of(r) for r in records) if p is not None]
    errors = [r["student"] for r in records if r["student"].get("error")]
    counts = distribution(records)
    most = max(counts) or 1
    histogram = _bars(
        [(f"{i * 10}–{i * 10 + 10} %", n / most, str(n)) for i, n in enumerate(counts)],
        "distribution",
    )
    rates = test_rates(records, exercises)
    rate_chart = _bars(
        [(f"{r.exercise} · {r.test}", r.rate, f"{r.passed}/{r.runs}") for r in rates],
        "pass-rates",
    )
    failures = common_failures(records)
    failure_html = (
        "".join(
            f"<h3>{_e(ex.name)}</h3>"
            + _table(
                [word("report.count", lang), word("report.message", lang)],
                [[str(n), m] for m, n in top],
            )
            for ex in exercises
            if (top := failures.get(ex.name))
        )
        or f"<p>{w('no_failures')}</p>"
    )
    slow = sorted(records, key=lambda r: -float(r["student"].get("seconds", 0.0)))[:SLOWEST]
    slow_html = _table(
        [word("report.student", lang), word("report.seconds", lang), word("report.score", lang)],
        [
            [
                _who(r["student"]),
                f"{float(r['student'].get('seconds', 0.0)):.1f}",
                word("report.error", lang)
                if r["student"].get("error")
                else f"{r['score']:g}/{r['max_score']:g}",
            ]
            for r in slow
        ],
    )
    summary = word(
        "report.summary", lang, students=len(records), graded=len(graded), errors=len(errors)
    )
    if graded:
        mean, median = statistics.mean(graded), statistics.median(graded)
        summary += word("report.average", lang, mean=mean, median=median)
    error_html = (
        f"<p class=errors>{w('not_graded')}" + ", ".join(_e(_who(s)) for s in errors) + "</p>"
        if errors
        else ""
    )
    nonce = secrets.token_urlsafe(16)
    policy = (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'nonce-{nonce}'"
    )
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{w("title")}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ margin-top: 2em; }}
table {{ border-collapse: collapse; margin: .5em 0; }}
td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: left; vertical-align: top; }}
svg text {{ font: 12px system-ui, sans-serif; fill: #222; }}
.bar {{ fill: #4a7bd0; }} .pass-rates .bar {{ fill: #3a9a5b; }}
.errors {{ color: #b00; }}
</style>
</head>
<body>
<h1>{w("title")}</h1>
<p class="summary">{_e(summary)}</p>
{error_html}
<h2 id="distribution">{w("distribution")}</h2>
{histogram}
<h2 id="pass-rates">{w("pass_rates")}</h2>
{rate_chart}
<h2 id="failures">{w("failures")}</h2>
{failure_html}
<h2 id="slowest">{w("slowest")}</h2>
{slow_html}
<script nonce="{nonce}">
document.body.dataset.charts = document.querySelectorAll("svg.chart").length;
document.body.dataset.bars = document.querySelectorAll("svg.chart rect.bar").length;
</script>
</body>
</html>
"""
