"""What the judge learnt from one sandbox run, as typed data.

An :class:`Outcome` says how the run ended (:class:`Ending`), with what (the value, the
student's exception, the exit status), what the student printed, and what the judge itself
saw: zombie children and live descendants at the moment the function returned, orphans
re-parented to the judge (``escaped``), forked children that fell out of the student's
function into the grader's code (``fell_through``), and the :class:`~grader.timeline.Timeline`
of the whole process tree. Only the value, the exception, the output and the ``stack`` of a
run that timed out (where the student's code was, shown and never judged) come from student
code; everything else the judge observed from outside.
"""

from __future__ import annotations

import enum
import os
import re
import signal
from dataclasses import dataclass, field

from grader import probe
from grader.isolation import Captured, signal_name
from grader.messages import Msg
from grader.stackdump import Stack
from grader.timeline import Timeline
from grader.trim import head_tail


class Ending(enum.Enum):
    """How a sandbox run ended."""

    RETURNED = "returned"
    RAISED = "raised"  # the student's function (or the import of the module) raised
    TIMED_OUT = "timed out"
    CRASHED = "crashed"  # the process ended (a signal, os._exit) without a result
    UNSUPPORTED = "unsupported value"  # it returned something the codec does not carry
    MISSING = "missing function"  # the module has no such function
    STOPPED = "stopped"  # a started function, ended by the judge (SIGTERM, then SIGKILL)
    NO_RESULT = "no result"  # the result channel held nothing readable


@dataclass(frozen=True)
class ExitStatus:
    """How a process ended: an exit code or the signal that killed it."""

    code: int | None = None
    signal: int | None = None

    @classmethod
    def from_wait(cls, status: int) -> ExitStatus:
        if os.WIFSIGNALED(status):
            return cls(signal=os.WTERMSIG(status))
        if os.WIFEXITED(status):
            return cls(code=os.WEXITSTATUS(status))
        return cls()

    def killed_by(self, signum: int) -> bool:
        return self.signal == signum

    def describe(self, lang: str = "en") -> str:
        if self.signal is not None:
            name = signal_name(self.signal)
            return f"被 {name} 终止" if lang == "zh" else f"killed by {name}"
        if self.code is not None:
            return f"以退出码 {self.code} 结束" if lang == "zh" else f"exited with code {self.code}"
        return "结束状态未知" if lang == "zh" else "ended in an unknown way"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class StudentError:
    """An exception raised by student code, as plain data."""

    type: str
    message: str
    traceback: str
    todo: bool = False
    import_failed: bool = False


# How a fork left the student's function, as the sandbox writes it (sandbox_child._run), and
# the same in Chinese. A text the sandbox did not write stays as it came.
_HOW_ZH = (
    (re.compile(r"returned from the student's function"), "从函数里 return 了"),
    (re.compile(r"raised (\w+)"), r"抛出了 \1"),
    (re.compile(r"called sys\.exit\((.*)\)"), r"调用了 sys.exit(\1)"),
    (re.compile(r"forked while the module was imported"), "在导入模块时 fork 出来，离开了模块"),
    (
        re.compile(r"forked during the import, then raised (\w+)"),
        r"在导入模块时 fork 出来，然后抛出了 \1",
    ),
)


@dataclass(frozen=True)
class FellThrough:
    """A process forked by student code that left the student's function into grader code.

    The sandbox stops it there (it never runs the grader's machinery) and tells the judge
    ``how``: ``returned from the student's function``, ``raised <Type>``, ``called
    sys.exit(<code>)``, or that it was forked while the module was imported.
    """

    pid: int
    how: str

    def describe(self, lang: str = "en") -> str:
        if lang != "zh":
            return f"pid {self.pid} ({self.how})"
        how = self.how
        for pattern, chinese in _HOW_ZH:
            if pattern.fullmatch(how):
                how = pattern.sub(chinese, how)
                break
        return f"pid {self.pid}（{how}）"


class StudentProblem(AssertionError):
    """Student code did not produce a value; ``teaching`` says why, for the student.

    (Not ``msg``: pytest reads that attribute of an AssertionError for its own purposes.)"""

    status = "failed"

    def __init__(self, msg: Msg | str) -> None:
        self.teaching = msg if isinstance(msg, Msg) else Msg(msg)
        super().__init__(self.teaching.en)


class StudentTodo(StudentProblem):
    """The stub still raises NotImplementedError: the exercise is not started."""

    status = "todo"


class StudentTimeout(StudentProblem):
    """The student's function did not return before its deadline."""

    status = "timeout"


class StudentSkipped(StudentProblem):
    """Not run: a call of the same student function hung in an earlier test (``grader check``
    only, see :mod:`grader.hangs`); counts as not passed."""

    status = "skipped"


class StudentCrashed(StudentProblem):
    """The sandbox died (a signal, ``os._exit``) before returning."""

    status = "crashed"


@dataclass(frozen=True)
class Outcome:
    """Everything the judge learnt from one sandbox run (see the module's docstring)."""

    label: str
    ending: Ending
    pid: int = 0  # the sandbox process (the caller of the student's function)
    value: object = None
    error: StudentError | None = None
    problem: Msg | None = None  # why there is no value, when it is not an exception
    exit: ExitStatus | None = None  # how the sandbox process ended, if it did
    stopped_by: str | None = None  # a started function: "SIGTERM" or "SIGKILL", if we stopped it
    stdout: Captured = field(default_factory=lambda: Captured("", 0, 0))
    stderr: Captured = field(default_factory=lambda: Captured("", 0, 0))
    zombies: tuple[probe.Proc, ...] = ()
    descendants: tuple[probe.Proc, ...] = ()
    escaped: tuple[probe.Proc, ...] = ()
    fell_through: tuple[FellThrough, ...] = ()
    timeline: Timeline = field(default_factory=Timeline)
    duration_s: float = 0.0
    stack: Stack | None = None  # timed out: where the student's code was (student-sent text)

    @property
    def returned(self) -> bool:
        return self.ending is Ending.RETURNED

    @property
    def timed_out(self) -> bool:
        return self.ending is Ending.TIMED_OUT

    def raised(self, type_name: str) -> bool:
        """True if the student's code raised an exception of this (class) name."""
        return self.error is not None and self.error.type == type_name

    def where(self, lang: str = "en") -> str:
        """Where the student's code was when the run timed out, on lines of its own ('' if the
        sandbox did not say: stuck in C code, or the signal blocked)."""
        return f"\n{self.stack.describe(lang)}" if self.stack is not None else ""

    def value_or_raise(self) -> object:
        """The returned value, or a StudentProblem whose message teaches what went wrong."""
        if self.returned:
            return self.value
        raise self.as_problem()

    def as_problem(self) -> StudentProblem:
        """Why there is no value, as the exception a spec raises to fail the test."""
        output = _output_note(self.stdout, self.stderr)
        label = self.label
        if self.error is not None:
            err = self.error
            if err.todo:
                return StudentTodo(
                    Msg(
                        f"{label} is not written yet (it raises NotImplementedError)",
                        f"{label} 还没有实现（它抛出了 NotImplementedError）",
                    )
                )
            if err.import_failed:
                return StudentProblem(f"{err.message}\n{err.traceback}".rstrip())
            detail = f"{err.type}: {err.message}\n{err.traceback}{output}"
            return StudentProblem(Msg(f"{label} raised {detail}", f"{label} 抛出了 {detail}"))
        if self.ending is Ending.TIMED_OUT:
            return StudentTimeout(
                Msg(
                    f"{label} did not return in time{self.where('en')}{output}",
                    f"{label} 没有在限时内返回{self.where('zh')}{output}",
                )
            )
        if self.ending is Ending.CRASHED and self.exit is not None:
            return StudentCrashed(
                Msg(
                    f"{label} ended the process ({self.exit.describe()}) before returning{output}",
                    f"{label} 在返回之前结束了进程（{self.exit.describe('zh')}）{output}",
                )
            )
        if self.ending is Ending.STOPPED:
            how = self.stopped_by or "?"
            return StudentProblem(
                Msg(
                    f"{label} was still running and was stopped with {how}{output}",
                    f"{label} 仍在运行，被 {how} 停止{output}",
                )
            )
        problem = self.problem or Msg("the sandbox sent no result", "沙箱没有送回结果")
        return StudentProblem(Msg(f"{label}: ", f"{label}：") + problem + output)


def _output_note(stdout: Captured, stderr: Captured) -> str:
    parts = []
    for name, cap in (("stdout", stdout), ("stderr", stderr)):
        if cap.text.strip():
            parts.append(f"\n--- its {name} ---\n{head_tail(cap.text, 2000).rstrip()}")
    return "".join(parts)


def killed_by_sigterm(exit_status: ExitStatus | None) -> bool:
    """Convenience for specs of servers: the process ended on the judge's SIGTERM."""
    return exit_status is not None and exit_status.killed_by(signal.SIGTERM)
