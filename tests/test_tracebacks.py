"""A failed test's message names the exception the student's module raised below the call.

A child process or thread that raises prints its traceback and leaves its caller without its
work; the spec then fails the test for what is missing. These tests hold the grader to
naming the cause, and to naming only the student's own mistakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import make_exercise

from grader import tracebacks

MODULE = "/dev/shm/grader-session-1-x/student/10_queues/queues.py"
STDLIB_QUEUES = "/usr/lib/python3.11/multiprocessing/queues.py"
BOOTSTRAP = "/usr/lib/python3.11/multiprocessing/process.py"


def printed(header: str, frames: list[tuple[str, int, str]], exception: str) -> str:
    """A traceback as Python prints it, under ``header``."""
    lines = [header] if header else []
    lines.append("Traceback (most recent call last):")
    for file, line, func in frames:
        lines += [f'  File "{file}", line {line}, in {func}', "    some_code()", "    ^^^^"]
    return "\n".join([*lines, exception]) + "\n"


PRODUCER = printed(
    "Process Process-2:",
    [(BOOTSTRAP, 314, "_bootstrap"), (BOOTSTRAP, 108, "run"), (MODULE, 24, "_produce")],
    "NameError: name 'itme' is not defined",
)


def test_parse_reads_the_header_frames_and_exception_of_each_traceback() -> None:
    text = (
        "starting\n"
        + PRODUCER
        + printed("Exception in thread Thread-1 (serve):", [(MODULE, 9, "serve")], "KeyError: 'x'")
    )
    text += printed("", [(MODULE, 3, "main")], "ValueError: bad")
    found = tracebacks.parse(text)
    assert [(r.printed_by, r.exception) for r in found] == [
        ("process", "NameError: name 'itme' is not defined"),
        ("thread", "KeyError: 'x'"),
        ("", "ValueError: bad"),
    ]
    assert found[0].frames[-1] == tracebacks.Frame(MODULE, 24, "_produce")


def test_a_line_of_another_process_is_no_exception() -> None:
    mixed = PRODUCER.replace("NameError: name 'itme' is not defined", "Process Process-3:")
    assert [r.exception for r in tracebacks.parse(mixed)] == [""]
    assert tracebacks.raised_below([mixed], MODULE, "queues.py") is None
    dotted = printed("", [(MODULE, 1, "f")], "queue.Empty")
    assert [r.exception for r in tracebacks.parse(dotted)] == ["queue.Empty"]


def test_a_chained_traceback_counts_once_as_its_last_exception() -> None:
    first = printed("Process Process-1:", [(MODULE, 5, "work")], "KeyError: 'k'")
    second = printed("", [(MODULE, 7, "work")], "ValueError: from the handler")
    chain = "\nDuring handling of the above exception, another exception occurred:\n\n"
    found = tracebacks.parse(first + chain + second)
    assert [(r.printed_by, r.exception, r.frames[-1].line) for r in found] == [
        ("process", "ValueError: from the handler", 7)
    ]


def test_only_the_students_module_counts_not_a_namesake_a_spec_or_the_judge() -> None:
    # multiprocessing's own queues.py shares the module's name, not its folder
    stdlib = printed("", [(STDLIB_QUEUES, 100, "put")], "ValueError: Queue is closed")
    # the spec's callable raises on purpose (04's failing tasks), below the student's code
    spec = "/work/exercises/04_zombie_avoidance/test_zombie_avoidance.py"
    on_purpose = printed("", [(MODULE, 30, "child"), (spec, 12, "task")], "TaskFailed: made")
    # the student's call into the standard library raised there: still the student's call
    through = printed("", [(MODULE, 24, "_produce"), (STDLIB_QUEUES, 88, "put")], "OSError: x")
    # what the judge provokes: a client that hung up, a SIGINT
    hung_up = printed("", [(MODULE, 50, "handle")], "ConnectionResetError: [Errno 104] reset")
    interrupted = printed("", [(MODULE, 51, "serve")], "KeyboardInterrupt")
    verdicts = [
        tracebacks.in_module(raised, MODULE)
        for raised in tracebacks.parse(stdlib + on_purpose + through + hung_up + interrupted)
    ]
    assert verdicts == [None, None, tracebacks.Frame(MODULE, 24, "_produce"), None, None]


def test_the_line_names_the_first_exception_and_counts_the_rest() -> None:
    other = printed("Exception in thread Thread-3:", [(MODULE, 40, "relay")], "KeyError: 'x'")
    found = tracebacks.raised_below(
        [PRODUCER, PRODUCER + other, "nothing here"], MODULE, "exercises/10_queues/queues.py"
    )
    assert found is not None
    assert found.en == (
        "\nBelow the call, a process your code started raised NameError: name 'itme' is not "
        "defined (exercises/10_queues/queues.py, line 24, in _produce; printed 2 times), and "
        "1 other exception(s): see what your code printed. Fix it first: the failure above "
        "may only follow from it."
    )
    assert found.zh is not None
    assert "NameError: name 'itme' is not defined（exercises/10_queues/queues.py 第 24 行" in (
        found.zh
    )
    assert tracebacks.raised_below([printed("", [], "")], MODULE, "q.py") is None


def test_a_long_exception_line_is_cut_short() -> None:
    long = printed("", [(MODULE, 1, "f")], "ValueError: " + "x" * 5000)
    found = tracebacks.raised_below([long], MODULE, "queues.py")
    assert found is not None
    assert len(found.en) < 600 and "x" * 150 + "…" in found.en


BELOW_SPEC = """
from grader.spec import check, fail, wait_until


def _on_purpose():
    raise ValueError("the judge made it raise")


def test_in_a_process(student):
    check(student.call("in_a_process") == 1, en="the work is missing")


def test_in_a_thread(student):
    check(student.call("in_a_thread") == 1, en="the work is missing")


def test_a_task_of_the_spec(student):
    check(student.call("run_task", _on_purpose) == 1, en="the work is missing")


def test_while_it_runs(student):
    running = student.start("serves_after_its_child")
    wait_until(lambda: "NameError" in running.stderr_so_far(), message="no traceback")
    fail("the work is missing")  # before the spec stops it: the fixture's teardown does


def test_a_timeout(student):
    check(student.options(deadline=1).call("waits_for_its_child") == 1, en="never here")
"""

BELOW_SOURCE = """
import threading
import time
from multiprocessing import Process


def _child():
    return undefined_name  # noqa: F821


def in_a_process():
    p = Process(target=_child)
    p.start()
    p.join()
    return 0


def _thread_body():
    return {}["missing"]


def in_a_thread():
    t = threading.Thread(target=_thread_body)
    t.start()
    t.join()
    return 0


def run_task(task):
    p = Process(target=task)
    p.start()
    p.join()
    return 0


def serves_after_its_child():
    p = Process(target=_child)
    p.start()
    p.join()
    time.sleep(60)


def waits_for_its_child():
    p = Process(target=_child)
    p.start()
    p.join()
    time.sleep(60)
"""


def test_a_failed_test_names_what_the_students_code_raised_below_the_call(
    fixture_repo: Path, grade: Any
) -> None:
    make_exercise(fixture_repo, "07_below", BELOW_SPEC)
    run = grade("07_below", BELOW_SOURCE)
    assert run.statuses() == {
        "test_in_a_process": "failed",
        "test_in_a_thread": "failed",
        "test_a_task_of_the_spec": "failed",
        "test_while_it_runs": "failed",
        "test_a_timeout": "timeout",
    }
    process = run.test("test_in_a_process")["message"]
    assert process.startswith("the work is missing\nBelow the call, a process your code started")
    assert "raised NameError: name 'undefined_name' is not defined (" in process
    assert "below.py, line 8, in _child)" in process
    thread = run.test("test_in_a_thread")["message"]
    assert "Below the call, a thread of your code raised KeyError: 'missing' (" in thread
    assert "below.py, line 19, in _thread_body)" in thread
    # the spec's own callable raised: the exercise, not the student's mistake
    assert run.test("test_a_task_of_the_spec")["message"] == "the work is missing"
    # the spec failed the test while the function still ran
    running = run.test("test_while_it_runs")["message"]
    assert "a process your code started raised NameError" in running
    # a call that timed out waiting for work that was never done: the cause, after the where
    timeout = run.test("test_a_timeout")["message"]
    assert "did not return in time" in timeout
    assert "a process your code started raised NameError" in timeout
