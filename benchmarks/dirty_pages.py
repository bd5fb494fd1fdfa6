"""Where a test process's writes land: the pages it has made its own by the end of its test,
by the mapping they are in.

A test process shares every page with the launcher that forked it until it writes to one;
each first write costs a page fault and a copy, and the copies are most of what a test
process costs beyond plain pytest's run of the same test. This runs N trivial tests under
the grader's plugin (every one in a test process of the launcher's) and, at the end of each
test's teardown, reads the test process's ``/proc/self/smaps``: its private dirty pages (the
ones it copied or filled itself) in each kind of mapping:

* ``anon``: anonymous mappings, where pymalloc's arenas hold the small objects;
* ``[heap]``: the C heap (malloc), where larger objects and object arrays live;
* ``libpython``: the interpreter's own data (static types, small ints, its globals);
* ``[stack]`` and ``other``: the rest.

The reading is done by a ``conftest.py`` it writes next to the tests (a grading session never
reads one there); it allocates a little itself, which counts. Linux only.

    python benchmarks/dirty_pages.py [--tests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from overhead import GRADER, bench_folder, session

from grader.plugin import AWAIT_LAUNCHER

LEDGER = "GRADER_BENCH_LEDGER"  # where each test process writes its pages
KINDS = ("anon", "[heap]", "libpython", "[stack]", "other")

CONFTEST = f'''
"""Written by benchmarks/dirty_pages.py: each test process's private dirty pages, by mapping."""
import json
import os

import pytest

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _kind(name):
    if not name:
        return "anon"
    if name in ("[heap]", "[stack]"):
        return name
    return "libpython" if os.path.basename(name).startswith("libpython") else "other"


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    pages = dict.fromkeys({KINDS!r}, 0)
    kind = "other"
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if fields[0] == "Private_Dirty:":
                pages[kind] += int(fields[1]) // PAGE_KIB
            elif not fields[0].endswith(":"):  # a mapping's first line: range perms ... [name]
                kind = _kind(fields[5] if len(fields) > 5 else "")
    ledger = os.open(os.environ["{LEDGER}"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(ledger, (json.dumps(pages) + "\\n").encode())
    os.close(ledger)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    opts = parser.parse_args()
    if not os.path.exists("/proc/self/smaps"):
        raise SystemExit("dirty_pages.py reads /proc/self/smaps: Linux only")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        many, _ = bench_folder(root, opts.tests)
        (root / "conftest.py").write_text(CONFTEST)
        ledger = root / "ledger.jsonl"
        # Every test process the launcher's (none forked by the session while it warms up).
        session(
            [*GRADER, many], root, dict(os.environ, **{LEDGER: str(ledger), AWAIT_LAUNCHER: "1"})
        )
        rows = [json.loads(line) for line in ledger.read_text().splitlines()]
    if len(rows) != opts.tests:
        raise SystemExit(f"{len(rows)} test processes of {opts.tests} wrote their pages")
    version = ".".join(map(str, sys.version_info[:2]))
    print(f"{opts.tests} trivial tests, Python {version}: a test process's private dirty pages")
    print(f"  {'total':<10} {statistics.median(sum(row.values()) for row in rows):6.0f}")
    for kind in KINDS:
        print(f"  {kind:<10} {statistics.median(row[kind] for row in rows):6.0f}")


if __name__ == "__main__":
    main()
