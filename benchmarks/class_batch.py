"""Grading a class: `grader batch` on a synthetic class, with 1 job, 2 jobs and 2 shards.

Builds a class of ``--students`` submissions, each a copy of the reference solutions of the
chosen exercises (laid out like exercises/, as GitHub Classroom clones are), and grades it
three ways, each into a fresh --out folder:

* ``--jobs 1``;
* ``--jobs 2``;
* ``--shard 1/2`` and ``--shard 2/2`` side by side (one job each), then ``grader merge``.

It prints the wall time of each, the speed-up from 1 to 2 jobs, and the overhead of grading:
the wall time of the 1-job run against the *spec time* of the class, the sum of every test's
``spec_s`` in the student records (its setup, call and teardown as pytest timed them in the
test's own process). It splits that overhead in three: the tests' isolation (the sum of
their ``duration_s``, each test's time from start to end as its session saw it, less the spec
time), the time in sessions around and between their tests (the sum of every exercise's
``session_s``, from letting its tests run to having read their results, less the tests'),
and the time outside any session (the rest: sessions that were not started and collected by
the time they were due, staging, leases, records, the batch's own start).

    python benchmarks/class_batch.py [--students 100] [--exercises 04 07 12 21 23] [--alternatives]

Every student is a reference solution (with ``--alternatives``, the solutions and the
alternatives in ``tests/alternatives/`` in turn), so it checks verdicts too: a test of theirs
that does not pass, a verdict flipped by the load of two jobs or two shards on this machine,
ends the run naming it.

Run it on a quiet machine: it measures wall time. A class of 100 takes about twice its spec
time in all (the 1-job run, then half that twice).

With ``--against OTHER`` it measures a change instead: the same class graded with ``--jobs 1``
and ``--jobs 2`` by this checkout and by the checkout OTHER (a git worktree of the commit
before, say) in turns, ``--rounds`` times, each with its own specs and its own grader in
every process, its sessions too (see :func:`python_for`). It prints each run's wall time
and overhead over its spec time, and each checkout's speed-up from one job to two within a
round: this VM drifts more within an hour than most changes save, so only runs in turns
compare. ``--jobs 1`` measures one job only.

    git worktree add ../before HEAD~1
    python benchmarks/class_batch.py --students 8 --against ../before [--rounds 2] [--jobs 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import site
import subprocess
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST_FIVE = ("04", "07", "12", "21", "23")  # the exercises of the issue that set the goals


def make_class(
    root: Path, students: int, exercises: list[Path], alternatives: bool = False
) -> Path:
    """``students`` folders named s001, s002..., each holding every solution module; with
    ``alternatives``, student n takes the n-th of each exercise's reference solution and its
    alternatives in ``tests/alternatives/`` (round and round), so every one is graded."""
    submissions = root / "class"
    for number in range(1, students + 1):
        for solution in exercises:
            folder = submissions / f"s{number:03d}" / solution.name
            folder.mkdir(parents=True)
            others = sorted((REPO / "tests" / "alternatives" / solution.name).glob("*.py"))
            choice = (number - 1) % (1 + len(others)) if alternatives else 0
            if choice == 0:
                for module in solution.glob("*.py"):
                    shutil.copyfile(module, folder / module.name)
            else:
                module_file = f"{solution.name[3:]}.py"
                shutil.copyfile(others[choice - 1], folder / module_file)
    return submissions


PYTHONS: dict[Path, str] = {}  # a checkout -> the Python that runs its grader (python_for)


def python_for(checkout: Path, folder: Path) -> str:
    """A Python whose every process imports the grader from ``checkout``, and the rest from
    this environment: a venv of this Python's base with two .pth files, the checkout first,
    then this environment's site-packages.

    PYTHONPATH would not do: the grader starts its sessions with ``-I``, which ignores it,
    so they would import whichever grader this environment has installed, whatever checkout
    the supervisor ran from. The .pth files of this environment are not read in the venv, so
    an installed grader (an editable install's path or finder) is not on its path at all.
    """
    venv.create(folder, with_pip=False, symlinks=True)
    python = folder / "bin" / "python"
    site_dir = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site_dir) / "a_checkout.pth").write_text(f"{checkout}\n", encoding="utf-8")
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(site_dir) / "b_packages.pth").write_text("".join(f"{p}\n" for p in ours))
    found = subprocess.run(
        [str(python), "-I", "-c", "import grader.plugin, pytest_timeout; print(grader.__file__)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode != 0 or Path(found.stdout.strip()) != checkout / "grader" / "__init__.py":
        raise SystemExit(f"{python} does not import the grader of {checkout}: {found}")
    return str(python)


def command(*args: str, checkout: Path = REPO) -> list[str]:
    """``grader ARGS`` run by the Python that imports the grader of ``checkout``."""
    return [PYTHONS[checkout], "-m", "grader", *args]


def grader(*args: str, checkout: Path = REPO) -> float:
    """Run ``grader ARGS`` with the grader of ``checkout``, in it; its wall time. Exits if
    it fails."""
    started = time.perf_counter()
    proc = subprocess.run(
        command(*args, checkout=checkout), cwd=checkout, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"grader {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
        )
    return elapsed


def shards(submissions: Path, out: Path, chosen: list[str]) -> float:
    """Both halves at once, as two runners would, then the merge; the wall time of it all."""
    started = time.perf_counter()
    halves = [
        [
            "batch",
            str(submissions),
            "--jobs",
            "1",
            "--shard",
            f"{k}/2",
            "--out",
            str(out / f"shard{k}"),
        ]
        for k in (1, 2)
    ]
    procs = [
        subprocess.Popen(
            command(*half, *chosen),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a shard exited {proc.returncode}:\n{err[-3000:]}")
    grader("merge", str(out / "shard1"), str(out / "shard2"), "--out", str(out / "merged"), *chosen)
    return time.perf_counter() - started


@dataclass(frozen=True)
class TimeSums:
    """Sums over a batch's student records: every test's spec time (``spec_s``) and its time
    as its session saw it (``duration_s``), every session's time as the grader saw it
    (``session_s``: from letting its tests run to having read their results; 0 in records of
    a grader older than that field), and how many students were graded."""

    spec: float
    tests: float
    sessions: float
    students: int

    def split(self, wall: float) -> str:
        """The overhead of a one-job run that took ``wall``, over the spec time, and its parts:
        the tests' isolation, the sessions' own time around and between their tests, and
        what happened outside any session (starting and collecting sessions that were not
        ready in time, staging, records)."""
        parts = f"isolation {(self.tests - self.spec) / self.spec:+.1%}"
        if self.sessions:
            parts += (
                f", in sessions {(self.sessions - self.tests) / self.spec:+.1%}"
                f", outside {(wall - self.sessions) / self.spec:+.1%}"
            )
        else:
            parts += f", sessions {(wall - self.tests) / self.spec:+.1%}"
        return f"overhead {wall / self.spec - 1:+.1%} ({parts})"


def time_sums(out: Path) -> TimeSums:
    """The sums of :class:`TimeSums` over the student records in ``out``.

    Every student is a reference solution, so a test that did not pass is a verdict that
    flipped (under this machine's load, on this Python): it ends the run, naming each."""
    spec = tests = sessions = 0.0
    count = 0
    flipped = []
    for path in sorted((out / "students").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["student"]["error"]:
            raise SystemExit(f"{path}: graded with an error: {data['student']['error']}")
        flipped += [
            f"{data['student']['id']} {exercise['name']} {test['name']}: {test['status']}"
            for exercise in data["exercises"]
            for test in exercise["tests"]
            if test["status"] != "passed"
        ]
        for exercise in data["exercises"]:
            spec += sum(t["spec_s"] for t in exercise["tests"])
            tests += sum(t["duration_s"] for t in exercise["tests"])
            sessions += exercise.get("session_s", 0.0)
        count += 1
    if flipped:
        shown = "\n  ".join(flipped)
        raise SystemExit(f"{out}: a reference solution did not pass, a verdict flipped:\n  {shown}")
    return TimeSums(spec, tests, sessions, count)


def in_turns(
    submissions: Path, out: Path, chosen: list[str], other: Path, rounds: int, most_jobs: int
) -> None:
    """Grade the class with one job (and two) by this checkout and by ``other``, in turns."""
    for round_ in range(1, rounds + 1):
        for name, checkout in (("this", REPO), ("other", other)):
            walls = {}
            for jobs in range(1, most_jobs + 1):
                folder = out / f"{name}{round_}-jobs{jobs}"
                wall = grader(
                    "batch", str(submissions), *chosen, "--jobs", str(jobs), "--out",
                    str(folder), checkout=checkout,
                )  # fmt: skip
                walls[jobs] = wall
                sums = time_sums(folder)
                if jobs == 1:
                    note = f"spec time {sums.spec:.1f} s, {sums.split(wall)}"
                else:  # the jobs' spec times add up: only the speed-up compares
                    note = f"spec time {sums.spec:.1f} s, speed-up {walls[1] / wall:.2f}x"
                say(f"round {round_}, {name} ({checkout.name}), --jobs {jobs}", wall, note)


def say(label: str, seconds: float, note: str = "") -> None:
    """One line of the table, printed at once (a stopped hour-long run keeps what it has)."""
    print(f"  {label:<34} {seconds:8.1f} s   {note}".rstrip(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--exercises", nargs="+", default=list(FIRST_FIVE), metavar="NN")
    parser.add_argument(
        "--alternatives", action="store_true",
        help="students take the alternatives in tests/alternatives/ in turn with the solutions",
    )  # fmt: skip
    parser.add_argument("--against", type=Path, metavar="OTHER", help="another checkout")
    parser.add_argument("--rounds", type=int, default=2, help="with --against: rounds of turns")
    parser.add_argument(
        "--jobs", type=int, default=2, choices=(1, 2), help="with --against: 1, or 1 and 2"
    )
    opts = parser.parse_args()
    if opts.students < 2:
        parser.error("--students must be at least 2 (two shards)")
    if opts.rounds < 1:
        parser.error(f"--rounds must be at least 1, not {opts.rounds}")
    if opts.against is not None:
        opts.against = opts.against.resolve()
        if not (opts.against / "grader" / "cli.py").is_file():
            parser.error(f"--against: {opts.against} is not a checkout of the grader")
    solutions = sorted(
        p for p in (REPO / "solutions").iterdir() if p.is_dir() and p.name[:2] in opts.exercises
    )
    found = {p.name[:2] for p in solutions}
    if found != set(opts.exercises):
        parser.error(f"--exercises: no solution for {sorted(set(opts.exercises) - found)}")
    names = [p.name for p in solutions]
    with tempfile.TemporaryDirectory(prefix="grader-bench-class-") as tmp:
        root = Path(tmp)
        for number, checkout in enumerate(filter(None, (REPO, opts.against))):
            PYTHONS[checkout] = python_for(checkout, root / f"python{number}")
        submissions = make_class(root, opts.students, solutions, opts.alternatives)
        chosen = [arg for name in names for arg in ("--exercise", name)]
        common = ["batch", str(submissions), *chosen]
        print(f"a class of {opts.students} x {len(names)} exercises ({', '.join(names)})")
        if opts.against is not None:
            in_turns(submissions, root / "turns", chosen, opts.against, opts.rounds, opts.jobs)
            return
        one = grader(*common, "--jobs", "1", "--out", str(root / "jobs1"))
        sums = time_sums(root / "jobs1")
        if sums.students != opts.students:
            raise SystemExit(f"{sums.students} student records for {opts.students} students")
        say("spec time (sum of spec_s)", sums.spec)
        say("grader batch --jobs 1", one, sums.split(one))
        two = grader(*common, "--jobs", "2", "--out", str(root / "jobs2"))
        say("grader batch --jobs 2", two, f"speed-up {one / two:.2f}x")
        sharded = shards(submissions, root / "shards", chosen)
        say("2 shards side by side + merge", sharded, f"speed-up {one / sharded:.2f}x")


if __name__ == "__main__":
    main()
