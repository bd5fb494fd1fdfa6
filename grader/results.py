"""The results data model: one TestResult per spec test, one ExerciseResult per exercise.

``to_json`` / ``from_json`` give the native format written by ``--json``:
``{"exercises": [{"name", "status", "score", "max_score", "tests": [...]}]}``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

# "skipped": not run, because a call it makes hung in an earlier test (`grader check` only).
STATUSES = ("passed", "failed", "todo", "timeout", "crashed", "error", "skipped")
HIDDEN_FAILED = "hidden test failed"  # all a student learns of a hidden test that did not pass


@dataclass(frozen=True)
class TestResult:
    name: str
    status: str
    max_score: float
    message: str = ""
    output: str = ""
    duration_s: float = 0.0  # from the test's start to its end as the session saw them
    spec_s: float = 0.0  # of that, its setup, call and teardown as timed in its test process
    start_s: float = 0.0  # when it started, in seconds after its session's tests were let run
    hidden: bool = False  # @pytest.mark.hidden: its message is withheld from students

    __test__ = False  # not a pytest test class

    @property
    def score(self) -> float:
        return self.max_score if self.status == "passed" else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = self.score
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestResult:
        if data.get("status") not in STATUSES:
            raise ValueError(f"unknown test status {data.get('status')!r}")
        return cls(
            name=str(data["name"]),
            status=str(data["status"]),
            max_score=float(data["max_score"]),
            message=str(data.get("message", "")),
            output=str(data.get("output", "")),
            duration_s=float(data.get("duration_s", 0.0)),
            spec_s=float(data.get("spec_s", 0.0)),
            start_s=float(data.get("start_s", 0.0)),
            hidden=bool(data.get("hidden", False)),
        )

    def for_student(self) -> TestResult:
        """What a student may see: a hidden test keeps its name, status and points, and says
        nothing more than that it failed."""
        if not self.hidden:
            return self
        return replace(self, message="" if self.status == "passed" else HIDDEN_FAILED, output="")


@dataclass(frozen=True)
class ExerciseResult:
    name: str
    tests: tuple[TestResult, ...] = ()
    error: str = ""  # set when the exercise could not be graded as a whole
    notes: tuple[str, ...] = field(default=())
    # From letting its session's tests run to having read their results and swept after them.
    session_s: float = 0.0

    @property
    def status(self) -> str:
        if self.error and not self.tests:
            return "error"
        statuses = {t.status for t in self.tests}
        if not statuses:
            return "error"
        if statuses == {"passed"}:
            return "passed"
        if statuses == {"todo"}:
            return "todo"
        return "failed"

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    @property
    def passed(self) -> int:
        return sum(t.status == "passed" for t in self.tests)

    @property
    def failed(self) -> int:
        return len(self.tests) - self.passed

    def for_student(self) -> ExerciseResult:
        """The result with every hidden test's message withheld (see TestResult.for_student)."""
        return replace(self, tests=tuple(t.for_student() for t in self.tests))

    def first_failure(self) -> TestResult | None:
        return next((t for t in self.tests if t.status != "passed"), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "tests": [t.to_json() for t in self.tests],
            "session_s": self.session_s,
        }
        if self.error:
            data["error"] = self.error
        if self.notes:
            data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExerciseResult:
        return cls(
            name=str(data["name"]),
            tests=tuple(TestResult.from_json(t) for t in data.get("tests", [])),
            error=str(data.get("error", "")),
            notes=tuple(str(n) for n in data.get("notes", [])),
            session_s=float(data.get("session_s", 0.0)),
        )


def document(results: list[ExerciseResult]) -> dict[str, Any]:
    """The native JSON document for a list of exercise results, with totals."""
    return {
        "exercises": [r.to_json() for r in results],
        "score": sum(r.score for r in results),
        "max_score": sum(r.max_score for r in results),
        "passed": sum(r.passed for r in results),
        "failed": sum(r.failed for r in results),
    }


@dataclass(frozen=True)
class Grading:
    """The results of one grading run, in catalogue order."""

    results: tuple[ExerciseResult, ...]
    seconds: float

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.results)

    def for_student(self) -> Grading:
        """The grading with every hidden test's message withheld."""
        return replace(self, results=tuple(r.for_student() for r in self.results))

    def incomplete(self) -> list[str]:
        """Why grading could not complete: exercises whose trusted spec could not run at all."""
        return [f"{r.name}: {r.error}" for r in self.results if r.error and not r.tests]
