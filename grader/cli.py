"""The `grader` command: parse arguments and dispatch; the work lives in other modules.

Exit codes: 0 success (check: everything passed), 1 not (tests failed, verify found a weak
spec), 2 bad usage (unknown exercise, missing folder, invalid exercise.toml, a bad uid range),
3 grading could not run (e.g. every sandbox uid is taken by other grading runs), 130
interrupted (Ctrl-C; every process the grader started is gone by then).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.text import Text

from grader import (
    catalog,
    cpus,
    doctor,
    entry,
    i18n,
    isolation,
    landlock,
    pristine,
    progress,
    results,
    session,
    users,
)
from grader.catalog import CatalogError, Exercise, UnknownExercise
from grader.entry import SESSION_COMMANDS
from grader.grade import grade
from grader.live import live_progress
from grader.report import text
from grader.results import Grading
from grader.session import Target, run_exercise, warm_sessions
from grader.state import State

if TYPE_CHECKING:
    from grader.batch import Shard, StudentRow, Submission
    from grader.verify import Verdict


class UsageProblem(Exception):
    """Bad usage: the message names the argument at fault (exit 2).

    ``key`` is an :data:`grader.i18n.WORDS` key filled with ``params`` (or a ready English
    message); ``str()`` is the English text, :meth:`text` the text in a language.
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(i18n.word(key, "en", **params))
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        return i18n.word(self.key, lang, **self.params)


class GraderParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors, usage line and section titles speak ``lang``."""

    lang = "en"

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = i18n.word(
            "usage.error",
            self.lang,
            prog=self.prog,
            message=i18n.argparse_message(message, self.lang),
        )
        self.exit(2, text + "\n")


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    def h(key: str) -> str:
        return i18n.word(f"help.{key}", lang)

    parser = GraderParser(prog="grader", description=h("description"))
    parser.add_argument("--root", type=Path, help=h("root"))
    parser.add_argument("--lang", choices=i18n.LANGS, default=argparse.SUPPRESS, help=h("lang"))
    parser.add_argument("--target", default=argparse.SUPPRESS, help=h("target"))
    parser.add_argument(
        "--sandbox-uids",
        metavar="FIRST-LAST",
        help=h("sandbox_uids").format(env=users.RANGE_ENV, default=users.DEFAULT_RANGE),
    )
    sub = parser.add_subparsers(dest="command")  # none: the course at a glance

    p_list = sub.add_parser("list", help=h("list"))
    p_list.add_argument("--target", default=argparse.SUPPRESS, help=h("target"))
    p_list.add_argument("--run", action="store_true", help=h("run"))

    p_check = sub.add_parser("check", help=h("check"))
    p_check.add_argument("name", help=h("name"))
    p_check.add_argument("--target", default=argparse.SUPPRESS, help=h("target"))
    p_check.add_argument("--json", type=Path, help=h("check_json"))
    p_check.add_argument("-v", "--verbose", action="store_true", help=h("verbose"))
    p_check.add_argument("-k", metavar="EXPR", dest="keyword", help=h("keyword"))
    p_check.add_argument("-x", "--exitfirst", action="store_true", help=h("exitfirst"))

    p_watch = sub.add_parser("watch", help=h("watch"))
    p_watch.add_argument("name", nargs="?", help=h("watch_name"))
    p_watch.add_argument("-v", "--verbose", action="store_true", help=h("verbose"))

    p_hint = sub.add_parser("hint", help=h("hint"))
    p_hint.add_argument("name", help=h("name"))
    p_hint.add_argument("--all", action="store_true", help=h("all"))

    p_reset = sub.add_parser("reset", help=h("reset"))
    p_reset.add_argument("name", help=h("name"))
    p_reset.add_argument("-y", "--yes", action="store_true", help=h("yes"))

    p_solution = sub.add_parser("solution", help=h("solution"))
    p_solution.add_argument("name", help=h("name"))

    p_grade = sub.add_parser("grade", help=h("grade"))
    p_grade.add_argument("--target", default=argparse.SUPPRESS, help=h("target"))
    p_grade.add_argument(
        "--exercise", action="append", default=[], metavar="NAME", help=h("exercise")
    )
    p_grade.add_argument("--jobs", type=int, default=cpus.usable(), help=h("jobs"))
    p_grade.add_argument("--spec-from", type=Path, help=h("spec_from"))
    p_grade.add_argument("--json", type=Path, help=h("json"))
    p_grade.add_argument("--gradescope", type=Path, help=h("gradescope"))
    p_grade.add_argument("--exercism", type=Path, help=h("exercism"))
    p_grade.add_argument("--junit", type=Path, help=h("junit"))
    p_grade.add_argument("--markdown", type=Path, help=h("markdown"))
    p_grade.add_argument("--fail-under", type=float, metavar="PERCENT", help=h("fail_under"))

    p_batch = sub.add_parser("batch", help=h("batch"))
    p_batch.add_argument("submissions", type=Path, help=h("submissions"))
    p_batch.add_argument(
        "--exercise", action="append", default=[], metavar="NAME", help=h("exercise")
    )
    p_batch.add_argument("--jobs", type=int, default=cpus.usable(), help=h("batch_jobs"))
    p_batch.add_argument("--spec-from", type=Path, help=h("spec_from"))
    p_batch.add_argument("--out", type=Path, default=Path("grades"), help=h("out"))
    p_batch.add_argument("--shard", metavar="K/N", help=h("shard"))
    p_batch.add_argument(
        "--regrade", action="append", default=[], metavar="STUDENT", help=h("regrade")
    )

    p_merge = sub.add_parser("merge", help=h("merge"))
    p_merge.add_argument("shards", type=Path, nargs="+", help=h("shards"))
    p_merge.add_argument(
        "--exercise", action="append", default=[], metavar="NAME", help=h("exercise")
    )
    p_merge.add_argument("--spec-from", type=Path, help=h("spec_from"))
    p_merge.add_argument("--out", type=Path, default=Path("grades"), help=h("out"))

    p_verify = sub.add_parser(
        "verify", help="prove each spec fails the stub, passes the solution, rejects mutants"
    )
    p_verify.add_argument("names", nargs="*", help="exercises to verify (default: all)")
    p_verify.add_argument(
        "--repeat", type=int, default=1, help="runs of the solution and of each mutant"
    )
    p_verify.add_argument("--jobs", type=int, default=cpus.usable(), help="sessions at a time")
    p_verify.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="K",
        help="run K CPU-bound busy processes beside the specs for the whole run",
    )
    p_verify.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write every verdict, with each failed test of a solution whole, to FILE",
    )
    sub.add_parser("doctor", help=h("doctor"))
    _localise([parser, *sub.choices.values()], lang)
    return parser


def _localise(parsers: list[argparse.ArgumentParser], lang: str) -> None:
    """Give every (sub)command `--lang` and `--root` (so they may come after the sub-command
    too), and argparse's own words (usage, section titles, -h) in ``lang``."""
    prefix = i18n.word("usage.prefix", lang)

    class Formatter(argparse.HelpFormatter):
        def add_usage(
            self,
            usage: str | None,
            actions: Iterable[argparse.Action],
            groups: Iterable[argparse._MutuallyExclusiveGroup],
            prefix: str | None = prefix,
        ) -> None:
            super().add_usage(usage, actions, groups, prefix)

    for parser in parsers:
        if isinstance(parser, GraderParser):
            parser.lang = lang
        parser.formatter_class = Formatter
        parser._positionals.title = i18n.word("argparse.positionals", lang)
        parser._optionals.title = i18n.word("argparse.options", lang)
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = i18n.word("help.help", lang)
        if parser.prog != "grader":  # the top level has its own --lang, before the sub-command
            parser.add_argument(
                "--lang",
                choices=i18n.LANGS,
                default=argparse.SUPPRESS,
                help=i18n.word("help.lang", lang),
            )
            parser.add_argument(
                "--root", type=Path, default=argparse.SUPPRESS, help=i18n.word("help.root", lang)
            )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = i18n.detect_lang(i18n.lang_in_argv(argv))  # argparse's errors speak it too
    parser = build_parser(lang)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 for --help
        return int(exc.code or 0)
    console = Console(highlight=False, soft_wrap=True)
    lang = i18n.detect_lang(getattr(args, "lang", None))
    with interrupts_once() as received:
        try:
            with warm_sessions():
                return _dispatch(console, args, lang)
        except KeyboardInterrupt:
            # Every session was killed and reaped on the way out (see session.run_exercise);
            # this last sweep catches what an interrupt in the middle of that cleanup missed
            # (the grader is a child subreaper: anything it started is below it).
            isolation.kill_tree(os.getpid())
            console.print(Text(i18n.word("interrupted", lang), "yellow"))
            return 128 + (received[0] if received else signal.SIGINT)


# Ctrl-C; kill, `timeout`, a cancelled CI job, `docker stop`; a closed terminal. Without a
# handler the last two end the grader at once, and the student's processes, which run as
# their own user and ignore the grader's end, run on.
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def interrupts_once() -> Iterator[list[int]]:
    """The first ending signal raises KeyboardInterrupt; later ones are ignored so that the
    cleanup it starts (killing and reaping a session's whole tree) is never cut short. Yields
    a list that then holds the signal's number (exit status 128 + it, as the shell's)."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def first(signum: int, frame: object) -> None:
        for ending in ENDING_SIGNALS:
            signal.signal(ending, signal.SIG_IGN)
        received.append(signum)
        raise KeyboardInterrupt

    previous = {ending: signal.signal(ending, first) for ending in ENDING_SIGNALS}
    try:
        yield received
    finally:
        for ending, handler in previous.items():
            signal.signal(ending, handler)


def _sessions_run_this_grader() -> None:
    """Refuse to grade with sessions that would import another grader's code than ours."""
    try:
        session.isolation_flags()
    except session.ForeignGrader as exc:
        raise UsageProblem("usage.foreign_grader", ours=exc.ours, theirs=exc.theirs) from None


def _dispatch(console: Console, args: argparse.Namespace, lang: str) -> int:
    try:
        users.configure(args.sandbox_uids)
        users.uid_range()  # a bad $GRADER_SANDBOX_UIDS is bad usage too, found before grading
        landlock.ceiling()  # and so is a bad $GRADER_LANDLOCK_ABI
    except (users.UidRangeError, landlock.CeilingError) as exc:
        console.print(Text(i18n.word("usage.problem", lang, message=str(exc)), "red"))
        return 2
    if args.command == "doctor":
        return doctor.render(console, doctor.examine())
    target_name = getattr(args, "target", "exercises")
    try:
        if args.command in SESSION_COMMANDS or getattr(args, "run", False):
            _sessions_run_this_grader()
        root = _root(args.root)
        exercises, problems = catalog.scan(root / "exercises")
        if args.command in (None, "list"):
            for problem in problems:
                console.print(Text(i18n.word("usage.problem", lang, message=problem), "red"))
            run = getattr(args, "run", False)
            return cmd_list(console, root, exercises, target_name, run, lang, args.command is None)
        if args.command == "check":
            return cmd_check(
                console,
                root,
                _find(exercises, problems, args.name),
                target_name,
                args.json,
                lang,
                CheckOptions(args.verbose, args.keyword, args.exitfirst),
                exercises,
            )
        if args.command == "watch":
            from grader.watch import watch

            start = _find(exercises, problems, args.name) if args.name else None
            pristine.keep(root, exercises)
            return watch(console, root, exercises, start, lang, args.verbose)
        if args.command == "hint":
            return cmd_hint(console, root, _find(exercises, problems, args.name), args.all, lang)
        if args.command == "reset":
            return cmd_reset(console, root, _find(exercises, problems, args.name), args.yes, lang)
        if args.command == "solution":
            return cmd_solution(console, root, _find(exercises, problems, args.name), lang)
        if args.command == "grade":
            return cmd_grade(console, root, args, target_name, lang)
        if args.command == "batch":
            return cmd_batch(console, root, args, lang)
        if args.command == "merge":
            return cmd_merge(console, root, args, lang)
        if args.command == "verify":
            if problems:  # authors: every exercise must be valid
                for problem in problems:
                    console.print(f"[red]grader: {escape(str(problem))}[/red]")
                return 2
            return cmd_verify(console, root, exercises, args)
    except (CatalogError, UsageProblem) as exc:
        console.print(Text(i18n.word("usage.problem", lang, message=_problem(exc, lang)), "red"))
        return 2
    except users.UidRangeError as exc:  # every uid of the range is leased right now
        console.print(Text(i18n.word("usage.problem", lang, message=str(exc)), "red"))
        return 3
    return 2  # pragma: no cover - argparse rejects unknown commands


def main_entry() -> None:
    """What an install made before grader.entry runs (its script names this)."""
    entry.main()


def _problem(exc: CatalogError | UsageProblem, lang: str) -> str:
    """A usage error in ``lang``; an invalid exercise folder (for authors) stays in English."""
    if isinstance(exc, UsageProblem):
        return exc.text(lang)
    if isinstance(exc, UnknownExercise):
        separator = "、" if lang == "zh" else ", "
        known = separator.join(exc.known) or i18n.word("usage.none", lang)
        return i18n.word("usage.unknown_exercise", lang, name=exc.name, known=known)
    return str(exc)


def _find(exercises: list[Exercise], problems: list[CatalogError], name: str) -> Exercise:
    """The named exercise; if it is one of the invalid ones, its own error."""
    for problem in problems:
        if problem.folder is not None and catalog.matches(problem.folder.name, name):
            raise problem
    return catalog.find(exercises, name)


def _root(explicit: Path | None) -> Path:
    if explicit is not None:
        if not (explicit / "exercises").is_dir():
            raise UsageProblem("usage.root_without_exercises", root=explicit)
        return explicit.resolve()
    found = catalog.find_root(Path.cwd()) or catalog.find_root(Path(__file__).resolve().parent)
    if found is None:
        raise UsageProblem("usage.no_root")
    return found.resolve()


def resolve_target(root: Path, target: str) -> Target:
    """`exercises`, `solutions`, or a folder laid out like exercises/."""
    if target in ("exercises", "solutions"):
        return Target(root / target, root)
    folder = Path(target).resolve()
    if not folder.is_dir():
        raise UsageProblem("usage.target_not_folder", target=target)
    return Target(folder, Path.cwd())


def cmd_list(
    console: Console,
    root: Path,
    exercises: list[Exercise],
    target_name: str,
    run: bool,
    lang: str,
    overview: bool = False,
) -> int:
    """`grader list` (the table) and `grader` (the table, a progress bar and what is next)."""
    target = resolve_target(root, target_name)
    pristine.keep(root, exercises)
    if run:
        state = State(root)
        grading = grade(exercises, target, cpus.usable(), lang)
        for ex, result in zip(exercises, grading.results, strict=True):
            state.record(ex.module_in(target.folder), result)
        state.save()
    rows = progress.overview(root, exercises, target.folder)
    if overview:
        suffix = "" if target_name == "exercises" else f" --target {target_name}"
        text.render_overview(console, rows, lang, "grader check {name}" + suffix)
    else:
        text.render_list(console, rows, lang)
    return 0


NOT_STARTED = ("error", "not run: no result")  # how session.read_results reports such a test


@dataclass(frozen=True)
class CheckOptions:
    verbose: bool = False
    keyword: str | None = None  # pytest -k
    exitfirst: bool = False  # pytest -x

    def pytest_args(self) -> list[str]:
        return [
            *(["-k", self.keyword] if self.keyword else []),
            *(["-x"] if self.exitfirst else []),
        ]


def cmd_check(
    console: Console,
    root: Path,
    exercise: Exercise,
    target_name: str,
    json_path: Path | None,
    lang: str,
    options: CheckOptions | None = None,
    exercises: list[Exercise] | None = None,
) -> int:
    options = options or CheckOptions()
    target = resolve_target(root, target_name)
    module = exercise.module_in(target.folder)
    if not module.is_file():
        raise UsageProblem("usage.target_no_module", target=target_name, module=module)
    if target_name == "exercises":
        pristine.keep(root, [exercise])
    with live_progress(console, lang) as observer:
        result = run_exercise(
            exercise,
            target,
            lang=lang,
            pytest_args=options.pytest_args(),
            observer=observer,
            fast_hangs=True,  # one hang, one wait
        )
    if options.keyword and not result.tests:
        names = ", ".join(progress.test_names(exercise)) or "-"
        raise UsageProblem(
            "usage.k_matches_nothing", expr=options.keyword, exercise=exercise.name, tests=names
        )
    if options.exitfirst:  # the tests after the first failure were never started: not errors
        kept = tuple(t for t in result.tests if (t.status, t.message) != NOT_STARTED)
        result = dataclasses.replace(result, tests=kept)
    if json_path is not None:
        write_json(json_path, [result])
    whole = not options.keyword and not options.exitfirst
    if whole:  # only a whole run says where you are
        state = State(root)
        state.record(module, result)
        state.save()
    upcoming = None
    if whole and result.status == "passed" and exercises and target_name == "exercises":
        row = progress.next_row(progress.overview(root, exercises, target.folder), exercise)
        if row is not None:
            upcoming = f"grader check {row.exercise.slug}"
    text.render_check(console, exercise, result, lang, options.verbose, upcoming)
    return 0 if result.status == "passed" else 1


def write_json(path: Path, exercise_results: list[results.ExerciseResult]) -> None:
    try:
        path.write_text(_dump(results.document(exercise_results)), encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(
            "usage.cannot_write", path=f"--json {path}", reason=exc.strerror
        ) from None


def cmd_hint(console: Console, root: Path, exercise: Exercise, show_all: bool, lang: str) -> int:
    hints = exercise.hints
    if show_all:
        for number, hint in enumerate(hints, 1):
            text.render_hint(console, number, len(hints), hint.get(lang), lang)
        return 0
    state = State(root)
    index = state.next_hint(exercise.name, len(hints))
    state.save()
    text.render_hint(console, index + 1, len(hints), hints[index].get(lang), lang)
    if index == len(hints) - 1:
        console.print(Text(i18n.word("hint.last", lang), "dim"))
    return 0


def cmd_reset(console: Console, root: Path, exercise: Exercise, yes: bool, lang: str) -> int:
    """Put the untouched stub back (see grader.pristine) and clear the exercise's progress."""
    module = exercise.module_in(root / "exercises")
    shown = text.shown_path(module)
    stub = pristine.stub(root, exercise)
    if stub is None:
        raise UsageProblem("reset.no_stub", module=shown)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageProblem("reset.needs_yes", module=shown)
        answer = console.input(i18n.word("reset.ask", lang, module=shown))
        if answer.strip().lower() not in ("y", "yes", "是"):
            console.print(i18n.word("reset.kept", lang))
            return 1
    tmp = module.with_name(f".{module.name}.reset")
    tmp.write_bytes(stub)
    os.replace(tmp, module)
    state = State(root)
    state.forget(module, exercise.name)
    state.save()
    console.print(Text(i18n.word("reset.done", lang, module=shown), "green"))
    return 0


def cmd_solution(console: Console, root: Path, exercise: Exercise, lang: str) -> int:
    """The reference solution, once a recorded check of the student's module has passed."""
    module = exercise.module_in(root / "exercises")
    if not State(root).ever_passed(module):
        raise UsageProblem("solution.locked", name=exercise.name, slug=exercise.slug)
    path = exercise.module_in(root / "solutions")
    shown = text.shown_path(path)
    try:
        code = path.read_text(encoding="utf-8")
    except OSError:
        raise UsageProblem("solution.missing", path=shown) from None
    console.print(Text(i18n.word("solution.heading", lang, path=shown), "bold"))
    console.print(Syntax(code, "python", line_numbers=False, word_wrap=True))
    return 0


def cmd_verify(
    console: Console, root: Path, exercises: list[Exercise], args: argparse.Namespace
) -> int:
    from grader.load import max_load
    from grader.verify import layout_problems, verify

    if args.repeat < 1:
        raise UsageProblem("--repeat must be at least 1")
    if args.jobs < 1:
        raise UsageProblem("--jobs must be at least 1")
    if not 0 <= args.load <= max_load():
        raise UsageProblem(f"--load must be between 0 and {max_load()} on this machine")
    chosen = [catalog.find(exercises, n) for n in args.names] if args.names else exercises
    if args.json:  # say a path that cannot be written now, not after a run of many minutes
        _write_verdicts(args.json, [], [], finished=False)
    layout = layout_problems(root, exercises)
    for problem in layout:
        console.print(f"[red]error: {escape(problem)}[/red]")
    if args.load:
        console.print(f"load: {args.load} CPU-bound busy process(es) run beside the specs")

    def problems(verdict: Verdict) -> None:
        for problem in verdict.problems:
            console.print(f"    [red]{escape(problem)}[/red]")

    def show(verdict: Verdict) -> None:
        mark = "[green]ok[/green]" if verdict.ok else "[red]WEAK[/red]"
        console.print(f"{mark} {verdict.exercise.name}")
        for line in verdict.summary:
            console.print(f"    {escape(line)}")
        problems(verdict)

    verdicts = verify(root, chosen, args.repeat, args.jobs, progress=show, load=args.load)
    good = sum(v.ok for v in verdicts)
    console.print(f"{good} passed, {len(verdicts) - good} failed")
    # Again at the end, where a CI log's tail shows it: which exercise is weak, and why.
    for verdict in verdicts:
        if not verdict.ok:
            console.print(f"[red]WEAK {verdict.exercise.name}[/red]")
            problems(verdict)
    if layout:
        console.print(f"[red]{len(layout)} error(s) in tests/mutants or tests/alternatives[/red]")
    if args.json:
        _write_verdicts(args.json, layout, verdicts, finished=True)
        console.print(f"verdicts written to {escape(str(args.json))}")
    return 0 if good == len(verdicts) and not layout else 1


def _write_verdicts(
    path: Path, layout: list[str], verdicts: Sequence[Verdict], *, finished: bool
) -> None:
    """Write ``grader verify --json``'s file; ``finished`` is false until every verdict is in,
    so that a run that was killed is not read as a run that found nothing weak."""
    data = {
        "finished": finished,
        "layout_problems": layout,
        "verdicts": [v.to_json() for v in verdicts],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"--json {path}: cannot write it: {exc.strerror or exc}") from exc


def cmd_grade(
    console: Console, root: Path, args: argparse.Namespace, target_name: str, lang: str
) -> int:
    from grader import grade as grading_mod
    from grader.report import markdown

    if args.jobs < 1:
        raise UsageProblem("usage.jobs")
    if args.fail_under is not None and not 0 <= args.fail_under <= 100:
        raise UsageProblem("usage.fail_under")
    chosen = _trusted_exercises(root, args)
    if args.exercism is not None and len(chosen) != 1:
        raise UsageProblem("usage.exercism")
    target = resolve_target(root, target_name)
    full = grading_mod.grade(chosen, target, args.jobs, lang)
    grading = full.for_student()  # what students see: hidden tests' messages withheld
    for path, render in _report_writers(args, full, chosen, lang):
        _write(path, render)
    if args.markdown is not None and os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(markdown.render(grading, lang))
    text.render_grading(console, grading, lang)
    incomplete = grading.incomplete()
    if incomplete:
        console.print(Text(i18n.word("grade.incomplete", lang), "red"))
        for reason in incomplete:
            console.print(Text(f"  {reason.splitlines()[0]}", "red"))
        return 3
    if args.fail_under is not None and grading.percent < args.fail_under:
        under = i18n.word("grade.under", lang, percent=grading.percent, limit=args.fail_under)
        console.print(Text(under, "red"))
        return 1
    return 0


def _trusted_exercises(root: Path, args: argparse.Namespace) -> list[Exercise]:
    """The exercises to grade, from ``--spec-from`` (or the repository), ``--exercise`` only."""
    from grader import grade as grading_mod

    spec_root = root / "exercises"
    if args.spec_from is not None:
        if not args.spec_from.is_dir():
            raise UsageProblem("usage.spec_from", path=args.spec_from)
        spec_root = grading_mod.trusted_exercises_dir(args.spec_from.resolve())
    exercises = catalog.load_catalog(spec_root)
    named = {catalog.find(exercises, n).name for n in args.exercise}
    return [ex for ex in exercises if ex.name in named] if named else exercises  # catalogue order


def cmd_batch(console: Console, root: Path, args: argparse.Namespace, lang: str) -> int:
    """Grade every student folder under SUBMISSIONS into --out (see grader.batch)."""
    from grader import batch

    if args.jobs < 1:
        raise UsageProblem("usage.jobs")
    shard = None
    if args.shard is not None:
        try:
            shard = batch.Shard.parse(args.shard)
        except ValueError:
            raise UsageProblem("usage.shard", value=args.shard) from None
    exercises = _trusted_exercises(root, args)
    try:
        submissions, skipped = batch.find_submissions(
            args.submissions.resolve(), exercises, args.out
        )
        known = {s.student for s in submissions}
        # As shown ("\xNN" for a byte that is not UTF-8), whether typed so or given raw.
        again = frozenset(batch.student_id(student) for student in args.regrade)
        unknown = sorted(again - known)  # each runner gets them all: in the class will do
        if unknown:
            raise UsageProblem("usage.regrade_unknown", student=unknown[0], path=args.submissions)
        if shard is not None:
            submissions = [s for s in submissions if shard.holds(s.student)]
        specs = batch.specs_fingerprint(exercises)
    except batch.BatchProblem as exc:
        raise UsageProblem(exc.key, path=exc.path, **exc.params) from None
    with contextlib.ExitStack() as held:
        # Even a shard that holds no student is a batch's output, which `grader merge` takes.
        _hold(held, args.out, args.out / batch.STUDENTS)
        return _batch_into(
            console, args, lang, exercises, submissions, skipped, shard, specs, again
        )


def _hold(held: contextlib.ExitStack, out: Path, make: Path, reading: Sequence[Path] = ()) -> None:
    """Make the folder ``make`` and hold ``out`` (and ``reading``) until ``held`` closes (see
    batch.holding); UsageProblem naming the folder that cannot be made or is busy."""
    from grader import batch

    try:
        make.mkdir(parents=True, exist_ok=True)
        held.enter_context(batch.holding(out, reading))
    except batch.BatchProblem as exc:
        raise UsageProblem(exc.key, path=exc.path, **exc.params) from None
    except OSError as exc:
        raise UsageProblem("usage.cannot_write", path=out, reason=exc.strerror) from None


def _batch_into(
    console: Console,
    args: argparse.Namespace,
    lang: str,
    exercises: list[Exercise],
    submissions: list[Submission],
    skipped: list[tuple[Path, str]],
    shard: Shard | None,
    specs: str,
    again: frozenset[str],
) -> int:
    """The batch itself, once ``args.out`` is this process's alone (see batch.holding)."""
    from grader import batch
    from grader.report import batch_text

    batch_text.render_passed_over(console, skipped, lang)
    work = batch.plan(submissions, exercises, args.out, specs, again)
    if work.todo:
        batch_text.render_isolation(console, lang)
    ids = tuple(s.student for s in submissions)
    part = shard or batch.Shard(1, 1)
    try:
        batch.Manifest(part, specs, ids, complete=False).write(args.out)
    except OSError as exc:
        raise UsageProblem("usage.cannot_write", path=args.out, reason=exc.strerror) from None
    with batch_text.progress(console, lang, len(work.todo)) as advance:
        first_place = shard.index - 1 if shard is not None else 0
        graded = batch.run(work.todo, exercises, args.out, args.jobs, lang, advance, first_place)
    batch.Manifest(part, specs, ids, complete=True).write(args.out)
    rows = batch.in_order(submissions, work.reused + graded)
    path = _class_outputs(args.out, rows, batch.records(args.out, submissions), exercises, lang)
    batch_text.render_summary(console, rows, len(work.reused), path, lang)
    return 3 if any(row.error for row in rows) else 0


def _class_outputs(
    out: Path,
    rows: list[StudentRow],
    records: list[dict[str, Any]],
    exercises: list[Exercise],
    lang: str,
) -> Path:
    """Write the gradebook, the class report and each student's feedback into ``out``; the
    gradebook's path."""
    from grader import batch
    from grader.report import class_report

    path = batch.write_gradebook(out, rows, exercises)
    batch.write_feedback(out, records)
    page = class_report.render(records, exercises, lang)
    _write(out / batch.REPORT, lambda: page)
    return path


def cmd_merge(console: Console, root: Path, args: argparse.Namespace, lang: str) -> int:
    """Gather sharded batches' records into one --out, with its gradebook and report."""
    from grader import batch
    from grader.report import batch_text

    exercises = _trusted_exercises(root, args)
    shards = [p.resolve() for p in args.shards]
    with contextlib.ExitStack() as held:
        _hold(held, args.out, args.out, reading=shards)
        try:
            records = batch.merge(shards, args.out, exercises)
        except batch.BatchProblem as exc:
            raise UsageProblem(exc.key, path=exc.path, **exc.params) from None
        except OSError as exc:
            raise UsageProblem("usage.cannot_write", path=args.out, reason=exc.strerror) from None
        rows = [batch.row_from_record(r) for r in records]
        path = _class_outputs(args.out, rows, records, exercises, lang)
    batch_text.render_merged(console, rows, len(args.shards), path, lang)
    return 3 if any(row.error for row in rows) else 0


def _report_writers(
    args: argparse.Namespace, grading: Grading, chosen: list[Exercise], lang: str
) -> list[tuple[Path, Callable[[], str]]]:
    """What to write where. Machine formats stay English; the summaries people read
    (Gradescope's text at the top, the Markdown table) are in ``lang``. Every format but
    Gradescope's (which shows hidden tests only once grades are published) withholds what
    hidden tests said."""
    from grader.report import exercism, gradescope, junit, markdown

    writers: list[tuple[Path, Callable[[], str]]] = []
    seen = grading.for_student()  # Gradescope alone shows hidden tests, after publishing
    if args.json is not None:
        writers.append((args.json, lambda: _dump(results.document(list(seen.results)))))
    if args.gradescope is not None:
        writers.append((args.gradescope, lambda: _dump(gradescope.document(grading, lang))))
    if args.exercism is not None:
        writers.append(
            (
                args.exercism,
                lambda: _dump(exercism.document(seen.results[0], chosen[0].spec_path)),
            )
        )
    if args.junit is not None:
        writers.append((args.junit, lambda: junit.render(seen)))
    if args.markdown is not None:
        writers.append((args.markdown, lambda: markdown.render(seen, lang)))
    return writers


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, render: Callable[[], str]) -> None:
    try:
        path.write_text(render(), encoding="utf-8")
    except OSError as exc:
        raise UsageProblem("usage.cannot_write", path=path, reason=exc.strerror) from None
