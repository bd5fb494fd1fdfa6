"""The ``student`` fixture: run student code in a sandbox process and judge what comes back.

A spec test never imports the student's module. It asks :class:`Student` to

* ``call`` a function and get its value (``run`` gives the whole :class:`Outcome`);
* ``start`` a long-running function (a server), talk to it, then ``stop`` it;
* run a trusted ``scenario`` from the spec that receives the student module in the sandbox.

Ownership: the test process forks each sandbox and is its only waiter. It owns the result
pipe's read end and the two unlinked output files, and closes them when the call ends (or,
for a started function, on ``stop``). Every process the sandbox started is killed when the
call returns; anything re-parented to the test process (a double-forked daemon) is killed
too and reported as ``escaped``. Values come back through :mod:`grader.codec`, never pickle.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader import codec, net, probe, sandbox_child, users, wire
from grader.isolation import Captured, Deadline, OutputFile, describe_status, kill_tree, wait_child
from grader.polling import wait_until

FRAME_BUDGET = codec.MAX_BYTES + 64 * 1024


class StudentProblem(AssertionError):
    """Student code did not produce a value; the message says why, for the student."""

    status = "failed"


class StudentTodo(StudentProblem):
    """The stub still raises NotImplementedError: the exercise is not started."""

    status = "todo"


class StudentTimeout(StudentProblem):
    """The student's function did not return before its deadline."""

    status = "timeout"


class StudentCrashed(StudentProblem):
    """The sandbox died (a signal, ``os._exit``) before returning."""

    status = "crashed"


@dataclass(frozen=True)
class StudentError:
    """An exception raised by student code, as plain data."""

    type: str
    message: str
    traceback: str
    todo: bool = False
    import_failed: bool = False


@dataclass(frozen=True)
class Outcome:
    """Everything the judge learnt from one sandbox run.

    ``zombies`` and ``descendants`` are what the judging side saw in the process table the
    moment the function returned (zombie children of the sandbox; its live descendants),
    ``escaped`` the processes that were re-parented to the judge during the run.
    """

    label: str
    returned: bool
    pid: int = 0  # the sandbox process (the caller of the student's function)
    value: object = None
    error: StudentError | None = None
    problem: str | None = None  # no value and no exception: died, timed out, bad value
    timed_out: bool = False
    exit: str | None = None  # how the sandbox ended when we saw it end
    stdout: Captured = field(default_factory=lambda: Captured("", 0, 0))
    stderr: Captured = field(default_factory=lambda: Captured("", 0, 0))
    zombies: tuple[probe.Proc, ...] = ()
    descendants: tuple[probe.Proc, ...] = ()
    escaped: tuple[probe.Proc, ...] = ()
    duration_s: float = 0.0
    stopped_by: str | None = None  # for started functions: "SIGTERM" or "SIGKILL"

    def value_or_raise(self) -> object:
        """The returned value, or a StudentProblem whose message teaches what went wrong."""
        if self.returned:
            return self.value
        raise self.as_problem()

    def as_problem(self) -> StudentProblem:
        output = _output_note(self.stdout, self.stderr)
        if self.error is not None:
            err = self.error
            if err.todo:
                return StudentTodo(
                    f"{self.label} is not written yet (it raises NotImplementedError)"
                )
            if err.import_failed:
                return StudentProblem(f"{err.message}\n{err.traceback}".rstrip())
            return StudentProblem(
                f"{self.label} raised {err.type}: {err.message}\n{err.traceback}{output}"
            )
        if self.timed_out:
            return StudentTimeout(f"{self.label} did not return in time{output}")
        if self.exit is not None and self.problem is None:
            return StudentCrashed(
                f"{self.label} ended the process ({self.exit}) before returning{output}"
            )
        return StudentProblem(f"{self.label}: {self.problem}{output}")


def _output_note(stdout: Captured, stderr: Captured) -> str:
    parts = []
    for name, cap in (("stdout", stdout), ("stderr", stderr)):
        if cap.text.strip():
            text = (
                cap.text if len(cap.text) < 2000 else cap.text[:1000] + "\n...\n" + cap.text[-1000:]
            )
            parts.append(f"\n--- its {name} ---\n{text.rstrip()}")
    return "".join(parts)


class _Sandbox:
    """One forked sandbox process and the judge's ends of its channels."""

    def __init__(self, job: sandbox_child.Job) -> None:
        self.label = job.label or (
            f"{job.function}()"
            if job.function
            else f"scenario {getattr(job.scenario, '__name__', '?')}"
        )
        self.out = OutputFile()
        self.err = OutputFile()
        result_r, result_w = os.pipe()
        self.started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(result_r)
            sandbox_child.enter(job, result_w, self.out.fd, self.err.fd)
        os.close(result_w)
        self.pid = pid
        self.reader = wire.FrameReader(result_r, FRAME_BUDGET)
        self.status: int | None = None
        self.before: frozenset[int] = frozenset()  # the judge's children before this run

    def close(self) -> None:
        os.close(self.reader.fd)
        self.out.close()
        self.err.close()

    def wait_result(self, deadline: Deadline) -> tuple[bytes | None, bool]:
        """(frame, timed_out): the result frame, or None if the sandbox died or ran out of time."""
        try:
            frame, status = wire.await_frame(self.reader, self.pid, deadline)
        except wire.FrameError:
            return None, False
        self.status = status
        return frame, frame is None and status is None

    def outcome(self, frame: bytes | None, **extra: Any) -> Outcome:
        kwargs: dict[str, Any] = {
            "label": self.label,
            "pid": self.pid,
            "stdout": self.out.read(),
            "stderr": self.err.read(),
            "exit": describe_status(self.status) if self.status is not None else None,
            "duration_s": time.monotonic() - self.started,
        }
        kwargs.update(extra)
        if frame is None:
            if "problem" not in kwargs and not kwargs.get("timed_out") and self.status is None:
                kwargs["problem"] = "the sandbox sent no result"
            return Outcome(returned=False, **kwargs)
        return _decode_frame(frame, kwargs)


def _decode_frame(frame: bytes, kwargs: dict[str, Any]) -> Outcome:
    try:
        data = json.loads(frame)
        kind = data["kind"]
        if kind == "return":
            return Outcome(returned=True, value=codec.decode(data["value"].encode()), **kwargs)
        if kind in ("raise", "import"):
            error = StudentError(
                type=str(data["type"]),
                message=str(data["message"]),
                traceback=str(data["traceback"]),
                todo=bool(data.get("todo", False)),
                import_failed=kind == "import",
            )
            return Outcome(returned=False, error=error, **kwargs)
        if kind in ("missing", "unsupported"):
            return Outcome(returned=False, problem=str(data["message"]), **kwargs)
    except (ValueError, KeyError, TypeError, AttributeError, codec.CodecError) as exc:
        return Outcome(returned=False, problem=f"sent a malformed result ({exc})", **kwargs)
    return Outcome(returned=False, problem="sent a result of unknown kind", **kwargs)


class Running:
    """A student function started with :meth:`Student.start` and not yet stopped.

    The test owns it; :meth:`stop` (or the fixture's teardown) ends the sandbox and every
    process it started, closes the channels, and returns the Outcome.
    """

    def __init__(self, student: Student, sandbox: _Sandbox) -> None:
        self._student = student
        self._sandbox = sandbox
        self.pid = sandbox.pid
        self.outcome: Outcome | None = None

    def finished(self) -> bool:
        """True once the function has returned or raised, or the process has ended."""
        if self.outcome is not None:
            return True
        try:
            if self._sandbox.reader.pump():
                return True
        except wire.FrameError:
            return True
        if self._sandbox.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self._sandbox.status = status
        return self._sandbox.status is not None

    def alive(self) -> bool:
        return not self.finished()

    def threads(self) -> int:
        """How many threads the sandbox process has now."""
        return probe.thread_count(self.pid)

    def children(self) -> list[probe.Proc]:
        return probe.children(self.pid)

    def zombies(self) -> list[probe.Proc]:
        return probe.zombies(self.pid)

    def descendants(self) -> list[probe.Proc]:
        return [p for p in probe.descendants(self.pid) if not p.zombie]

    def open_fds(self) -> list[int]:
        return probe.open_fds(self.pid)

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def wait_listening(self, port: int, timeout: float = 5.0) -> None:
        """Wait until the server accepts on 127.0.0.1:port; fail with its own error if it ended."""

        def ready() -> bool:
            if self.finished():
                raise self.stop().as_problem()
            return net.accepts(port)

        wait_until(
            ready, timeout, f"{self._sandbox.label} did not accept connections on 127.0.0.1:{port}"
        )

    def stop(self, grace: float = 1.0) -> Outcome:
        """SIGTERM the sandbox, SIGKILL it after ``grace`` seconds, kill what it started."""
        if self.outcome is not None:
            return self.outcome
        box = self._sandbox
        stopped_by = None
        if not self.finished():
            stopped_by = "SIGTERM"
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            box.status = wait_child(self.pid, Deadline(grace))
            if box.status is None:
                stopped_by = "SIGKILL"
        self.outcome = self._student._finish(box, stopped_by=stopped_by)
        return self.outcome


class Student:
    """The ``student`` fixture: the sandboxed student module of the exercise under test."""

    def __init__(
        self,
        module_path: str,
        module_name: str,
        display_path: str,
        default_deadline: float,
        limits: sandbox_child.Limits | None = None,
        identity: sandbox_child.Identity | None = None,
        shared: tuple[str, ...] = (),
    ) -> None:
        """``identity``: who sandboxes become (root only); ``shared``: folders whose contents
        the spec prepares for the student, handed to the sandbox uid before each run."""
        self.module_path = module_path
        self.module_name = module_name
        self.display_path = display_path
        self.default_deadline = default_deadline
        self.limits = limits or sandbox_child.Limits(
            cpu_seconds=sandbox_child.cpu_seconds_for(default_deadline)
        )
        self.identity = identity
        self.shared = shared
        self._live: dict[int, _Sandbox] = {}
        self._running: list[Running] = []
        self.transcript: list[Outcome] = []  # every finished call, for the test's output

    # -- the three shapes -------------------------------------------------------------------

    def run(
        self, function: str, *args: Any, deadline: float | None = None, **kwargs: Any
    ) -> Outcome:
        """Call ``function(*args, **kwargs)`` in a sandbox; the whole Outcome."""
        return self._call(self._job(function, None, args, kwargs, linger=True), deadline)

    def call(self, function: str, *args: Any, deadline: float | None = None, **kwargs: Any) -> Any:
        """Call ``function(*args, **kwargs)`` in a sandbox; its value, or fail the test."""
        return self.run(function, *args, deadline=deadline, **kwargs).value_or_raise()

    def run_scenario(
        self,
        scenario: Callable[..., object],
        *args: Any,
        deadline: float | None = None,
        label: str | None = None,
        **kwargs: Any,
    ) -> Outcome:
        """Run trusted ``scenario(module, *args, **kwargs)`` in a sandbox; the whole Outcome.

        ``label`` names the run in messages, e.g. ``"parallel_map(square, [1, 2], 3)"``.
        """
        job = self._job(None, scenario, args, kwargs, linger=True, label=label)
        return self._call(job, deadline)

    def scenario(
        self,
        scenario: Callable[..., object],
        *args: Any,
        deadline: float | None = None,
        label: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run trusted ``scenario(module, ...)`` in a sandbox; its value, or fail the test."""
        outcome = self.run_scenario(scenario, *args, deadline=deadline, label=label, **kwargs)
        return outcome.value_or_raise()

    def start(self, function: str, *args: Any, **kwargs: Any) -> Running:
        """Start ``function(*args, **kwargs)`` (a server) and return at once."""
        return self._start(self._job(function, None, args, kwargs, linger=False))

    def start_scenario(
        self, scenario: Callable[..., object], *args: Any, label: str | None = None, **kwargs: Any
    ) -> Running:
        """Start trusted ``scenario(module, *args, **kwargs)`` and return at once."""
        return self._start(self._job(None, scenario, args, kwargs, linger=False, label=label))

    def _start(self, job: sandbox_child.Job) -> Running:
        running = Running(self, self._spawn(job))
        self._running.append(running)
        return running

    # -- machinery ----------------------------------------------------------------------------

    def _job(
        self,
        function: str | None,
        scenario: Callable[..., object] | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        linger: bool,
        label: str | None = None,
    ) -> sandbox_child.Job:
        return sandbox_child.Job(
            module_path=self.module_path,
            module_name=self.module_name,
            display_path=self.display_path,
            function=function,
            scenario=scenario,
            args=args,
            kwargs=kwargs,
            limits=self.limits,
            linger=linger,
            label=label,
            identity=self.identity,
        )

    def _spawn(self, job: sandbox_child.Job) -> _Sandbox:
        # Children the test had before this run (e.g. a trusted server the spec forked) are
        # not this run's escapees.
        before = frozenset(p.pid for p in probe.children(os.getpid()))
        if self.identity is not None:
            for folder in self.shared:
                users.share_tree(folder, self.identity.uid)
        box = _Sandbox(job)
        box.before = before
        self._live[box.pid] = box
        return box

    def _call(self, job: sandbox_child.Job, deadline: float | None) -> Outcome:
        box = self._spawn(job)
        frame, timed_out = box.wait_result(Deadline(deadline or self.default_deadline))
        # Observe before killing anything: zombies and live descendants at return.
        rows = probe.table()
        zombies = tuple(probe.zombies(box.pid, rows)) if box.status is None else ()
        descendants = tuple(p for p in probe.descendants(box.pid, rows) if not p.zombie)
        outcome = self._finish(
            box,
            frame=frame,
            rows=rows,
            timed_out=timed_out,
            zombies=zombies,
            descendants=descendants,
        )
        if outcome.error is not None and (outcome.error.todo or outcome.error.import_failed):
            raise outcome.as_problem()  # a stub or a broken file: nothing for the spec to inspect
        return outcome

    def _finish(
        self,
        box: _Sandbox,
        frame: bytes | None = None,
        stopped_by: str | None = None,
        rows: dict[int, probe.Proc] | None = None,
        **observed: Any,
    ) -> Outcome:
        spare = frozenset(self._live)
        kill_tree(box.pid, include_root=box.status is None, spare=spare, rows=rows)
        if box.status is None:
            box.status = wait_child(box.pid, Deadline(5.0))
        del self._live[box.pid]
        escaped = tuple(self._kill_escaped(box.before))
        if frame is None:
            try:
                box.reader.pump()
                frame = box.reader.frame()
            except wire.FrameError:
                frame = None
        try:
            outcome = box.outcome(frame, escaped=escaped, stopped_by=stopped_by, **observed)
        finally:
            box.close()
        self.transcript.append(outcome)
        return outcome

    def _kill_escaped(self, keep: frozenset[int] = frozenset()) -> list[probe.Proc]:
        """Kill processes re-parented to us (double-forked daemons) but sandboxes and ``keep``."""
        me = os.getpid()
        spare = frozenset(self._live) | keep
        escaped: list[probe.Proc] = []
        for proc in probe.children(me):
            if proc.pid in spare:
                continue
            if proc.zombie:
                try:
                    os.waitpid(proc.pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                continue
            escaped.extend(kill_tree(proc.pid, include_root=True, spare=spare))
        return escaped

    def printed(self, limit: int = 8192) -> str:
        """What the student's code printed, call by call (each stream capped at ``limit``)."""
        parts = []
        for outcome in self.transcript:
            for name, cap in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
                text = cap.text
                if not text:
                    continue
                if len(text) > limit:
                    text = text[: limit // 2] + "\n[...]\n" + text[-limit // 2 :]
                parts.append(f"--- {outcome.label} {name} ---\n{text.rstrip()}")
        return "\n".join(parts)

    def close(self) -> list[probe.Proc]:
        """Stop everything still running (SIGKILL); the list of processes that were killed."""
        killed: list[probe.Proc] = []
        for running in self._running:
            if running.outcome is None:
                killed.extend(p for p in running.descendants())
                running.stop(grace=0.0)
        killed.extend(self._kill_escaped())
        return killed
