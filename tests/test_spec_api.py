"""The spec API v2, end to end: a fixture spec asserts what each verb and observation reports.

`04_api` in the fixture repository is graded against its solution, whose functions each do
one known thing (time out, crash, return a value too large, start processes in parallel or
one after another, let a forked child fall through...). Every test of that spec passes except
the two that are meant to fail in a known way: a bilingual message and the soft limit.
"""

from __future__ import annotations

import pytest

from grader.cli import main

KNOWN_FAILURES = {
    "test_a_wait_speaks_both_languages": "failed",
    "test_a_message_in_two_languages": "failed",
    "test_the_soft_limit_is_a_timeout": "timeout",
    "test_a_failed_setup_leaves_no_sandbox_behind": "error",
}


def test_every_verb_and_observation_reports_what_happened(grade) -> None:
    run = grade("04_api", target="solutions")
    for name, status in run.statuses().items():
        expected = KNOWN_FAILURES.get(name, "passed")
        assert status == expected, f"{name}: {status}\n{run.test(name)['message']}"
    assert run.test("test_a_message_in_two_languages")["message"] == "the English text"
    assert run.test("test_a_wait_speaks_both_languages")["message"] == "never true (waited 0.05 s)"
    assert "soft limit" in run.test("test_the_soft_limit_is_a_timeout")["message"]
    tests = run.data["exercises"][0]["tests"]
    left = {t["name"]: t["output"] for t in tests if "left behind" in t["output"]}
    assert not left, f"a sandbox forked ahead counted as the student's: {left}"


@pytest.mark.parametrize(("lang", "text"), [("en", "the English text"), ("zh", "中文的说明")])
def test_messages_follow_the_language(fixture_repo, tmp_path, capsys, lang, text) -> None:
    out = tmp_path / "results.json"
    argv = ["--root", str(fixture_repo), "--lang", lang, "check", "04_api"]
    main([*argv, "--target", "solutions", "--json", str(out)])
    capsys.readouterr()
    import json

    tests = json.loads(out.read_text())["exercises"][0]["tests"]
    messages = {t["name"]: t["message"] for t in tests}
    assert messages["test_a_message_in_two_languages"] == text
    waited = {"en": "never true (waited 0.05 s)", "zh": "从未成立（等了 0.05 秒）"}[lang]
    assert messages["test_a_wait_speaks_both_languages"] == waited
