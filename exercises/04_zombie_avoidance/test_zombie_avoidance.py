"""Spec for exercise 04 — zombie avoidance. Run it with `grader check zombie_avoidance`.

Every student call runs in a sandbox process: the *caller*. The assertions run here, on
plain data, and the judge reads the process table itself the moment the function returns:
``outcome.zombies`` (children that exited and were not reaped) and ``outcome.descendants``
(processes still running below the caller), and ``outcome.escaped`` (orphans re-parented to
the judge, which is a child subreaper, while the call ran).

Parts 2 and 3 take callables, so they run through scenarios: trusted functions of this file
that give the student's function tasks whose progress is recorded in files and pipes.
Nothing here waits with a sleep: children are held by gates that the scenario opens, and
every wait is a poll with a deadline.

Every assertion carries its own teaching message, so pytest's assertion rewriting is off
(its introspection would append `assert not (Proc(...),)` noise to it): PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from pathlib import Path
from types import ModuleType

import pytest

from grader import probe
from grader.polling import holds_within


def _fail(message: str) -> None:
    """Fail the test with ``message`` alone (pytest.fail would prefix it with `Failed:`)."""
    raise AssertionError(message)


# -- Part 1: reap every child -----------------------------------------------------------------

CODES = [0, 1, 2, 7, 255]
SIGNALLED = [3, -signal.SIGKILL, 0, -signal.SIGTERM]
REAPED = [0, 3, 0, 255, -signal.SIGKILL, 1]


def _code_name(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


def _codes_message(asked: list[int], got: object) -> str:
    """Why ``reap_all(asked)`` returning ``got`` is wrong, for the student."""
    head = f"reap_all({asked}) returned {got!r}, expected {asked}. "
    if (
        not isinstance(got, list)
        or len(got) != len(asked)
        or not all(isinstance(c, int) for c in got)
    ):
        return head + "Return a list of ints: one exit code per child, in the order of `codes`."
    for want, have in zip(asked, got, strict=True):
        if want > 0 and have == want << 8:
            return head + (
                f"For the child that did os._exit({want}) you returned {have}: that is the raw "
                f"wait status, where the exit code sits in the second byte ({want} << 8 = {have}). "
                "Decode it: os.waitstatus_to_exitcode(status), or os.WEXITSTATUS(status) for a "
                "normal exit (README: 'Exit codes and wait statuses')."
            )
        if want < 0 and have != want:
            how = "the raw wait status" if have == -want else "not the signal"
            return head + (
                f"The child {_code_name(want)} came back as {have} ({how}). A child ended by a "
                "signal has no exit code: os.WIFSIGNALED(status) is true and WEXITSTATUS means "
                f"nothing. Report it as minus the signal number ({want}), like subprocess "
                "does; os.waitstatus_to_exitcode(status) does exactly that (README: 'Exit codes "
                "and wait statuses')."
            )
    if sorted(got) == sorted(asked):
        return head + (
            "The right codes, in the wrong order: result i belongs to the child forked for "
            "codes[i], whatever order they end in. Wait for each pid with os.waitpid(pid, 0), "
            "or remember which pid had which index (README: 'Part 1 — reap every child')."
        )
    return head + "Each child must end with its own code, and you report what waitpid says."


@pytest.mark.points(3)
def test_exit_codes_are_returned(student):
    got = student.call("reap_all", CODES)
    assert got == CODES, _codes_message(CODES, got)
    empty = student.call("reap_all", [])
    assert empty == [], (
        f"reap_all([]) returned {empty!r}: with no codes there is no child, return []"
    )


@pytest.mark.points(2)
def test_killed_child_reports_the_signal(student):
    got = student.call("reap_all", SIGNALLED)
    assert got == SIGNALLED, _codes_message(SIGNALLED, got)


def _count_forks(module: ModuleType, codes: list[int]) -> list[object]:
    """Scenario: how many processes reap_all forks, and what it returns."""
    forks = [0]

    def counted() -> None:
        forks[0] += 1

    os.register_at_fork(after_in_parent=counted)
    result = module.reap_all(codes)
    return [forks[0], result]


@pytest.mark.points(2)
def test_every_child_is_reaped(student):
    outcome = student.run_scenario(_count_forks, REAPED)
    forks, result = outcome.value_or_raise()
    if outcome.zombies:
        assert not outcome.zombies, (
            f"when reap_all returned, {len(outcome.zombies)} of the {forks} children it forked "
            f"were zombies: {probe.describe_all(outcome.zombies)}. A child that has ended stays "
            "in the process table (state Z, <defunct>) until its parent collects its status. "
            "os.wait() collects exactly ONE child per call, and a child nobody waits for stays a "
            "zombie as long as the parent lives. Call os.waitpid(pid, 0) once for every child "
            "you forked (README: 'Part 1 — reap every child')."
        )
    assert not outcome.descendants, (
        f"when reap_all returned, these processes were still running below it: "
        f"{probe.describe_all(outcome.descendants)}. Wait until every child has ended "
        "(os.waitpid blocks until it has) before returning (README: 'Part 1 — reap every child')."
    )
    assert forks >= len(REAPED), (
        f"reap_all({REAPED}) forked {forks} process(es) for {len(REAPED)} codes: fork one child "
        "per code and let that child end with it (README: 'Part 1 — reap every child')."
    )
    assert result == REAPED, _codes_message(REAPED, result)


# -- Part 2: a poller that keeps working ------------------------------------------------------

RELEASE_ORDER = [2, 0, 3, 1]  # the order in which the children are allowed to finish
WORK_PER_CHILD = 3  # work() calls, after one child was reaped, before the next may finish
GATE_S = 4.0  # how long a child waits for the work to release it before giving up


def _poll_scenario(module: ModuleType, folder: str, order: list[int]) -> dict[str, object]:
    """Scenario: children that can only finish as the caller's work() makes progress.

    Child ``i`` writes ``started-i`` (its pid), then waits up to GATE_S for a byte on its own
    pipe, then writes ``finished-i`` ("released" or "timed out") and returns. ``work()`` is
    the other work: each call is one slice. After WORK_PER_CHILD slices done while the next
    child in ``order`` is waiting, it releases that child; it releases none while the child it
    released last has not been reaped. So the children end in ``order``, one at a time, and
    only if the caller keeps calling work() while they run: a blocking poller stalls them.
    """
    base = Path(folder)
    n = len(order)
    gates = [os.pipe() for _ in range(n)]
    state = {"released": 0, "slices": 0, "calls": 0, "while_running": 0}

    def started(i: int) -> int | None:
        try:
            return int((base / f"started-{i}").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def finished(i: int) -> str | None:
        try:
            return (base / f"finished-{i}").read_text()
        except FileNotFoundError:
            return None

    def make_task(i: int):
        def task() -> None:
            (base / f"started-{i}.tmp").write_text(str(os.getpid()))
            os.replace(base / f"started-{i}.tmp", base / f"started-{i}")
            ready, _, _ = select.select([gates[i][0]], [], [], GATE_S)
            (base / f"finished-{i}.tmp").write_text("released" if ready else "timed out")
            os.replace(base / f"finished-{i}.tmp", base / f"finished-{i}")

        return task

    def work() -> None:
        state["calls"] += 1
        running = {i for i in range(n) if started(i) is not None and finished(i) is None}
        if running:
            state["while_running"] += 1
        time.sleep(0.002)  # the other work itself: a small slice of it
        k = state["released"]
        if k >= n or order[k] not in running:
            return  # everybody is released, or the next child is not waiting yet
        if k > 0:
            last = started(order[k - 1])
            if last is None or probe.read(last) is not None:
                return  # the child released last is still there (running, or a zombie)
        state["slices"] += 1
        if state["slices"] >= WORK_PER_CHILD:
            os.write(gates[order[k]][1], b"go")
            state["released"] = k + 1
            state["slices"] = 0

    caller = os.getpid()
    result = module.reap_while_working([make_task(i) for i in range(n)], work)
    return {
        "caller": caller,
        "result": result,
        "pids": [started(i) for i in range(n)],
        "finished": [finished(i) for i in range(n)],
        "calls": state["calls"],
        "while_running": state["while_running"],
        "released": state["released"],
    }


def _poll(student, tmp_path: Path):
    outcome = student.run_scenario(_poll_scenario, str(tmp_path), RELEASE_ORDER)
    seen = outcome.value_or_raise()
    return outcome, seen


@pytest.mark.points(3)
def test_poller_keeps_working_while_children_run(student, tmp_path):
    _, seen = _poll(student, tmp_path)
    n = len(RELEASE_ORDER)
    never = [i for i, pid in enumerate(seen["pids"]) if pid is None]
    assert not never, (
        f"tasks {never} of {n} never ran: fork one child per task and call the task in it "
        "(README: 'Part 2 — a poller that keeps working')."
    )
    in_caller = [i for i, pid in enumerate(seen["pids"]) if pid == seen["caller"]]
    assert not in_caller, (
        f"tasks {in_caller} ran in the caller's own process (pid {seen['caller']}), not in a "
        "child: call each task in the child that os.fork() returned 0 to."
    )
    gave_up = [i for i, how in enumerate(seen["finished"]) if how == "timed out"]
    assert not gave_up, (
        f"children {gave_up} waited {GATE_S:g} s for the work to progress and gave up: work() "
        f"was called {seen['calls']} time(s) in all, {seen['while_running']} of them while a "
        f"child was running, and only {seen['released']} of {n} children could be let go. In "
        "this test a child finishes only as the other work goes on, so a loop that stops "
        "working while children run stalls them all. os.wait() and os.waitpid(-1, 0) block "
        "until a child ends, and sleeping between polls does no work either. Poll with "
        "os.waitpid(-1, os.WNOHANG): it returns (0, 0) at once when no child has ended yet, "
        "and that is when you call work() (README: 'Part 2 — a poller that keeps working')."
    )
    assert seen["result"] is not None and seen["while_running"] >= n * WORK_PER_CHILD, (
        f"work() was called {seen['while_running']} time(s) while children were running and "
        f"reap_while_working returned {seen['result']!r}: keep calling work() between polls "
        "until every child has been collected, and return the list of indexes."
    )


@pytest.mark.points(2)
def test_poller_collects_in_finish_order(student, tmp_path):
    outcome, seen = _poll(student, tmp_path)
    gave_up = [i for i, how in enumerate(seen["finished"]) if how == "timed out"]
    assert not gave_up, (
        f"children {gave_up} gave up waiting for work() to be called, so they did not end in a "
        "known order; fix test_poller_keeps_working_while_children_run first."
    )
    result = seen["result"]
    assert result == RELEASE_ORDER, (
        f"the children ended in the order {RELEASE_ORDER} (task indexes), one at a time, and "
        f"reap_while_working returned {result!r}. Append a child's index when waitpid hands "
        "you its pid (keep a dict pid -> index from the forks); decide on the pid, not on the "
        "status: a child that exits 0 has status 0, just like (0, 0) 'nobody yet' "
        "(README: 'Part 2 — a poller that keeps working')."
    )
    left = outcome.zombies + outcome.descendants
    assert not left, (
        f"when reap_while_working returned, these processes were still there: "
        f"{probe.describe_all(left)}. Keep polling until every child has been collected."
    )


# -- Part 3: the double fork ------------------------------------------------------------------

GO_S = 5.0  # how long the detached task waits for the go that comes after the call returns
LINGER_S = 10.0  # after its job the detached task keeps running, like a daemon; the judge ends it


def _wait_for(path: Path, timeout: float) -> bool:
    return holds_within(path.exists, timeout)


def _detach_scenario(module: ModuleType, folder: str) -> dict[str, object]:
    """Scenario: spawn_detached(task) where the task can only finish after the call returned.

    The task waits for a ``go`` file that this scenario writes after spawn_detached returned,
    then writes a report (its pid, its parent's pid, whether it saw go) and keeps running.
    The scenario waits for the report and returns; the judge then looks at the process table.
    """
    base = Path(folder)
    go, report = base / "go", base / "report"

    def task() -> None:
        went = _wait_for(go, GO_S)
        text = json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "go": went})
        (base / "report.tmp").write_text(text)
        os.replace(base / "report.tmp", report)
        if went:
            time.sleep(LINGER_S)  # a daemon goes on running after its first job

    caller = os.getpid()
    pid = module.spawn_detached(task)
    early = report.exists()
    go.write_text("go")
    _wait_for(report, GO_S + 2.0)
    return {
        "caller": caller,
        "pid": pid if isinstance(pid, int) else repr(pid),
        "early": early,
        "report": json.loads(report.read_text()) if report.exists() else None,
    }


def _detach(student, tmp_path: Path):
    outcome = student.run_scenario(_detach_scenario, str(tmp_path))
    seen = outcome.value_or_raise()
    assert isinstance(seen["pid"], int), (
        f"spawn_detached returned {seen['pid']}: return the grandchild's pid, an int"
    )
    return outcome, seen


@pytest.mark.points(3)
def test_detached_grandchild_is_not_your_child(student, tmp_path):
    outcome, seen = _detach(student, tmp_path)
    pid, caller, report = seen["pid"], seen["caller"], seen["report"]
    below = {p.pid: p for p in outcome.descendants}
    single = (pid in below and below[pid].ppid == caller) or (report and report["ppid"] == caller)
    if single:
        _fail(
            f"the task ran in pid {report['pid'] if report else pid}, and its parent was the "
            f"caller (pid {caller}) itself: that is a single fork. A child stays its parent's "
            "child, and when it ends it is a zombie until the parent waits for it, which a "
            "function that returns at once never does. Fork twice: the first child forks the "
            "grandchild that runs the task, then exits at once; the grandchild, orphaned, is "
            "adopted by another process that reaps it (README: 'Part 3 — the double fork')."
        )
    if pid in below:
        _fail(
            f"when spawn_detached returned, pid {pid} was still below the caller (its parent: "
            f"pid {below[pid].ppid}, still running). The middle child must exit right after "
            "forking the grandchild: os._exit(0) (README: 'Part 3 — the double fork')."
        )
    adopted = {p.pid: p for p in outcome.escaped}
    if pid not in adopted:
        if report and report["pid"] == pid and not report["go"]:
            why = (
                f"Pid {pid} ran the task, but it had already ended: spawn_detached returned only "
                "after the task was over. Return at once, and wait for the middle child only. "
            )
        elif report and report["pid"] != pid:
            why = (
                f"The task ran in pid {report['pid']}: return the grandchild's pid, not the "
                "middle child's. Only the middle child knows it: send it back through a pipe. "
            )
        else:
            why = "Return the pid of the grandchild that runs the task. "
        _fail(
            f"spawn_detached returned pid {pid}, but that was not a running orphan when the "
            f"call returned (adopted by the judge: {probe.describe_all(adopted.values())}). "
            + why
            + "(README: 'Part 3 — the double fork')"
        )


@pytest.mark.points(2)
def test_detached_leaves_no_child_behind(student, tmp_path):
    outcome, _ = _detach(student, tmp_path)
    assert not outcome.zombies, (
        f"when spawn_detached returned, the caller had {len(outcome.zombies)} zombie "
        f"child(ren): {probe.describe_all(outcome.zombies)}. That is the middle child: it "
        "exited at once, as it should, but nobody collected it, so the double fork swapped one "
        "zombie for another. Wait for it: os.waitpid(middle_pid, 0) returns almost at once, "
        "because the middle child exits right after its fork (README: 'Part 3 — the double fork')."
    )
    assert not outcome.descendants, (
        f"when spawn_detached returned, these processes were still below the caller: "
        f"{probe.describe_all(outcome.descendants)}. Only the grandchild may go on running, and "
        "it must not be below the caller: the middle child forks it and exits at once, and the "
        "caller reaps the middle child (README: 'Part 3 — the double fork')."
    )


@pytest.mark.points(1)
def test_detached_grandchild_does_its_task(student, tmp_path):
    _, seen = _detach(student, tmp_path)
    report = seen["report"]
    assert report is not None, (
        f"the task never reported: it should run in the grandchild (pid {seen['pid']}) after "
        "spawn_detached returned. Call task() in the process whose second os.fork() returned "
        "0, then os._exit(0) (README: 'Part 3 — the double fork')."
    )
    assert not seen["early"] and report["go"], (
        f"spawn_detached returned only after the task had given up waiting ({GO_S:g} s for a "
        "go that is sent when your function returns). Return the grandchild's pid at once: "
        "wait for the middle child, never for the grandchild (README: 'Part 3 — the double fork')."
    )
    assert report["pid"] == seen["pid"], (
        f"spawn_detached returned pid {seen['pid']} but the task ran in pid {report['pid']}: "
        "return the pid of the grandchild, the process that runs the task. The first fork "
        "gives you the middle child's pid; let the middle child send the grandchild's pid back "
        "through a pipe (README: 'Part 3 — the double fork')."
    )
