"""Print the tests that did not pass in a grader results JSON (CI's digest of a red run).

    python3 .ci/failed_tests.py RESULTS.json

The log of a CI run is read from its end; this puts the names, messages and output of the
failed tests there, so that a rare failure says which test it was.
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"{path}: no results to show ({exc})")
        return 0
    failed = 0
    for exercise in results.get("exercises", []):
        for test in exercise.get("tests", []):
            if test.get("status") == "passed":
                continue
            failed += 1
            print(f"--- {exercise.get('name')}::{test.get('name')}: {test.get('status')}")
            print(f"message: {test.get('message')}")
            print(f"took {test.get('duration_s')} s; output (its end):")
            print(str(test.get("output", ""))[-3000:])
    if not failed:
        print("none: every test of every solution passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 .ci/failed_tests.py RESULTS.json")
    sys.exit(main(sys.argv[1]))
