"""Where the student's code was when a call ran past its deadline: taken in the sandbox, shown
by the judge.

Sandbox side (:func:`install`, called by :mod:`grader.sandbox_child` before the student's
module is imported): a Python handler for :data:`SIGNAL` that looks at every thread's stack
(``sys._current_frames()``), keeps only the frames of the student's own file, and writes
them as one :mod:`grader.wire` frame of JSON to :data:`DUMP_FD`. It runs between two
bytecodes of the main thread, so it answers a pure-Python loop, a ``time.sleep``, a lock
acquire or a ``join``; C code that holds the GIL and never checks for signals, or a
student who blocks or replaces the signal, gives no answer, and the judge kills the sandbox
at the deadline as it always did.

Judge side (:func:`parse`, then :meth:`Stack.describe`): the payload is student-controlled
text and nothing more. It is never part of a verdict: it is validated strictly, every
string is trimmed and stripped of control characters, the judge puts the path the student
knows on each frame, and it is only ever shown inside a message of a run that already timed
out. Whoever calls :func:`parse` owns the pipe it read from (see :class:`grader.sandbox`).
"""

from __future__ import annotations

import json
import linecache
import os
import signal
import sys
import threading
from dataclasses import dataclass
from types import FrameType
from typing import Any

from grader import wire

DUMP_FD = 5  # in the sandbox: the write end of the judge's dump pipe
SIGNAL: int = (
    signal.SIGRTMIN + 4
    if hasattr(signal, "SIGRTMIN")
    else getattr(signal, "SIGINFO", signal.SIGUSR2)  # macOS: SIGINFO is ignored by default
)
BUDGET = 64 * 1024  # bytes of one dump, on both sides
MAX_THREADS = 6  # threads shown
MAX_FRAMES = 5  # frames shown per thread, the innermost ones
MAX_WALK = 5000  # frames looked at per thread (a deep recursion is cut, not walked to the end)
TEXT_LIMIT = 160  # characters of a source line, a function or a thread name


# -- the sandbox side ------------------------------------------------------------------------


def install(module_path: str) -> None:
    """Answer :data:`SIGNAL` in this process (the sandbox) with a dump of the student's frames.

    Processes the student's code forks get the default disposition back: the signal is
    the judge's question to the sandbox only.
    """
    me = os.getpid()
    names = {module_path, os.path.realpath(module_path)}

    def dump(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != me:
            return
        try:
            payload = json.dumps(snapshot(names)).encode()
            if len(payload) <= BUDGET:
                wire.write_frame(DUMP_FD, payload)
        except BaseException:  # never raise into the student's code
            pass

    signal.signal(SIGNAL, dump)
    os.register_at_fork(after_in_child=_default_in_child)


def _default_in_child() -> None:
    try:
        signal.signal(SIGNAL, signal.SIG_DFL)
    except (OSError, ValueError):
        pass


def snapshot(names: set[str]) -> dict[str, Any]:
    """Every thread's frames in the files ``names``, innermost last, main thread first.

    Reads ``threading._active`` without its lock: the main thread may have been interrupted
    while holding that lock, and taking it here would deadlock.
    """
    main = threading.main_thread().ident
    active: dict[int, Any] = dict(getattr(threading, "_active", {}))
    seen: dict[str, bool] = {}
    threads = []
    for ident, top in sorted(sys._current_frames().items(), key=lambda kv: kv[0] != main):
        frames, more = _student_frames(top, names, seen)
        if not frames:
            continue
        thread = active.get(ident)
        name = str(getattr(thread, "name", "")) or f"thread {ident}"
        threads.append(
            {"name": name[:TEXT_LIMIT], "main": ident == main, "frames": frames, "more": more}
        )
    return {"threads": threads[:MAX_THREADS], "more_threads": max(0, len(threads) - MAX_THREADS)}


def _student_frames(
    top: FrameType, names: set[str], seen: dict[str, bool]
) -> tuple[list[list[object]], int]:
    """(the innermost MAX_FRAMES student frames outermost first, how many more there were)."""
    found: list[list[object]] = []
    frame: FrameType | None = top
    walked = 0
    while frame is not None and walked < MAX_WALK:
        filename = frame.f_code.co_filename
        mine = seen.get(filename)
        if mine is None:
            mine = seen[filename] = filename in names or os.path.realpath(filename) in names
        if mine:
            line = frame.f_lineno or 0
            source = linecache.getline(filename, line).strip() if line else ""
            found.append([line, frame.f_code.co_name[:TEXT_LIMIT], source[:TEXT_LIMIT]])
        frame = frame.f_back
        walked += 1
    return found[:MAX_FRAMES][::-1], max(0, len(found) - MAX_FRAMES)


# -- the judge side --------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One frame of the student's file: where, in which function, and its source line."""

    path: str  # as the student knows it (put there by the judge, not the sandbox)
    line: int
    function: str
    source: str


@dataclass(frozen=True)
class ThreadStack:
    name: str
    main: bool
    frames: tuple[Frame, ...]
    more: int = 0  # older student frames left out


@dataclass(frozen=True)
class Stack:
    """The threads that were in the student's file when the judge asked, as plain data."""

    threads: tuple[ThreadStack, ...]
    more_threads: int = 0

    def entry(self) -> str | None:
        """The student's function the main thread entered first (e.g. the one a scenario
        called), if the main thread was in the file and no outer frame was left out."""
        first = self.threads[0]
        return first.frames[0].function if first.main and not first.more else None

    def describe(self, lang: str = "en") -> str:
        """The stack as a student reads it, innermost call last, like a Python traceback."""
        zh = lang == "zh"
        lines = [
            "到达时限时，你的代码正停在这里（最近的调用在最后）："
            if zh
            else "Where your code was when the deadline passed (most recent call last):"
        ]
        headed = len(self.threads) > 1 or not self.threads[0].main
        for thread in self.threads:
            indent = "  "
            if headed:
                lines.append(f"  {_thread_title(thread, zh)}{'：' if zh else ':'}")
                indent = "    "
            if thread.more:
                lines.append(
                    f"{indent}…（更早的 {thread.more} 层调用从略）"
                    if zh
                    else f"{indent}... ({thread.more} earlier calls left out)"
                )
            for frame in thread.frames:
                lines.append(f"{indent}{frame.path}:{frame.line} in {frame.function}")
                if frame.source:
                    lines.append(f"{indent}    {frame.source}")
        if self.more_threads:
            lines.append(
                f"  …（另有 {self.more_threads} 个线程也在你的代码里）"
                if zh
                else f"  ... ({self.more_threads} more threads were in your code)"
            )
        return "\n".join(lines)


def _thread_title(thread: ThreadStack, zh: bool) -> str:
    """ "main thread", or "thread <name>" (the name the student's code gave it)."""
    if thread.main:
        return "主线程" if zh else "main thread"
    return f"线程 {thread.name}" if zh else f"thread {thread.name}"


def parse(payload: bytes, display_path: str) -> Stack | None:
    """The dump a sandbox sent, checked and cleaned; None if it is not a well-formed dump."""
    try:
        data = json.loads(payload.decode("utf-8"))
        threads = []
        for raw in data["threads"][:MAX_THREADS]:
            frames = tuple(
                Frame(display_path, _count(line), _clean(function), _clean(source))
                for line, function, source in raw["frames"][:MAX_FRAMES]
            )
            if frames:
                threads.append(
                    ThreadStack(
                        _clean(raw["name"]), raw["main"] is True, frames, _count(raw["more"])
                    )
                )
        more = _count(data["more_threads"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return Stack(tuple(threads), more) if threads else None


def _count(value: object) -> int:
    if type(value) is not int or not 0 <= value < 10**9:
        raise ValueError(f"not a count: {value!r}")
    return value


def _clean(value: object) -> str:
    """Printable text of at most TEXT_LIMIT characters (no escape sequences reach a terminal)."""
    if not isinstance(value, str):
        raise TypeError(f"not a string: {value!r}")
    return "".join(c if c.isprintable() else "?" for c in value[:TEXT_LIMIT])
