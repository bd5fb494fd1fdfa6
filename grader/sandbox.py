"""The ``student`` fixture: run student code in sandbox processes and judge what comes back.

A spec test never imports the student's module. It asks :class:`Student` to

* ``run`` a function and get the whole :class:`~grader.outcome.Outcome`, or ``call`` it and
  get its value (the test fails with a teaching message if there is none);
* ``start`` a long-running function (a server), talk to it, then ``stop`` it;
* run a trusted ``scenario`` from the spec that receives the student module in the sandbox
  (``run_scenario`` / ``scenario`` / ``start_scenario``).

The grader's own options are kept apart from the student function's arguments:
``student.options(deadline=5, label="serve(port)").call("serve", port)``.

Ownership: the test process forks each sandbox and is its only waiter. It owns the result
pipe's read end, the fall-through pipe's read end, the stack-dump pipe's read end and the two
unlinked output files, and closes them when the run is concluded (a call: when it returns; a
started function: on ``stop``). A test process the launcher prepared forks one sandbox before
its test (:func:`prepare`), which waits for its job: the first run that pickles takes it over
with its channels; an unused one is killed and reaped by :func:`discard_prepared` before the
test's leftovers are looked for. :meth:`Student._conclude` is the one place a sandbox ends: it
kills every process the sandbox started, kills orphans re-parented to the test process
(``escaped``), reads what fell through, and builds the Outcome with the
:class:`~grader.timeline.Timeline` the :class:`~grader.timeline.Watcher` recorded. Values come
back through :mod:`grader.codec`.

A call that runs past its deadline is first asked where the student's code is
(:mod:`grader.stackdump`; a bounded wait, then killed as before), and with ``known_hangs``
(``grader check``, see :mod:`grader.hangs`) a function that hung in an earlier test is not
called again.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import select
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from grader import codec, hangs, net, probe, sandbox_child, stackdump, users, wire
from grader.isolation import Deadline, OutputFile, kill_tree, wait_child
from grader.messages import Msg
from grader.outcome import (
    Ending,
    ExitStatus,
    FellThrough,
    Outcome,
    StudentCrashed,
    StudentError,
    StudentProblem,
    StudentSkipped,
    StudentTimeout,
    StudentTodo,
)
from grader.polling import holds_within, wait_until
from grader.timeline import Timeline, Watcher, fork_between_samples
from grader.trim import head_tail

FRAME_BUDGET = codec.MAX_BYTES + 64 * 1024
FALL_BUDGET = 64 * 1024
DUMP_WAIT = 1.5  # most seconds a timed-out sandbox gets to say where it is: it answers in
# ms on a quiet machine, but on a loaded one a thread spinning with the GIL can keep the
# handler waiting for tenths of a second; the wait ends as soon as the answer is in.
TAKE_WAIT = 2.0  # seconds a sandbox forked ahead may take to read its job before one is forked
DUMP_RESERVE = 0.2  # seconds kept, after the question, for ending the sandbox and the test

__all__ = [
    "Options",
    "Outcome",
    "Running",
    "Student",
    "StudentCrashed",
    "StudentError",
    "StudentProblem",
    "StudentSkipped",
    "StudentTimeout",
    "StudentTodo",
]


@dataclass(frozen=True)
class Options:
    """The grader's options for one run, never passed to the student's function.

    ``deadline``: seconds the run may take (default: the test's call budget);
    ``label``: how messages name the run, e.g. ``"parallel_map(square, [1, 2], 3)"``;
    ``expect_raise``: the name of an exception class the student's code is meant to raise
    here — ``call`` then returns its :class:`StudentError` instead of failing the test.
    """

    deadline: float | None = None
    label: str | None = None
    expect_raise: str | None = None


@dataclass
class _Ahead:
    """A sandbox forked before its job is known (:func:`prepare`), and the judge's ends.

    The test process that forked it (``owner``) owns it: the job pipe's write end, the
    other pipes' read ends and the two output files pass to the :class:`_Sandbox` that
    takes it, or :func:`discard_prepared` kills it and closes them.
    """

    pid: int
    owner: int
    job_w: int
    result_r: int
    fall_r: int
    dump_r: int
    out: OutputFile
    err: OutputFile
    killed: bool = False  # by discard_prepared(), its descriptors closed; not yet reaped

    def kill(self) -> None:
        # Its own process group once it is cut off; before that, only itself.
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(self.pid, signal.SIGKILL)
        for fd in (self.job_w, self.result_r, self.fall_r, self.dump_r):
            os.close(fd)
        self.out.close()
        self.err.close()
        self.killed = True


_ahead: _Ahead | None = None  # this test process's sandbox forked ahead, not yet used


def prepare(identity: sandbox_child.Identity | None) -> None:
    """Fork a sandbox that cuts itself off and waits for its job, so that the test's first
    call skips the fork and the getting ready (about 3 ms of a call on the CI VM).

    Called in a test process the launcher prepared, while the previous test runs. The
    sandbox is a copy of this process as it is *now*: it gets its job pickled (a scenario
    by reference, the arguments by value), not inherited, so a job that cannot be pickled,
    or is larger than a pipe holds, is forked as before (:class:`_Sandbox`). It does
    nothing the job decides (limits, uid, working directory) before the job comes: no code
    of an earlier test's student, which runs as the same uid, can reach a process of that
    uid that a later test will trust. Both sides then make a call's first steps on a
    made-up job (:func:`sandbox_child.rehearse_order`), so that the call finds them warm.
    """
    global _ahead
    discard_prepared()
    out, err = OutputFile(), OutputFile()
    job_r, job_w = os.pipe()
    result_r, result_w = os.pipe()
    fall_r, fall_w = os.pipe()
    dump_r, dump_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        for fd in (job_w, result_r, fall_r, dump_r):
            os.close(fd)
        view = identity.view_fd if identity is not None else None
        sandbox_child.wait_for_job(job_r, result_w, fall_w, dump_w, out.fd, err.fd, view)
    for fd in (job_r, result_w, fall_w, dump_w):
        os.close(fd)
    _ahead = _Ahead(pid, os.getpid(), job_w, result_r, fall_r, dump_r, out, err)
    # The judge's first calls at a call, made now, while the previous test runs: see
    # sandbox_child.rehearse_order; a walk of our tree as every look at the sandbox makes.
    sandbox_child.rehearse_order()
    probe.subtree([os.getpid()])


def discard_prepared(wait: bool = True) -> None:
    """Kill this process's unused sandbox forked ahead, if any (it ran no student code);
    ``wait``: reap it too, else only kill it now (the next discard reaps it)."""
    global _ahead
    ahead = _ahead
    if ahead is None or ahead.owner != os.getpid():
        _ahead = None  # a copy in a process forked from its owner: not ours to touch
        return
    if not ahead.killed:
        ahead.kill()
    if wait:
        _ahead = None
        with contextlib.suppress(ChildProcessError):  # the test's own os.wait() got it
            wait_child(ahead.pid, Deadline(5.0))


def _send_ahead(job: sandbox_child.Job) -> _Ahead | None:
    """Hand ``job`` to this process's sandbox forked ahead and wait until it has it; None
    (fork one) when there is none, or the job does not pickle or fit, or the sandbox could
    not take it (gone, stopped, or unable to unpickle it: it ran no student code)."""
    global _ahead
    ahead = _ahead
    if ahead is None or ahead.owner != os.getpid() or ahead.killed:
        return None
    try:
        data = pickle.dumps(sandbox_child.Order.now(job))
    except Exception:  # a lambda, a lock, a socket: this job is inherited through a fork
        return None
    if len(data) > sandbox_child.JOB_BUDGET:
        return None
    try:
        wire.write_frame(ahead.job_w, data)
        ready, _, _ = select.select([ahead.fall_r], [], [], TAKE_WAIT)
        taken = bool(ready) and os.read(ahead.fall_r, 1) == sandbox_child.TAKEN
    except OSError:  # it was killed (by the student's code of an earlier test, say)
        taken = False
    if not taken:
        discard_prepared()
        return None
    os.close(ahead.job_w)
    _ahead = None
    return ahead


class _Sandbox:
    """One sandbox process and the judge's ends of its channels: forked for its job, or
    forked ahead and sent its job (:func:`prepare`)."""

    def __init__(
        self, job: sandbox_child.Job, watcher: Watcher, spare: frozenset[int], on_thread: bool
    ) -> None:
        self.label = job.label or (
            f"{job.function}()"
            if job.function
            else f"scenario {getattr(job.scenario, '__name__', '?')}"
        )
        self.started = time.monotonic()
        ahead = _send_ahead(job)
        if ahead is not None:
            pid, result_r, fall_r, dump_r = ahead.pid, ahead.result_r, ahead.fall_r, ahead.dump_r
            self.out, self.err = ahead.out, ahead.err
        else:
            pid, result_r, fall_r, dump_r = self._fork(job)
        self.pid = pid
        self.reader = wire.FrameReader(result_r, FRAME_BUDGET)
        self.fall_fd = fall_r
        self.fell: list[FellThrough] = []  # read so far from the fall-through pipe
        os.set_blocking(fall_r, False)
        self.dump_fd = dump_r
        os.set_blocking(dump_r, False)
        self.status: int | None = None
        # The judge's children before this run (a sandbox forked ahead was one): not this
        # run's escapees.
        self.before = spare - {pid}
        watcher.watch(pid, self.before, on_thread=on_thread)

    def _fork(self, job: sandbox_child.Job) -> tuple[int, int, int, int]:
        """Fork the sandbox for ``job``: (pid, result, fall-through and dump read ends)."""
        self.out = OutputFile()
        self.err = OutputFile()
        result_r, result_w = os.pipe()
        fall_r, fall_w = os.pipe()
        dump_r, dump_w = os.pipe()
        pid = fork_between_samples()
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(result_r)
            os.close(fall_r)
            os.close(dump_r)
            sandbox_child.enter(job, result_w, fall_w, dump_w, self.out.fd, self.err.fd)
        os.close(result_w)
        os.close(fall_w)
        os.close(dump_w)
        return pid, result_r, fall_r, dump_r

    def close(self) -> None:
        os.close(self.reader.fd)
        os.close(self.fall_fd)
        os.close(self.dump_fd)
        self.out.close()
        self.err.close()

    def wait_result(self, deadline: Deadline, watcher: Watcher) -> tuple[bytes | None, bool]:
        """(frame, timed_out): the result frame, or None if the sandbox died or ran out of
        time. ``watcher`` samples the sandbox's tree meanwhile, on this thread if need be."""
        got: tuple[bytes | None, int | None] = (None, None)

        def wait(step: Deadline) -> bool:
            nonlocal got
            got = wire.await_frame(self.reader, self.pid, step)
            return got != (None, None)

        try:
            watcher.sample_while_waiting(wait, deadline)
        except wire.FrameError:
            return None, False
        frame, status = got
        self.status = status
        return frame, frame is None and status is None

    def where(self, wait: float, display_path: str) -> stackdump.Stack | None:
        """Ask the sandbox where the student's code is; None without a well-formed answer
        within ``wait`` seconds (C code holding the GIL, the signal blocked, the process gone).

        Whatever was in the pipe before the question is dropped: the answer is the frame that
        follows it. It is only ever shown (see grader.stackdump).
        """
        drained = 0
        while drained < 4 * stackdump.BUDGET:
            try:
                chunk = os.read(self.dump_fd, stackdump.BUDGET)
            except BlockingIOError:
                break
            if not chunk:
                return None  # no writer left: nobody to answer
            drained += len(chunk)
        try:
            os.kill(self.pid, stackdump.SIGNAL)
        except (ProcessLookupError, PermissionError):
            return None
        reader = wire.FrameReader(self.dump_fd, stackdump.BUDGET)
        deadline = Deadline(wait)
        try:
            while not reader.pump():
                if reader.eof or deadline.expired():
                    return None
                select.select([self.dump_fd], [], [], deadline.remaining())
        except (wire.FrameError, OSError):
            return None
        frame = reader.frame()
        return stackdump.parse(frame, display_path) if frame is not None else None

    def fell_through(self) -> tuple[FellThrough, ...]:
        """What forked children reported so far when they came back into grader code (bounded)."""
        data = b""
        while len(data) < FALL_BUDGET and len(self.fell) < 100:
            try:
                chunk = os.read(self.fall_fd, FALL_BUDGET)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        for line in data.decode(errors="replace").splitlines()[: 100 - len(self.fell)]:
            pid, _, how = line.partition(" ")
            if pid.isdigit():
                self.fell.append(FellThrough(int(pid), how))
        return tuple(self.fell)


def dump_wait(unarmed: float = DUMP_WAIT) -> float:
    """Seconds to wait for a timed-out sandbox's stack: DUMP_WAIT, or less when the test's
    soft limit (grader.plugin arms it with ITIMER_REAL in this process) is nearer, keeping
    DUMP_RESERVE for the rest; ``unarmed`` (capped at DUMP_WAIT) when no soft limit is set."""
    left = signal.getitimer(signal.ITIMER_REAL)[0]
    if left <= 0:
        return max(0.05, min(DUMP_WAIT, unarmed))
    return max(0.05, min(DUMP_WAIT, left - DUMP_RESERVE))


def _decode_frame(frame: bytes, fields: dict[str, Any]) -> Outcome:
    try:
        data = json.loads(frame)
        kind = data["kind"]
        if kind == "return":
            value = codec.decode(data["value"].encode())
            return Outcome(ending=Ending.RETURNED, value=value, **fields)
        if kind in ("raise", "import"):
            error = StudentError(
                type=str(data["type"]),
                message=str(data["message"]),
                traceback=str(data["traceback"]),
                todo=bool(data.get("todo", False)),
                import_failed=kind == "import",
            )
            return Outcome(ending=Ending.RAISED, error=error, **fields)
        if kind == "missing":
            return Outcome(ending=Ending.MISSING, problem=Msg(str(data["message"])), **fields)
        if kind == "unsupported":
            problem = Msg(str(data["message"]))
            return Outcome(ending=Ending.UNSUPPORTED, problem=problem, **fields)
    except (ValueError, KeyError, TypeError, AttributeError, codec.CodecError) as exc:
        problem = Msg(f"sent a malformed result ({exc})", f"送回的结果格式不对（{exc}）")
        return Outcome(ending=Ending.NO_RESULT, problem=problem, **fields)
    return Outcome(ending=Ending.NO_RESULT, problem=Msg("sent a result of unknown kind"), **fields)


class Running:
    """A function started with :meth:`Calls.start` and not yet stopped.

    The test owns it; :meth:`stop` (or the fixture's teardown) ends the sandbox and every
    process it started, closes the channels, and returns the Outcome.
    """

    def __init__(
        self,
        sandbox: _Sandbox,
        watcher: Watcher,
        conclude: Callable[..., Outcome],
        time_out: Callable[[], Outcome],
    ) -> None:
        self._sandbox = sandbox
        self._watcher = watcher
        self._conclude = conclude
        self._time_out = time_out
        self.pid = sandbox.pid
        self.label = sandbox.label
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

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the function to return or raise (or its process to
        end); True if it did, and :meth:`stop` then concludes it without a signal.

        Call it before ``stop()`` when the spec knows the function is returning (it said so on
        the spec's own channel): its result may still be on its way, and a ``stop()`` at that
        moment would SIGTERM a run that was about to end by itself.
        """
        return holds_within(self.finished, timeout, max_interval=0.01)

    def timeline(self) -> Timeline:
        """What the judge has seen of the process tree so far."""
        if self.outcome is not None:
            return self.outcome.timeline
        self._watcher.sample_now()
        return self._watcher.timeline(self.pid)

    def fell_through(self) -> tuple[FellThrough, ...]:
        """Forked children that came back into grader code so far (see Outcome.fell_through)."""
        if self.outcome is not None:
            return self.outcome.fell_through
        return self._sandbox.fell_through()

    def stderr_so_far(self) -> str:
        """What the sandbox and the processes below it wrote to stderr until now."""
        if self.outcome is not None:
            return self.outcome.stderr.text
        try:
            return self._sandbox.err.read().text
        except OSError:  # closed by a stop() that raised before it concluded
            return ""

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

        wait_until(ready, timeout, f"{self.label} did not accept connections on 127.0.0.1:{port}")

    def time_out(self) -> Outcome:
        """The spec's own deadline for this run has passed: end it as a call past its deadline
        is ended. The sandbox is asked where the student's code is (``Outcome.stack``, shown
        under the spec's message), everything is killed, and in ``grader check`` the hang is
        remembered, so later tests that make the same call are not run (grader.hangs)."""
        if self.outcome is None:
            self.outcome = self._time_out()
        return self.outcome

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
                # A sandbox stopped by SIGSTOP (a spec's or its own) would keep the SIGTERM
                # pending for the whole grace and be SIGKILLed: let it run to take it.
                os.kill(self.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            box.status = wait_child(self.pid, Deadline(grace))
            if box.status is None:
                stopped_by = "SIGKILL"
        self.outcome = self._conclude(box, stopped_by=stopped_by)
        return self.outcome


class Calls:
    """The verbs of the ``student`` fixture, with one set of :class:`Options`."""

    def __init__(self, student: Student, options: Options) -> None:
        self._student = student
        self._options = options

    def options(
        self,
        deadline: float | None = None,
        label: str | None = None,
        expect_raise: str | None = None,
    ) -> Calls:
        """The same verbs with these grader options (unset ones keep their current value)."""
        current = self._options
        return Calls(
            self._student,
            Options(
                deadline=current.deadline if deadline is None else deadline,
                label=current.label if label is None else label,
                expect_raise=current.expect_raise if expect_raise is None else expect_raise,
            ),
        )

    def run(self, function: str, /, *args: Any, **kwargs: Any) -> Outcome:
        """Call ``function(*args, **kwargs)`` in a sandbox; the whole Outcome."""
        job = self._job(function, None, args, kwargs, linger=True)
        return self._student._call(job, self._options)

    def call(self, function: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``function(*args, **kwargs)`` in a sandbox; its value, or fail the test."""
        return self._value(self.run(function, *args, **kwargs))

    def run_scenario(
        self, scenario: Callable[..., object], /, *args: Any, **kwargs: Any
    ) -> Outcome:
        """Run trusted ``scenario(module, *args, **kwargs)`` in a sandbox; the whole Outcome."""
        job = self._job(None, scenario, args, kwargs, linger=True)
        return self._student._call(job, self._options)

    def scenario(self, scenario: Callable[..., object], /, *args: Any, **kwargs: Any) -> Any:
        """Run trusted ``scenario(module, ...)`` in a sandbox; its value, or fail the test."""
        return self._value(self.run_scenario(scenario, *args, **kwargs))

    def start(self, function: str, /, *args: Any, **kwargs: Any) -> Running:
        """Start ``function(*args, **kwargs)`` (a server) and return at once."""
        return self._student._start(self._job(function, None, args, kwargs, linger=False))

    def start_scenario(
        self, scenario: Callable[..., object], /, *args: Any, **kwargs: Any
    ) -> Running:
        """Start trusted ``scenario(module, *args, **kwargs)`` and return at once."""
        return self._student._start(self._job(None, scenario, args, kwargs, linger=False))

    def _value(self, outcome: Outcome) -> Any:
        expected = self._options.expect_raise
        if expected is None:
            return outcome.value_or_raise()
        if outcome.raised(expected):
            return outcome.error
        if outcome.returned:
            raise StudentProblem(
                Msg(
                    f"{outcome.label} returned {outcome.value!r}; it should raise {expected}",
                    f"{outcome.label} 返回了 {outcome.value!r}；这里应当抛出 {expected}",
                )
            )
        raise outcome.as_problem()

    def _job(
        self,
        function: str | None,
        scenario: Callable[..., object] | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        linger: bool,
    ) -> sandbox_child.Job:
        s = self._student
        return sandbox_child.Job(
            module_path=s.module_path,
            module_name=s.module_name,
            display_path=s.display_path,
            function=function,
            scenario=scenario,
            args=args,
            kwargs=kwargs,
            limits=s.limits,
            linger=linger,
            label=self._options.label,
            identity=s.identity,
        )


class Student(Calls):
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
        known_hangs: Mapping[str, hangs.Hang] | None = None,
    ) -> None:
        """``identity``: who sandboxes become (root only); ``shared``: folders whose contents
        the spec prepares for the student, handed to the sandbox uid before each run;
        ``known_hangs``: calls that hung in earlier tests, not to be made again (see
        grader.hangs; None: every call is made)."""
        super().__init__(self, Options())
        self.module_path = module_path
        self.module_name = module_name
        self.display_path = display_path
        self.default_deadline = default_deadline
        self.limits = limits or sandbox_child.Limits(
            cpu_seconds=sandbox_child.cpu_seconds_for(default_deadline)
        )
        self.identity = identity
        self.shared = shared
        self.watcher = Watcher(os.getpid())
        self._live: dict[int, _Sandbox] = {}
        self._running: list[Running] = []
        self.transcript: list[Outcome] = []  # every concluded run, for the test's output
        self.known_hangs = dict(known_hangs or {})
        self.hung: list[hangs.Hang] = []  # calls of this test that timed out

    # -- machinery ----------------------------------------------------------------------------

    def _spawn(self, job: sandbox_child.Job, on_thread: bool) -> _Sandbox:
        """``on_thread``: the Watcher's thread samples this sandbox (a started one); else the
        judge samples it while it waits for the result (see Watcher.sample_while_waiting)."""
        # Children the test had before this run (e.g. a trusted server the spec forked, or
        # another sandbox) are not this run's escapees.
        before = frozenset(probe.child_pids(os.getpid()))
        if self.identity is not None:
            for folder in self.shared:
                users.share_tree(folder, self.identity.uid)
        box = _Sandbox(job, self.watcher, before | frozenset(self._live), on_thread)
        self._live[box.pid] = box
        return box

    def _start(self, job: sandbox_child.Job) -> Running:
        self._skip_known_hang(job)  # a start is never remembered, but may be skipped
        box = self._spawn(job, on_thread=True)
        running = Running(
            box, self.watcher, self._conclude, lambda: self._time_out(box, job, dump_wait())
        )
        self._running.append(running)
        return running

    def _skip_known_hang(self, job: sandbox_child.Job) -> None:
        """End the test at once (status skipped) if this run makes a call that hung before."""
        known = hangs.find(self.known_hangs, job.function, job.scenario, job.args, job.kwargs)
        if known is not None:
            raise StudentSkipped(hangs.skip_message(known))

    def _call(self, job: sandbox_child.Job, options: Options) -> Outcome:
        self._skip_known_hang(job)
        box = self._spawn(job, on_thread=False)
        deadline = options.deadline or self.default_deadline
        frame, timed_out = box.wait_result(Deadline(deadline), self.watcher)
        # Observe before killing anything: zombies and live descendants at return.
        self.watcher.sample_now()
        rows = probe.settled_subtree([os.getpid()])  # everything below this test process
        zombies = tuple(probe.zombies(box.pid, rows)) if box.status is None else ()
        descendants = tuple(p for p in probe.descendants(box.pid, rows) if not p.zombie)
        if timed_out:  # a question, inside the margin before the test's soft limit
            outcome = self._time_out(
                box, job, dump_wait(deadline / 10), frame, rows, zombies, descendants
            )
        else:
            outcome = self._conclude(
                box, frame=frame, rows=rows, zombies=zombies, descendants=descendants
            )
        if outcome.error is not None and (outcome.error.todo or outcome.error.import_failed):
            raise outcome.as_problem()  # a stub or a broken file: nothing for the spec to inspect
        return outcome

    def _time_out(
        self,
        box: _Sandbox,
        job: sandbox_child.Job,
        wait: float,
        frame: bytes | None = None,
        rows: dict[int, probe.Proc] | None = None,
        zombies: tuple[probe.Proc, ...] = (),
        descendants: tuple[probe.Proc, ...] = (),
    ) -> Outcome:
        """End ``box``, past its deadline: ask where it is, conclude, remember the hang."""
        stack = box.where(wait, self.display_path)
        outcome = self._conclude(
            box,
            frame=frame,
            rows=rows,
            timed_out=True,
            zombies=zombies,
            descendants=descendants,
            stack=stack,
        )
        if outcome.timed_out:  # a scenario: the student's function it was in, if it said
            function = job.function or (stack.entry() if stack is not None else None) or ""
            key = hangs.key_of(job.function, job.scenario, job.args, job.kwargs)
            self.hung.append(hangs.Hang(key, outcome.label, function))
        return outcome

    def _conclude(
        self,
        box: _Sandbox,
        frame: bytes | None = None,
        stopped_by: str | None = None,
        rows: dict[int, probe.Proc] | None = None,
        timed_out: bool = False,
        zombies: tuple[probe.Proc, ...] = (),
        descendants: tuple[probe.Proc, ...] = (),
        stack: stackdump.Stack | None = None,
    ) -> Outcome:
        """End ``box`` and everything it started; the Outcome of its run.

        A call that timed out stays timed out: a result that arrives after its deadline
        (while the judge asked where it was, or before the kill) is not read.
        """
        spare = frozenset(self._live)
        # Orphans re-parented to us (a double-forked daemon) are this run's escapees. Those
        # still in the sandbox's process group die with the group signal below: note them first.
        keep = spare | box.before
        found = rows if rows is not None else probe.settled_subtree([os.getpid()], skip=keep)
        escaped_alive = {
            p.pid: p for p in probe.descendants(os.getpid(), found, skip=keep) if p.running_code
        }
        # The timeline is what the student's code did: it ends before the judge kills (a sample
        # taken after would show zombies and re-parented orphans the judge made).
        timeline = self.watcher.forget(box.pid)
        if box.status is None:
            # The sandbox leads its own process group: one signal ends everything that stayed
            # in it (a flood of 500 children included); the tree walk then finds the rest.
            try:
                os.killpg(box.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            rows = None  # what was read before the kill is stale now
        kill_tree(box.pid, include_root=box.status is None, spare=spare, rows=rows)
        if box.status is None:
            box.status = wait_child(box.pid, Deadline(5.0))
        del self._live[box.pid]
        for proc in self._kill_escaped(box.before):
            if proc.running_code:  # as above: one already on its way out when listed is not one
                escaped_alive.setdefault(proc.pid, proc)
        escaped = tuple(sorted(escaped_alive.values(), key=lambda p: p.pid))
        if frame is None and not timed_out:
            try:
                box.reader.pump()
                frame = box.reader.frame()
            except wire.FrameError:
                frame = None
        try:
            fields: dict[str, Any] = {
                "label": box.label,
                "pid": box.pid,
                "stdout": box.out.read(),
                "stderr": box.err.read(),
                "exit": ExitStatus.from_wait(box.status) if box.status is not None else None,
                "stopped_by": stopped_by,
                "zombies": zombies,
                "descendants": descendants,
                "escaped": escaped,
                "fell_through": box.fell_through(),
                "timeline": timeline,
                "duration_s": time.monotonic() - box.started,
            }
        finally:
            box.close()
        if frame is not None:
            outcome = _decode_frame(frame, fields)
        elif timed_out:
            outcome = Outcome(ending=Ending.TIMED_OUT, stack=stack, **fields)
        elif stopped_by is not None:
            outcome = Outcome(ending=Ending.STOPPED, **fields)
        elif box.status is not None:
            outcome = Outcome(ending=Ending.CRASHED, **fields)
        else:
            outcome = Outcome(ending=Ending.NO_RESULT, **fields)
        self.transcript.append(outcome)
        return outcome

    def _kill_escaped(self, keep: frozenset[int] = frozenset()) -> list[probe.Proc]:
        """Kill what was re-parented to us (double-forked daemons, orphans of a killed sandbox)
        but live sandboxes and ``keep``, and reap it: one walk, however many there are."""
        return kill_tree(os.getpid(), spare=frozenset(self._live) | keep)

    def stderr_so_far(self) -> list[str]:
        """What each sandbox of the test wrote to stderr: the concluded runs, then those still
        running (a spec may fail a test before it stops them)."""
        running = [run.stderr_so_far() for run in self._running if run.outcome is None]
        return [outcome.stderr.text for outcome in self.transcript] + running

    def printed(self, limit: int = 8192) -> str:
        """What the student's code printed, run by run (each stream capped at ``limit``)."""
        parts = []
        for outcome in self.transcript:
            for name, cap in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
                if cap.text:
                    text = head_tail(cap.text, limit)
                    parts.append(f"--- {outcome.label} {name} ---\n{text.rstrip()}")
        return "\n".join(parts)

    def close(self) -> list[probe.Proc]:
        """Stop everything still running (SIGKILL); the list of processes that were killed."""
        discard_prepared()  # never the student's: not among what is killed here
        killed: list[probe.Proc] = []
        for running in self._running:
            if running.outcome is None:
                killed.extend(p for p in running.descendants())
                running.stop(grace=0.0)
        killed.extend(self._kill_escaped())
        self.watcher.close()
        return killed
