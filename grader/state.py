"""The student's local progress: last check result per exercise, hints already shown, and the
modules that have passed a check at least once (which unlocks ``grader solution``).

Kept in ``.grader/state.json`` at the repository root (git-ignored). Several graders may
run at once (two terminals, an editor's watcher): a save takes a lock, merges what this run
changed into what is on disk, and replaces the file atomically. A damaged file is set aside
and started afresh, never a crash: it only ever holds a convenience.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grader import submitted
from grader.results import ExerciseResult

SECTIONS = ("results", "hints", "passed")


class State:
    def __init__(self, root: Path) -> None:
        self.path = root / ".grader" / "state.json"
        self.data: dict[str, dict[str, Any]] = self._load()
        self._changed: set[tuple[str, str]] = set()
        self._forgotten: set[tuple[str, str]] = set()

    def _load(self) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return data
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_suffix(".json.broken"))
            return data
        if isinstance(loaded, dict):
            for section in SECTIONS:
                if isinstance(loaded.get(section), dict):
                    data[section] = loaded[section]
        return data

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def save(self) -> None:
        """Merge this run's changes into the file on disk (under a lock) and replace it."""
        with self._locked():
            merged = self._load()
            for section, key in self._forgotten:
                merged[section].pop(key, None)
            for section, key in self._changed - self._forgotten:
                merged[section][key] = self.data[section][key]
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix="state-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(merged, f, indent=1, ensure_ascii=False)
            os.replace(tmp, self.path)
            self.data = merged
            self._changed.clear()
            self._forgotten.clear()

    def _set(self, section: str, key: str, value: Any) -> None:
        self.data[section][key] = value
        self._changed.add((section, key))
        self._forgotten.discard((section, key))

    # -- results --------------------------------------------------------------------------

    def record(self, module: Path, result: ExerciseResult) -> None:
        self._set(
            "results",
            str(module.resolve()),
            {
                "hash": file_hash(module),
                "status": result.status,
                "passed": result.passed,
                "total": len(result.tests),
                "score": result.score,
                "max_score": result.max_score,
            },
        )
        if result.status == "passed":
            self._set("passed", str(module.resolve()), True)

    def last(self, module: Path) -> dict[str, Any] | None:
        """The last recorded result for this module file, if the file is unchanged since."""
        entry = self.data["results"].get(str(module.resolve()))
        if isinstance(entry, dict) and entry.get("hash") == file_hash(module):
            return entry
        return None

    def latest(self, module: Path) -> dict[str, Any] | None:
        """The last recorded result for this module file, even if the file changed since."""
        entry = self.data["results"].get(str(module.resolve()))
        return entry if isinstance(entry, dict) else None

    def ever_passed(self, module: Path) -> bool:
        """True if a recorded check of this module file has passed (whatever it holds now)."""
        return self.data["passed"].get(str(module.resolve())) is True

    def forget(self, module: Path, exercise: str) -> None:
        """Clear the last result and the hint progress of one exercise (``grader reset``)."""
        self.data["results"].pop(str(module.resolve()), None)
        self.data["hints"].pop(exercise, None)
        self._forgotten.update({("results", str(module.resolve())), ("hints", exercise)})

    # -- hints ----------------------------------------------------------------------------

    def next_hint(self, exercise: str, count: int) -> int:
        """Index of the hint to show now (advances the counter; stays on the last one)."""
        shown = int(self.data["hints"].get(exercise, 0))
        self._set("hints", exercise, min(shown + 1, count))
        return min(shown, count - 1)


def file_hash(path: Path) -> str:
    """The module's hash; "" when it cannot be read as a module (a pipe would block a read)."""
    try:
        content = submitted.read_module(path, path.parent)
    except (OSError, submitted.Refused):
        return ""
    return "" if content is None else hashlib.sha256(content).hexdigest()
