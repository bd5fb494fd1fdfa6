"""grader.heap: after ``freeze()`` a forked child that only uses the objects it inherited
copies none of their pages, whether it collects garbage or (where CPython allows immortal
objects) takes references to them.

Each check runs in a fresh interpreter (a copy of this test process would bring pytest's
heap along): it makes 80,000 small lists, freezes or not, forks, and the child reports
the minor page faults of one pass over them. Page faults, not time: the counts do not move
on a loaded machine. Unfrozen, a pass writes to every page the lists are on (about 1,300-3,000);
frozen, to a few dozen pages of the interpreter's own.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader import heap

LINUX = sys.platform.startswith("linux")

CHILD_PASS = r"""
import gc, json, os, resource, sys
from grader import heap

objects = [[n] for n in range(80_000)]  # 80,000 small lists: about 6 MiB of pages
made = heap.freeze() if sys.argv[1] == "freeze" else 0
read_r, read_w = os.pipe()
pid = os.fork()
if pid == 0:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    if sys.argv[2] == "collect":
        gc.collect()  # examines every object the collector still tracks
    else:
        for each in objects:  # takes (and drops) a reference to every one of them
            pass
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    os.write(read_w, str(faults).encode())
    os._exit(0)
os.close(read_w)
faults = int(os.read(read_r, 100))
os.waitpid(pid, 0)
print(json.dumps({"faults": faults, "made": made}))
"""


def _child_pass(freeze: bool, what: str) -> dict[str, int]:
    run = subprocess.run(
        [sys.executable, "-c", CHILD_PASS, "freeze" if freeze else "keep", what],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, int] = json.loads(run.stdout)
    return result


@pytest.mark.skipif(not LINUX, reason="counts page faults of a fork (Linux)")
def test_a_child_collecting_garbage_copies_no_frozen_page() -> None:
    assert _child_pass(freeze=False, what="collect")["faults"] > 1000
    assert _child_pass(freeze=True, what="collect")["faults"] < 300


@pytest.mark.skipif(not LINUX, reason="counts page faults of a fork (Linux)")
@pytest.mark.skipif(not heap.immortals_supported(), reason="CPython 3.12-3.13 only")
def test_a_child_referring_to_immortal_objects_copies_none_of_their_pages() -> None:
    assert _child_pass(freeze=False, what="refer")["faults"] > 1000
    frozen = _child_pass(freeze=True, what="refer")
    assert frozen["made"] >= 80_000, "every list (and the ints in them)"
    assert frozen["faults"] < 300


def test_immortals_only_where_cpython_keeps_them() -> None:
    expected = (
        sys.implementation.name == "cpython"
        and sys.version_info[:2] in ((3, 12), (3, 13))
        and sys.maxsize > 2**32
        and not hasattr(sys, "gettotalrefcount")
    )
    assert heap.immortals_supported() is expected
    if not expected:
        assert _child_pass(freeze=True, what="refer")["made"] == 0
