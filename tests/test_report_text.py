"""What `grader check` shows of a test's output: the student's own, nothing else."""

from __future__ import annotations

from grader.report.text import student_output

TEST_PROCESS = "--- Captured output of the test process ---\n"


def test_output_of_the_test_process_alone_shows_nothing_of_the_student() -> None:
    # Python 3.12+ warns on stderr when the spec forks while a thread runs: the test
    # process's own section, and nothing after it.
    warned = TEST_PROCESS + "spec.py:1200: DeprecationWarning: ... use of fork() ...\n"
    assert student_output(warned) == ""
    assert student_output(TEST_PROCESS) == ""
    assert student_output("no sections at all\n") == ""


def test_the_student_calls_sections_are_kept_and_pytests_are_not() -> None:
    output = (
        TEST_PROCESS
        + "noise of the test process\n"
        + "--- serve(8080) stdout ---\nlistening\n"
        + "--- serve(8080) stderr ---\noops\n\n"
        + "--- Captured stderr call ---\npytest's own capture\n"
    )
    assert student_output(output) == (
        "--- serve(8080) stdout ---\nlistening\n--- serve(8080) stderr ---\noops"
    )
    last = TEST_PROCESS + "--- run() stdout ---\nthe end\n"
    assert student_output(last) == "--- run() stdout ---\nthe end"
