"""The student's local progress: last check result per exercise, and hints already shown.

Kept in ``.grader/state.json`` at the repository root (git-ignored). A damaged file is
set aside and started afresh, never a crash: it only ever holds a convenience.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from grader.results import ExerciseResult


class State:
    def __init__(self, root: Path) -> None:
        self.path = root / ".grader" / "state.json"
        self.data: dict[str, Any] = {"results": {}, "hints": {}}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.data.update({k: v for k, v in loaded.items() if isinstance(v, dict)})
        except FileNotFoundError:
            pass
        except (OSError, ValueError):
            self.path.replace(self.path.with_suffix(".json.broken"))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    # -- results --------------------------------------------------------------------------

    def record(self, module: Path, result: ExerciseResult) -> None:
        self.data["results"][str(module.resolve())] = {
            "hash": file_hash(module),
            "status": result.status,
            "passed": result.passed,
            "total": len(result.tests),
        }

    def last(self, module: Path) -> dict[str, Any] | None:
        """The last recorded result for this module file, if the file is unchanged since."""
        entry = self.data["results"].get(str(module.resolve()))
        if isinstance(entry, dict) and entry.get("hash") == file_hash(module):
            return entry
        return None

    # -- hints ----------------------------------------------------------------------------

    def next_hint(self, exercise: str, count: int) -> int:
        """Index of the hint to show now (advances the counter; stays on the last one)."""
        shown = int(self.data["hints"].get(exercise, 0))
        self.data["hints"][exercise] = min(shown + 1, count)
        return min(shown, count - 1)


def file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
