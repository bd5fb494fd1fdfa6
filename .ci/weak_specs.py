"""Print the weak verdicts in `grader verify --json` files (CI's digest of a red run).

    python3 .ci/weak_specs.py VERDICTS.json [VERDICTS.json ...]

Tox runs verify on two Pythons in turn, so the second run's output hides the first's at the
end of the log; this puts every weak exercise there, with each failed test of a solution whole
(message, output), so that a failure seen once on a busy runner can be found again.
"""

from __future__ import annotations

import json
import sys


def show(path: str) -> int | None:
    """Print the weak verdicts of one file; return how many there were (None: unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"{path}: no verdicts to show ({exc})")
        return None
    weak = 0
    if not data.get("finished"):
        weak += 1
        print(f"{path}: grader verify did not finish (killed, or it crashed: see above)")
    for problem in data.get("layout_problems", []):
        weak += 1
        print(f"{path}: error: {problem}")
    for verdict in data.get("verdicts", []):
        if verdict.get("ok"):
            continue
        weak += 1
        print(f"=== {path}: WEAK {verdict.get('exercise')}")
        for problem in verdict.get("problems", []):
            print(f"    {problem}")
        for test in verdict.get("failures", []):
            print(f"--- {test.get('run')}: {test.get('name')}: {test.get('status')}")
            print(f"message: {test.get('message')}")
            print(f"took {test.get('duration_s')} s; output (its end):")
            print(str(test.get("output", ""))[-3000:])
    return weak


def main(paths: list[str]) -> int:
    counts = [show(path) for path in paths]
    if all(count == 0 for count in counts):
        print("none: every verify run found every spec strong")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python3 .ci/weak_specs.py VERDICTS.json [VERDICTS.json ...]")
    sys.exit(main(sys.argv[1:]))
