"""`grader watch`: check the current exercise on every save of its module, then move on.

Three threads feed one queue that the main thread reads: a watchfiles watcher (saves of the
current module), a key reader (only when stdin is a terminal: ``h`` hint, ``l`` list,
``q`` quit, read in cbreak mode and restored on the way out), and at most one check at a time.
A save during a check cancels it (:class:`grader.session.Cancel` kills the session's process
group; the check's thread then sweeps and reaps its whole tree) and starts a new one.

The main thread owns the other threads: it stops and joins every one of them before
returning, also on Ctrl-C, so no session or process of the watch outlives it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import watchfiles
from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from grader import i18n, progress
from grader.catalog import Exercise
from grader.live import live_progress
from grader.report import text
from grader.results import ExerciseResult
from grader.session import Cancel, Cancelled, Target, run_exercise
from grader.state import State


@dataclass(frozen=True)
class Saved:
    path: str


@dataclass(frozen=True)
class Key:
    char: str


@dataclass(frozen=True)
class Checked:
    generation: int
    result: ExerciseResult | None  # None: cancelled


class Check:
    """One check in its own thread; :meth:`stop` cancels it and waits until it is swept."""

    def __init__(
        self,
        exercise: Exercise,
        target: Target,
        console: Console,
        lang: str,
        events: queue.Queue[object],
        gen: int,
    ) -> None:
        self.exercise, self.target, self.console, self.lang = exercise, target, console, lang
        self.events, self.gen = events, gen
        self.cancel = Cancel()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        result: ExerciseResult | None = None
        with contextlib.suppress(Cancelled), live_progress(self.console, self.lang) as observer:
            result = run_exercise(  # like check: one hang costs one deadline
                self.exercise,
                self.target,
                lang=self.lang,
                cancel=self.cancel,
                observer=observer,
                fast_hangs=True,
            )
        self.events.put(Checked(self.gen, None if self.cancel.is_set() else result))

    def stop(self) -> None:
        self.cancel.cancel()
        if self.thread.ident is not None:  # started
            self.thread.join()


def _watch_files(folder: Path, events: queue.Queue[object], stop: threading.Event) -> None:
    for changes in watchfiles.watch(folder, stop_event=stop, recursive=False, debounce=400):
        for _, path in changes:
            events.put(Saved(path))


def _read_keys(events: queue.Queue[object], stop: threading.Event) -> None:
    fd = sys.stdin.fileno()
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            data = os.read(fd, 32)
            if not data:
                return  # end of input: keep watching without keys
            for char in data.decode(errors="replace"):
                events.put(Key(char.lower()))


@contextlib.contextmanager
def cbreak(active: bool) -> Iterator[None]:
    """Keys arrive one at a time, unechoed; the terminal's mode is restored afterwards."""
    if not active:
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class Watch:
    def __init__(
        self,
        console: Console,
        root: Path,
        exercises: list[Exercise],
        current: Exercise,
        lang: str,
        verbose: bool,
        keys: bool,
    ) -> None:
        self.console = console
        self.root = root
        self.exercises = exercises
        self.current = current
        self.lang = lang
        self.verbose = verbose
        self.keys = keys
        self.target = Target(root / "exercises", root)
        self.events: queue.Queue[object] = queue.Queue()
        self.check: Check | None = None
        self.generation = 0
        self.stop_watcher = threading.Event()
        self.watcher: threading.Thread | None = None

    @property
    def module(self) -> Path:
        return self.current.module_in(self.target.folder)

    def start_check(self) -> None:
        if self.check is not None:
            self.check.stop()
        self.generation += 1
        self.console.print(Rule(style="dim"))
        self.console.print(Text(i18n.word("watch.checking", self.lang, name=self.current.name)))
        # Known to the watch before its thread starts: a Ctrl-C at any point finds and stops it.
        self.check = Check(
            self.current, self.target, self.console, self.lang, self.events, self.generation
        )
        self.check.start()

    def watch_current(self) -> None:
        """Watch the current module's folder (not recursive); a new exercise, a new watcher."""
        self.stop_watching()
        self.stop_watcher = threading.Event()
        self.watcher = threading.Thread(
            target=_watch_files,
            args=(self.module.parent, self.events, self.stop_watcher),
            daemon=True,
        )
        self.watcher.start()

    def stop_watching(self) -> None:
        self.stop_watcher.set()
        if self.watcher is not None:
            self.watcher.join()

    def finished(self, result: ExerciseResult) -> bool:
        """Show a finished check; move on when it passed. False when the course is done."""
        state = State(self.root)
        state.record(self.module, result)
        state.save()
        text.render_check(self.console, self.current, result, self.lang, self.verbose)
        if result.status == "passed":
            rows = progress.overview(self.root, self.exercises, self.target.folder)
            upcoming = progress.next_row(rows, self.current)
            if upcoming is None:
                done = i18n.word("watch.all_done", self.lang, name=self.current.name)
                self.console.print(Text(done, "green bold"))
                return False
            moved = i18n.word(
                "watch.passed", self.lang, name=self.current.name, next=upcoming.exercise.name
            )
            self.console.print(Text(moved, "green bold"))
            self.current = upcoming.exercise
            self.watch_current()
            self.start_check()
            return True
        self.prompt()
        return True

    def prompt(self) -> None:
        key = "watch.waiting" if self.keys else "watch.waiting_no_keys"
        shown = text.shown_path(self.module)
        self.console.print(Text(i18n.word(key, self.lang, module=shown), "dim"))

    def run(self) -> int:
        stop_keys = threading.Event()
        reader = None
        if self.keys:
            reader = threading.Thread(target=_read_keys, args=(self.events, stop_keys), daemon=True)
            reader.start()
        try:
            self.watch_current()
            self.start_check()
            return self.loop()
        finally:
            # Ctrl-C lands here too: cancel the check and wait until its tree is reaped.
            if self.check is not None:
                self.check.stop()
            self.stop_watching()
            stop_keys.set()
            if reader is not None:
                reader.join()

    def loop(self) -> int:
        module = str(self.module.resolve())
        while True:
            try:
                event = self.events.get(timeout=0.2)  # short: Ctrl-C is handled promptly
            except queue.Empty:
                continue
            if isinstance(event, Saved):
                if os.path.realpath(event.path) == module and self.module.is_file():
                    self.start_check()
            elif isinstance(event, Checked):
                if event.generation != self.generation or event.result is None:
                    continue  # a cancelled check: a newer one is on its way
                self.check = None
                if not self.finished(event.result):
                    return 0
                module = str(self.module.resolve())
            elif isinstance(event, Key):
                if event.char == "q":
                    self.console.print(Text(i18n.word("watch.bye", self.lang), "dim"))
                    return 0
                if event.char == "h":
                    from grader.cli import cmd_hint

                    cmd_hint(self.console, self.root, self.current, False, self.lang)
                elif event.char == "l":
                    rows = progress.overview(self.root, self.exercises, self.target.folder)
                    text.render_list(self.console, rows, self.lang)
                    self.prompt()


def watch(
    console: Console,
    root: Path,
    exercises: list[Exercise],
    start: Exercise | None,
    lang: str,
    verbose: bool = False,
) -> int:
    """Watch ``start`` (default: the first exercise not passed) until ``q``, Ctrl-C or the end."""
    if start is None:
        upcoming = progress.next_row(progress.overview(root, exercises, root / "exercises"))
        if upcoming is None:
            console.print(Text(i18n.word("overview.all_done", lang), "green"))
            return 0
        start = upcoming.exercise
    keys = sys.stdin.isatty()
    with cbreak(keys):
        return Watch(console, root, exercises, start, lang, verbose, keys).run()
