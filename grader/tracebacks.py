"""Tracebacks the student's processes and threads printed: read back from captured stderr.

A process that ``multiprocessing`` started, or a thread, that raises does not stop the call:
Python prints its traceback to stderr (``Process Process-2:`` or ``Exception in thread
...:``, then ``Traceback (most recent call last):``) and the caller goes on without its
work. A spec then fails the test for what is missing ("sink() was never called"), which is
true but leads the student away from the cause. :func:`raised_below` finds, in what the
sandboxes printed, the exceptions raised in the student's own module, so the plugin can put
the cause beside the spec's message.

The text is the student's output, so it is a claim: it only ever adds a line to a message of
a test that already failed, never changes a verdict, and is cut short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from grader.messages import Msg

_START = "Traceback (most recent call last):"
_CHAINED = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$')
_PROCESS = re.compile(r"^Process \S.*:$")
_THREAD = re.compile(r"^Exception in thread \S.*:$")
# An exception's line: its (dotted) type, then ": message" or nothing. Lines of processes
# printing at once can interleave, and another's line is not this traceback's exception.
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?::\s.*|:)?$")
_SHOWN = 200  # characters of an exception's line a message keeps
# What the judge provokes on purpose: its clients that hang up (21, 23) and its SIGINT (15).
# Code that lets them through may be right, and a line naming them would mislead.
_PROVOKED = (
    "KeyboardInterrupt",
    "BrokenPipeError",
    "ConnectionResetError",
    "ConnectionAbortedError",
)


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    func: str


@dataclass(frozen=True)
class Raised:
    """One traceback as printed: the kind of header above it, its frames, its last line."""

    # "thread" under "Exception in thread NAME:", "process" under multiprocessing's
    # "Process NAME:", "" under anything else
    printed_by: str
    frames: tuple[Frame, ...]
    exception: str  # "NameError: name 'itme' is not defined"


def parse(text: str) -> list[Raised]:
    """Every traceback in ``text``; a chained one counts once, as its last exception."""
    found: list[Raised] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i] != _START:
            i += 1
            continue
        chained = bool(found) and _follows_chain(lines, i)
        printed_by = found[-1].printed_by if chained else _printed_by(lines, i)
        frames: list[Frame] = []
        i += 1
        while i < len(lines) and (lines[i].startswith(" ") or not lines[i]):
            match = _FRAME.match(lines[i])
            if match:
                frames.append(Frame(match["file"], int(match["line"]), match["func"]))
            i += 1
        exception = lines[i].strip() if i < len(lines) else ""
        exception = exception if _EXCEPTION.match(exception) else ""
        if chained:
            found.pop()
        found.append(Raised(printed_by, tuple(frames), exception))
        i += 1
    return found


def _printed_by(lines: list[str], start: int) -> str:
    """The kind of header on the line right above the traceback at ``lines[start]``."""
    line = lines[start - 1] if start else ""
    if _THREAD.match(line):
        return "thread"
    if _PROCESS.match(line):
        return "process"
    return ""


def _follows_chain(lines: list[str], start: int) -> bool:
    """Whether the traceback at ``lines[start]`` continues the one before it."""
    before = [line for line in lines[max(0, start - 3) : start] if line.strip()]
    return bool(before) and before[-1] in _CHAINED


def _is_module(file: str, module: PurePosixPath) -> bool:
    """The student's module, by its folder and name (``10_queues/queues.py``): a name alone
    would also match the standard library's ``multiprocessing/queues.py``."""
    path = PurePosixPath(file)
    return path.name == module.name and path.parent.name == module.parent.name


def in_module(raised: Raised, module: str) -> Frame | None:
    """The innermost frame of the student's module, if the exception came from there.

    It did when the student's module is on the stack and the innermost frame is not a
    spec's (``test_*.py``): an exception a spec's callable raises on purpose (04's failing
    tasks) is the exercise, not the student's mistake. Nor is one the judge provokes (a
    client that hangs up, a SIGINT).
    """
    path = PurePosixPath(module)
    if not raised.frames or not raised.exception:
        return None
    if raised.exception.split(":", 1)[0].rsplit(".", 1)[-1] in _PROVOKED:
        return None
    innermost = PurePosixPath(raised.frames[-1].file).name
    if innermost.startswith("test_") or innermost == "conftest.py":
        return None
    mine = [frame for frame in raised.frames if _is_module(frame.file, path)]
    return mine[-1] if mine else None


def raised_below(stderr_texts: Iterable[str], module: str, shown_as: str) -> Msg | None:
    """A line for a failed test's message naming the first exception the student's module
    raised in a process or thread of its own, and how many times it was printed."""
    first: tuple[Raised, Frame] | None = None
    same = 0
    others = 0
    for text in stderr_texts:
        for raised in parse(text):
            frame = in_module(raised, module)
            if frame is None:
                continue
            if first is None:
                first = (raised, frame)
            if (raised.exception, frame) == (first[0].exception, first[1]):
                same += 1
            else:
                others += 1
    if first is None:
        return None
    raised, frame = first
    exception = raised.exception[:_SHOWN] + ("…" if len(raised.exception) > _SHOWN else "")
    where = f"{shown_as}, line {frame.line}, in {frame.func}"
    where_zh = f"{shown_as} 第 {frame.line} 行，{frame.func} 中"
    # Which process printed a traceback is a guess where several print at once (their
    # lines interleave), so the message names the kind of header above it, never a name.
    if raised.printed_by == "thread":
        who, who_zh = "a thread of your code", "你的代码的一个线程"
    elif raised.printed_by == "process":
        who, who_zh = "a process your code started", "你的代码启动的一个进程"
    else:
        who, who_zh = "a process of your code", "你的代码的一个进程"
    times = f"; printed {same} times" if same > 1 else ""
    times_zh = f"；共输出 {same} 次" if same > 1 else ""
    more = f", and {others} other exception(s)" if others else ""
    more_zh = f"，另有 {others} 个其他异常" if others else ""
    return Msg(
        f"\nBelow the call, {who} raised {exception} ({where}{times}){more}: see what your code "
        "printed. Fix it first: the failure above may only follow from it.",
        f"\n{who_zh}抛出了 {exception}（{where_zh}{times_zh}）{more_zh}：见你的代码的"
        "输出。先修好它：上面的失败可能只是它的后果。",
    )
