"""Live progress of a running session: which test runs, for how long of its deadline, and
each test's result as soon as the session has written it.

:class:`Tail` reads the signed results file while the session still writes it (only whole,
correctly signed lines; a forged line is skipped here and counted by ``read_results`` at the
end). :class:`Progress` shows what it reads on a terminal, on one transient line that rich
removes when the check ends, so the final report is the same with or without it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from rich.console import Console
from rich.live import Live
from rich.text import Text

from grader import secret
from grader.i18n import word
from grader.results import TestResult

Event = dict[str, Any]


class Observer(Protocol):
    """What a session reports to while it runs (see session.run_exercise ``observer``)."""

    def handle(self, record: Event) -> None: ...

    def tick(self) -> None: ...


class Tail:
    """On each :meth:`poll`, shows ``observer`` every new record of the results file at
    ``path``, then lets it redraw.

    The caller owns nothing here: the file is opened, read to its current end, and closed on
    every poll.
    """

    def __init__(self, path: Path, key: bytearray, observer: Observer) -> None:
        self.path = path
        self.key = key
        self.observer = observer
        self.offset = 0

    def poll(self) -> None:
        self._read()
        self.observer.tick()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next poll
        self.offset += end
        for raw in data[:end].splitlines():
            payload = secret.open_line(self.key, raw.decode("utf-8", errors="replace"))
            if payload is None:
                continue
            try:
                record = json.loads(payload)
            except ValueError:
                continue
            if isinstance(record, dict):
                self.observer.handle(record)


class Progress:
    """A transient status line: tests done of all, the running test and its elapsed time."""

    def __init__(self, console: Console, lang: str) -> None:
        self.console = console
        self.lang = lang
        self.total = 0
        self.done: list[TestResult] = []
        self.running: tuple[str, float | None, float] | None = None
        self.live = Live(console=console, transient=True, auto_refresh=False)

    def __enter__(self) -> Progress:
        self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.live.stop()

    def handle(self, record: Event) -> None:
        kind = record.get("type")
        if kind == "collected":
            self.total = len(record.get("tests", []))
        elif kind == "started":
            deadline = record.get("deadline")
            limit = float(deadline) if isinstance(deadline, int | float) else None
            self.running = (str(record.get("name")), limit, time.monotonic())
        elif kind == "test":
            try:
                self.done.append(TestResult.from_json(record))
            except (KeyError, ValueError, TypeError):
                return
            self.running = None

    def tick(self) -> None:
        """Redraw (called by the session's wait loop, a few times a second)."""
        from grader.report.text import STYLE

        line = Text()
        for test in self.done:  # one mark per finished test
            mark, colour = STYLE.get(test.status, ("?", "white"))
            line.append(mark, style=colour)
        line.append(f" {len(self.done)}/{self.total or '?'}  ")
        if self.running is not None:
            name, limit, since = self.running
            elapsed = time.monotonic() - since
            line.append(
                word(
                    "live.running",
                    self.lang,
                    name=name,
                    elapsed=elapsed,
                    limit=f"{limit:g}" if limit else "?",
                ),
                style="dim",
            )
        self.live.update(line, refresh=True)


@contextlib.contextmanager
def live_progress(console: Console, lang: str) -> Iterator[Progress | None]:
    """A transient progress line while a check runs, only on a terminal."""
    if not console.is_terminal:
        yield None
        return
    with Progress(console, lang) as progress:
        yield progress
