"""`grader batch`: grade a whole class into one gradebook, resumably.

``SUBMISSIONS`` holds one folder per student; the folder's name is the student id (and where
the export says whose each folder is, as Gradescope's does, the gradebook names them too: see
:mod:`grader.roster`). A student's work is found in any of the layouts exports have: laid out
like ``exercises/`` (``NN_slug/slug.py``), a whole repository (``exercises/NN_slug/slug.py``),
or flat (``slug.py``).
As in ``grader grade``, only each exercise's one module file is ever taken from it, and every
spec comes from the trusted folder.

The ``--out`` folder is this module's: ``students/<id>.json`` (the native JSON result with a
``student`` record) is written the moment a student is graded; ``gradebook.csv`` and
``feedback/<id>.json`` (what each student may see) at the end; and ``batch.json`` (a
:class:`Manifest`) at both ends, for ``grader merge``.
A student whose record carries the same fingerprint (their module files, the trusted specs and
the grader's version) is not graded again, so a batch that was interrupted, or re-run after
some students resubmitted, grades only what changed. A submission that breaks the grader is an
error row of the gradebook; it never stops the batch.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import queue
import shutil
import stat
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import grade as grading
from grader import results, roster, session, submitted
from grader.catalog import Exercise
from grader.i18n import Phrase
from grader.results import ExerciseResult, Grading
from grader.roster import Submitter
from grader.session import Target

STUDENTS = "students"  # under --out: one JSON result per student
FEEDBACK = "feedback"  # under --out: each student's result as they may see it
GRADEBOOK = "gradebook.csv"
REPORT = "report.html"
MANIFEST = "batch.json"  # which students this batch holds, against which specs, finished
RECORD_VERSION = 1
# What running or looking at a spec leaves in its folder; never what grades with it.
CACHES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".DS_Store"})
MACOS_ZIP = "__MACOSX"  # what a zip made on macOS adds beside the folders it holds


class BatchProblem(Exception):
    """The batch cannot start; ``key`` is the i18n key of the message, filled with ``path``
    and ``params``."""

    def __init__(self, key: str, path: Path, **params: object) -> None:
        super().__init__(f"{path}: {key}")
        self.key = key
        self.path = path
        self.params = params


@dataclass(frozen=True)
class Shard:
    """``--shard K/N``: the K-th of N disjoint parts of a class (1 <= K <= N).

    A student belongs to the part its id hashes to, so the parts stay the same as students
    are added or removed (each runner's records stay valid for the next run).
    """

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``K/N``; ValueError naming the argument otherwise."""
        k, slash, n = text.partition("/")
        if not (slash and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
            raise ValueError(f"--shard {text}: not K/N with 1 <= K <= N (e.g. 2/4)")
        return cls(int(k), int(n))

    def holds(self, student: str) -> bool:
        digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


@dataclass(frozen=True)
class Submission:
    """One student's folder. ``modules`` maps an exercise's name to the module file found;
    ``submitters`` are whose it is where the export says so (:func:`roster.read`); ``hide``
    the folders around it that the student's code must not read, as root (the class's
    folder and the batch's output: classmates' work, names and records)."""

    student: str
    folder: Path
    modules: dict[str, Path]
    submitters: tuple[Submitter, ...] = ()
    hide: tuple[Path, ...] = ()

    def module(self, exercise: str) -> bytes | None:
        """The content of the student's module of ``exercise`` (None if there is none); raises
        submitted.Refused when it leads outside the student's folder or is not a module."""
        path = self.modules.get(exercise)
        return None if path is None else submitted.read_module(path, self.folder)


@dataclass
class StudentRow:
    """One student's line of the gradebook: points per exercise, or why grading failed."""

    student: str
    points: dict[str, float] = field(default_factory=dict)
    max_points: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""
    reused: bool = False  # unchanged since the last batch: read from its record, not graded
    submitters: tuple[Submitter, ...] = ()  # whose it is, where the export says so

    @property
    def total(self) -> float:
        return sum(self.points.values())

    @property
    def max_total(self) -> float:
        return sum(self.max_points.values())

    @property
    def percent(self) -> float:
        return 100.0 * self.total / self.max_total if self.max_total else 0.0


def candidates(exercise: Exercise, folder: Path) -> tuple[Path, ...]:
    """Where a student's module for ``exercise`` may be, in the order they are looked at."""
    return (
        exercise.module_in(folder),
        exercise.module_in(folder / "exercises"),
        folder / exercise.module_file,
    )


def passed_over(folder: Path, out: Path) -> str | None:
    """Why ``folder`` is no student's (the i18n key naming it), or None when it is one: it is
    this batch's ``out``, or another batch's output (``students/`` beside its gradebook or
    manifest), which instructors keep in the class folder, or what macOS adds to a zip."""
    if folder.name == MACOS_ZIP:
        return "batch.macos_zip"
    try:
        if folder.samefile(out):
            return "batch.out_in_class"
    except OSError:  # out not made yet
        pass
    if _is(stat.S_ISDIR, folder / STUDENTS) and any(
        _is(stat.S_ISREG, folder / name) for name in (GRADEBOOK, MANIFEST)
    ):
        return "batch.output_in_class"
    return None


def _is(kind: Callable[[int], bool], path: Path) -> bool:
    """Whether ``path`` is there and of ``kind`` (``stat.S_ISREG``, ...), links followed; False
    when it cannot be looked at (``Path.is_file`` raises on a folder the user may not read)."""
    try:
        return kind(os.stat(path).st_mode)
    except OSError:
        return False


def find_module(exercise: Exercise, folder: Path) -> Path | None:
    """The student's module for ``exercise``: the first candidate that is a file; else the
    first that is there but cannot be read (a link loop, a folder the grading user may not
    read), so that reading it says why; None when the student has none."""
    paths = candidates(exercise, folder)
    regular = next((p for p in paths if _is(stat.S_ISREG, p)), None)
    return regular or next((p for p in paths if _may_be_there(p)), None)


def _may_be_there(path: Path) -> bool:
    """Whether ``path`` is there as far as can be told: False only when it is missing."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:  # a folder on the way may not be searched: it may well be there
        pass
    return True


def student_id(name: str) -> str:
    """A folder's name as text that every output can hold: each byte that is not UTF-8 (a
    zip made where names are GBK or Latin-1, unpacked here) becomes ``\\xNN``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def find_submissions(
    root: Path, exercises: list[Exercise], out: Path
) -> tuple[list[Submission], list[tuple[Path, str]]]:
    """Every student folder under ``root`` (hidden ones skipped), sorted by student id, with
    whose it is where the export says so; and each folder passed over with the key of why (see
    :func:`passed_over`), to be named."""
    if not root.is_dir():
        raise BatchProblem("usage.not_submissions", root)
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as exc:
        raise BatchProblem("usage.cannot_read", root, reason=exc.strerror) from None
    try:  # once the folder is known to be readable: else it, not the file, is named
        owners = roster.read(root)
    except roster.RosterProblem as exc:
        said = Phrase("roster.at", where=exc.where, what=exc.what) if exc.where else exc.what
        raise BatchProblem("usage.roster", exc.path, what=said) from None
    found, skipped = [], []
    ids: set[str] = set()
    for folder in folders:
        why = passed_over(folder, out)
        if why is not None:
            skipped.append((folder, why))
            continue
        if _is(stat.S_ISREG, folder / roster.METADATA):  # the zip's own folder was given
            raise BatchProblem("usage.export_inside", folder, name=roster.METADATA)
        student = student_id(folder.name)
        if student in ids:
            shown = Path(student_id(str(folder)))  # a name that can be printed
            raise BatchProblem("usage.same_student_id", shown, student=student)
        ids.add(student)
        modules = {}
        for exercise in exercises:
            module = find_module(exercise, folder)
            if module is not None:
                modules[exercise.name] = module
        found.append(
            Submission(student, folder, modules, owners.get(folder.name, ()), private(root, out))
        )
    if not found:
        raise BatchProblem("usage.no_students", root)
    return found, skipped


def private(root: Path, out: Path) -> tuple[Path, ...]:
    """The folders a batch keeps from its students' code: the class's folder and its output.

    The output's two folders of records are named too: a folder that holds what sandboxes
    need (an ``--out .`` with the virtualenv in it) is never hidden (grader.namespaces).
    """
    return (root, out, out / STUDENTS, out / FEEDBACK)


def specs_fingerprint(exercises: list[Exercise]) -> str:
    """A hash of everything trusted that grading depends on: each exercise folder and the
    grader's code (a fixed judge must grade again, whatever its version number says)."""
    digest = hashlib.sha256(f"grader {session.grader_digest()} record {RECORD_VERSION}\n".encode())
    for exercise in exercises:
        try:
            for path in sorted(p for p in exercise.folder.rglob("*") if p.is_file()):
                if not CACHES.isdisjoint(path.relative_to(exercise.folder).parts):
                    continue
                digest.update(f"{exercise.name}/{path.relative_to(exercise.folder)}\n".encode())
                digest.update(path.read_bytes())
        except OSError as exc:  # the instructor's own folder: say which file, do not guess
            where = Path(exc.filename) if exc.filename else exercise.folder
            raise BatchProblem("usage.cannot_read", where, reason=exc.strerror) from None
    return digest.hexdigest()


def fingerprint(submission: Submission, exercises: list[Exercise], specs: str) -> str:
    """A hash of what a grade of ``submission`` depends on: its module files and the specs."""
    digest = hashlib.sha256(specs.encode())
    for exercise in exercises:
        digest.update(f"\n{exercise.name} ".encode())
        try:
            content = submission.module(exercise.name)
        except submitted.Refused as refused:
            content = f"<refused {refused.as_option()}>".encode()
        digest.update(b"<none>" if content is None else content)
    return digest.hexdigest()


def record_path(out: Path, student: str) -> Path:
    return out / STUDENTS / f"{student}.json"


def read_record(out: Path, student: str) -> dict[str, Any] | None:
    """The student's last record, or None when there is none or it cannot be read."""
    try:
        data = json.loads(record_path(out, student).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("student"), dict) else None


def write_record(out: Path, student: str, data: dict[str, Any]) -> None:
    """Write atomically: an interrupted batch never leaves half a record to be trusted."""
    path = record_path(out, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json(path, data)


def _write_json(path: Path, data: object) -> None:
    """Write ``data`` as JSON to ``path`` atomically (through a hidden partial file)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def stage(submission: Submission, workdir: Path) -> Target:
    """Copy only the student's module files into ``workdir``, laid out like exercises/; a
    module that cannot be read from inside the student's folder is passed on as refused."""
    refused = {}
    for name, module in submission.modules.items():
        try:
            content = submission.module(name)
        except submitted.Refused as exc:
            refused[name] = exc
            continue
        if content is not None:
            (workdir / name).mkdir(parents=True, exist_ok=True)
            (workdir / name / module.name).write_bytes(content)
    return Target(workdir, workdir, refused, hide=submission.hide)


@dataclass
class Staged:
    """A student's module files copied into ``workdir`` (owned until :meth:`end`) and, when
    their job got them ready while it graded the student before, the prepared session of
    the exercise they are graded from first (``first``, owned until handed to grading)."""

    workdir: Path
    target: Target
    first: session.PreparedSession | None = None

    @classmethod
    def of(cls, submission: Submission) -> Staged:
        workdir = Path(tempfile.mkdtemp(prefix="grader-batch-"))
        try:
            return cls(workdir, stage(submission, workdir))
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise

    def end(self) -> None:
        """End the prepared session if it was never handed over; remove the copies. Once
        is enough; more is harmless."""
        if self.first is not None:
            self.first.abandon()
            self.first = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def _first_unreadable(module: Path, folder: Path) -> Path:
    """The first of ``folder`` and the folders down to ``module`` (or the module itself) that
    the grading user may not read: one name for all the modules a locked folder hides."""
    steps = module.relative_to(folder).parts
    for depth in range(len(steps)):
        path = folder.joinpath(*steps[:depth])
        if not os.access(path, os.R_OK | os.X_OK):
            return path
    return module


def in_turn(exercises: list[Exercise], start: int) -> list[Exercise]:
    """The exercises from the ``start``-th on, round to the one before it."""
    first = start % len(exercises) if exercises else 0
    return exercises[first:] + exercises[:first]


def get_ready(
    submission: Submission, exercises: list[Exercise], lang: str, start: int
) -> Staged | None:
    """Stage a student and prepare the session of the first exercise they will be graded
    from, so that it starts and collects while another session runs. None if that fails:
    their own grading then stages them again and records why it fails, as their row."""
    try:
        staged = Staged.of(submission)
    except Exception:
        return None
    order = in_turn(exercises, start)
    if order:
        try:
            staged.first = session.prepare_exercise(order[0], staged.target, lang=lang)
        except Exception:  # their grading prepares it again, and says why it fails
            pass
        except BaseException:
            staged.end()
            raise
    return staged


def grade_submission(
    submission: Submission,
    exercises: list[Exercise],
    lang: str,
    start: int = 0,
    staged: Staged | None = None,
    then: Callable[[], object] | None = None,
) -> tuple[Grading | None, str]:
    """Grade one student (one exercise at a time); (grading, "") or (None, why it failed).

    The student's exercises are graded from the ``start``-th on, round to the one before it
    (the results are in catalogue order all the same): students graded side by side, each
    from its own place in the batch, then rarely run the same spec at once, and specs that
    keep both cores busy (pools, workers racing for a lock) less often run against each
    other (a class of 8 with two jobs: 5 % sooner).

    ``staged``: the student got ready by :func:`get_ready` (ended here, whatever happens);
    ``then()`` is called when their last session has been let run (see grade_in_turn).
    """
    try:
        staged = staged or Staged.of(submission)
        first, staged.first = staged.first, None  # grade_in_turn ends it from here on
        graded = grading.grade_in_turn(
            in_turn(exercises, start), staged.target, lang, first=first, then=then
        )
        by_name = {result.name: result for result in graded.results}
        graded = Grading(tuple(by_name[e.name] for e in exercises), graded.seconds)
        # Retried next time: a trusted spec that could not run, a module the grading user may
        # not read (graded 0 for now; as root, or once readable, it would be graded).
        problems = [r.splitlines()[0] for r in graded.incomplete()]
        unreadable = {
            _first_unreadable(submission.modules[name], submission.folder)
            for name, refused in staged.target.refused.items()
            if refused.kind == "unreadable"
        }
        problems += [f"{path}: the grader may not read it" for path in sorted(unreadable)]
        return graded, "; ".join(problems)
    except Exception as exc:  # a submission that breaks the grader is a row, not the end
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return None, f"the grader failed on this submission: {last}"
    finally:
        if staged is not None:
            staged.end()


def row_from_record(data: dict[str, Any]) -> StudentRow:
    meta = data["student"]
    row = StudentRow(
        str(meta["id"]),
        seconds=float(meta.get("seconds", 0.0)),
        error=meta.get("error", ""),
        submitters=roster.recorded(meta),
    )
    for item in data.get("exercises", []):
        result = ExerciseResult.from_json(item)
        row.points[result.name] = result.score
        row.max_points[result.name] = result.max_score
    return row


def record(
    submission: Submission, fingerprint_: str, graded: Grading | None, error: str, seconds: float
) -> dict[str, Any]:
    """The student's JSON: the native result document with a ``student`` record on top."""
    document = results.document(list(graded.results)) if graded is not None else {}
    return {
        "student": {
            "id": submission.student,
            "fingerprint": fingerprint_,
            "seconds": round(seconds, 3),
            "error": error,
            "modules": sorted(submission.modules),
            "submitters": [s.to_json() for s in submission.submitters],
        },
        **document,
    }


@dataclass
class Plan:
    """What a batch has to do: students unchanged since their record (``reused``), the rest."""

    reused: list[StudentRow]
    todo: list[tuple[Submission, str]]  # (submission, its fingerprint)


def plan(
    submissions: list[Submission],
    exercises: list[Exercise],
    out: Path,
    specs: str,
    again: frozenset[str] = frozenset(),
) -> Plan:
    """Reuse each record whose fingerprint (with ``specs``, the exercises'
    :func:`specs_fingerprint`) still matches; a record with an error, and the students of
    ``again`` (``--regrade``), are graded again. A reused record takes the submitters the
    export names now (a name corrected, a partner added), without grading again."""
    reused, todo = [], []
    for submission in submissions:
        print_ = fingerprint(submission, exercises, specs)
        old = read_record(out, submission.student)
        meta = old["student"] if old is not None else {}
        if (
            old is not None
            and meta.get("fingerprint") == print_
            and not meta.get("error")
            and submission.student not in again
        ):
            owners = [s.to_json() for s in submission.submitters]
            if meta.get("submitters") != owners:
                meta["submitters"] = owners
                write_record(out, submission.student, old)
            row = row_from_record(old)
            row.reused = True
            reused.append(row)
        else:
            todo.append((submission, print_))
    return Plan(reused, todo)


def run(
    todo: list[tuple[Submission, str]],
    exercises: list[Exercise],
    out: Path,
    jobs: int,
    lang: str = "en",
    on_done: Callable[[StudentRow], None] = lambda row: None,
    first_place: int = 0,
) -> list[StudentRow]:
    """Grade ``todo``, ``jobs`` students at a time; rows in the order they finished.

    The n-th student of ``todo`` is graded from the exercise of place ``first_place + n``
    (see grade_submission); shards graded side by side pass their own number. Each job
    takes the next student when its current student's last session starts, and gets them
    ready (staged, their first session started and collected) while that session runs.

    Each record is written as soon as its student is graded. On Ctrl-C every running session
    is killed and reaped before the KeyboardInterrupt propagates; what was written stays, and
    a grade that finishes after the interrupt is dropped (its sessions may have been killed).
    """
    stopping = threading.Event()
    waiting = deque(enumerate(todo, first_place))  # (place, (submission, fingerprint))
    taking = threading.Lock()
    # What the jobs tell the caller's thread: a row, a job's end (None) or why it failed.
    done: queue.SimpleQueue[StudentRow | BaseException | None] = queue.SimpleQueue()

    def take() -> tuple[int, tuple[Submission, str]] | None:
        with taking:
            return waiting.popleft() if waiting and not stopping.is_set() else None

    def job() -> None:
        """Grade students until none is left; each next one got ready during the last
        session of the one before (``ahead``: ours to end if it is never graded)."""
        ahead: list[tuple[tuple[int, tuple[Submission, str]], Staged | None]] = []

        def then() -> None:
            following = take()
            if following is not None:
                place, (submission, _) = following
                ahead.append((following, get_ready(submission, exercises, lang, place)))

        try:
            while True:
                if ahead:
                    work, staged = ahead.pop()
                else:
                    taken = take()
                    if taken is None:
                        return
                    work, staged = taken, None
                place, (submission, print_) = work
                started = time.monotonic()
                try:
                    if stopping.is_set():
                        raise KeyboardInterrupt
                    graded, error = grade_submission(
                        submission, exercises, lang, place, staged, then
                    )
                finally:
                    if staged is not None:  # ended there already, unless it never got there
                        staged.end()
                data = record(submission, print_, graded, error, time.monotonic() - started)
                if stopping.is_set():  # its sessions may have been killed: never kept
                    raise KeyboardInterrupt
                write_record(out, submission.student, data)
                done.put(row_from_record(data))
        except BaseException as exc:  # Ctrl-C seen here, or a record that cannot be written
            done.put(exc)
            raise
        finally:
            for _, staged in ahead:
                if staged is not None:
                    staged.end()
            done.put(None)

    rows: list[StudentRow] = []
    count = max(1, min(jobs, len(todo)))
    pool = ThreadPoolExecutor(max_workers=count)
    try:
        futures = [pool.submit(job) for _ in range(count)]
        running = count
        while running:
            row = done.get()
            if row is None:
                running -= 1
            elif isinstance(row, BaseException):
                raise row
            else:
                rows.append(row)
                on_done(row)
        for future in futures:
            future.result()
    except BaseException:  # Ctrl-C, or a job failed: no session of the batch outlives it
        stopping.set()
        session.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return rows


def in_order(submissions: list[Submission], rows: list[StudentRow]) -> list[StudentRow]:
    """``rows`` sorted as the submissions are (by student id)."""
    by_id = {row.student: row for row in rows}
    return [by_id[s.student] for s in submissions]


@contextlib.contextmanager
def holding(out: Path, reading: Sequence[Path] = ()) -> Iterator[None]:
    """Hold ``out`` for this batch or merge alone, and keep a batch from starting into any
    folder of ``reading`` (the shards a merge reads) meanwhile.

    Two batches writing into one ``--out`` at once would each grade the whole class, and the
    records, manifest and gradebook left behind could come from either (two versions of a
    spec, two shards); a merge could read a shard half re-graded. Each folder is locked with
    ``flock(2)``, exclusively or shared, on a descriptor of the folder itself, without
    waiting: a folder another process holds raises BatchProblem (``usage.out_busy`` or
    ``usage.shard_busy``) naming it. The descriptors are opened and closed here; the kernel
    drops the locks when this process ends, however it ends, so none is left behind, and
    the processes it starts never get them (``Popen`` closes every other descriptor).
    """
    held: list[int] = []

    def lock(path: Path, mode: int, busy: str) -> None:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        held.append(fd)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchProblem(busy, path) from None
        except OSError:  # a file system without locks (an NFS mount without lockd): go on
            pass

    try:
        lock(out, fcntl.LOCK_EX, "usage.out_busy")
        for shard in reading:
            try:
                if shard.samefile(out):
                    continue  # held exclusively already
                lock(shard, fcntl.LOCK_SH, "usage.shard_busy")
            except (FileNotFoundError, NotADirectoryError):
                pass  # no batch's output: the merge names it
        yield
    finally:
        for fd in held:
            os.close(fd)  # the lock goes with the last descriptor of its open file


@dataclass(frozen=True)
class Manifest:
    """``MANIFEST`` under ``--out``: what ``grader merge`` needs to trust a batch's records.

    Written ``complete=False`` before the first student is graded and ``complete=True`` once
    every student of ``students`` has a record; a batch of the whole class is shard 1/1.
    Only the listed students' records are merged: a record left in ``students/`` by an
    earlier run (a student since dropped, a restored cache) is not this batch's.
    """

    shard: Shard
    specs: str  # specs_fingerprint() of the exercises graded
    students: tuple[str, ...]
    complete: bool

    def write(self, out: Path) -> None:
        data = {
            "shard": f"{self.shard.index}/{self.shard.count}",
            "specs": self.specs,
            "students": list(self.students),
            "complete": self.complete,
        }
        _write_json(out / MANIFEST, data)

    @classmethod
    def read(cls, out: Path) -> Manifest:
        """The manifest of the batch output ``out``; BatchProblem when it has none."""
        try:
            data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            students = data["students"]
            if not (isinstance(students, list) and all(map(_is_folder_name, students))):
                raise ValueError(students)  # a name is a file's under out: never a path
            return cls(
                Shard.parse(data["shard"]),
                str(data["specs"]),
                tuple(students),
                data["complete"] is True,
            )
        except (OSError, ValueError, KeyError, TypeError):
            raise BatchProblem("usage.not_batch_output", out) from None


def _is_folder_name(name: object) -> bool:
    """Whether ``name`` can be a student folder's (one name, not hidden, not a path)."""
    return isinstance(name, str) and bool(name) and not name.startswith(".") and "/" not in name


def merge(shards: list[Path], out: Path, exercises: list[Exercise]) -> list[dict[str, Any]]:
    """Gather the records of every shard's ``--out`` into ``out``; all records, by student id.

    Each folder must be a finished batch (its :class:`Manifest` says so) of ``exercises`` as
    they are now, and together they must be every shard of one batch, each once: else a
    :class:`BatchProblem` names the folder (or the shards missing), so that a gradebook is
    never silently short of a runner's students or mixes grades of two versions of a spec.
    """
    specs = specs_fingerprint(exercises)
    found: dict[str, dict[str, Any]] = {}
    by_index: dict[int, Path] = {}
    count = 0
    for shard in shards:
        manifest = Manifest.read(shard)
        if not manifest.complete:
            raise BatchProblem("usage.batch_unfinished", shard)
        if manifest.specs != specs:
            raise BatchProblem("usage.batch_other_specs", shard)
        if count and manifest.shard.count != count:
            raise BatchProblem("usage.other_shard_count", shard, count=count)
        count = manifest.shard.count
        if manifest.shard.index in by_index:
            raise BatchProblem("usage.merge_twice", shard, other=by_index[manifest.shard.index])
        by_index[manifest.shard.index] = shard
        for student in manifest.students:
            data = read_record(shard, student)
            if data is None or data["student"].get("id") != student:
                raise BatchProblem("usage.bad_record", record_path(shard, student))
            found[student] = data
    missing = [k for k in range(1, count + 1) if k not in by_index]
    if missing:
        shown = ", ".join(f"{k}/{count}" for k in missing)
        raise BatchProblem("usage.shards_missing", shards[0], missing=shown)
    for student, data in found.items():
        write_record(out, student, data)
    return [found[student] for student in sorted(found)]


def records(out: Path, submissions: list[Submission]) -> list[dict[str, Any]]:
    """The record of every submission (as written by :func:`run`), in student order."""
    found = (read_record(out, s.student) for s in submissions)
    return [r for r in found if r is not None]


def gradebook(rows: list[StudentRow], exercises: list[Exercise]) -> str:
    """The CSV: one row per student, one column per exercise's points, total, max, percent.

    Points of an exercise that could not be graded are left empty; ``error`` says why.
    Where the export says whose each folder is, ``name``, ``sid`` and ``email`` follow the
    folder's name, and a group submission has a row for each of its submitters (each gets the
    grade; a spreadsheet or LMS takes grades a person a row). Text cells go through
    :func:`_text_cell`: a student names its own folder, and an error may quote what a
    submission holds.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = [ex.name for ex in exercises]
    named = any(row.submitters for row in rows)
    people = list(roster.FIELDS) if named else []
    writer.writerow(["student", *people, *names, "total", "max", "percent", "error"])
    nobody = (Submitter("", "", ""),)
    for row in rows:
        points = [_number(row.points[n]) if n in row.points else "" for n in names]
        grade = [
            *points,
            _number(row.total),
            _number(row.max_total),
            f"{row.percent:.1f}" if not row.error else "",
            _text_cell(row.error),
        ]
        for person in row.submitters or nobody:
            who = [_text_cell(person.to_json()[key]) for key in people]
            writer.writerow([_text_cell(row.student), *who, *grade])
    return buffer.getvalue()


def feedback(data: dict[str, Any]) -> dict[str, Any]:
    """A student's record as the student may see it: the native JSON with every hidden test's
    message withheld, without the instructor's bookkeeping (fingerprint, why grading failed)."""
    meta = data["student"]
    shown = [ExerciseResult.from_json(e).for_student() for e in data.get("exercises", [])]
    return {"student": meta["id"], "graded": not meta.get("error"), **results.document(shown)}


def write_feedback(out: Path, records: list[dict[str, Any]]) -> None:
    """``feedback/<id>.json`` for each record: a file to hand back to its student as it is.

    The folder holds exactly these students' files: one left by an earlier run for a student
    no longer in the class (dropped, or their folder renamed) would be handed back too. Only
    the feedback goes; every record stays in ``students/``."""
    folder = out / FEEDBACK
    folder.mkdir(exist_ok=True)
    names = {f"{data['student']['id']}.json" for data in records}
    for data in records:
        _write_json(folder / f"{data['student']['id']}.json", feedback(data))
    for stale in folder.glob("*.json"):
        if stale.name not in names:
            stale.unlink()


def write_gradebook(out: Path, rows: list[StudentRow], exercises: list[Exercise]) -> Path:
    path = out / GRADEBOOK
    # utf-8-sig: spreadsheets that guess the encoding read the BOM and show names right.
    path.write_text(gradebook(rows, exercises), encoding="utf-8-sig", newline="")
    return path


# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(text: str) -> str:
    """``text``, with an apostrophe in front if a spreadsheet would run it as a formula: a
    student folder named ``=HYPERLINK(...)`` must show as that name, not become a link. The
    text is all there after the apostrophe (the JSON records hold it unchanged)."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _number(value: float) -> str:
    return f"{value:g}"
