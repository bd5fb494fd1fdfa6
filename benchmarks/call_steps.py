"""Where one sandboxed call goes: clock marks in the judge (the test process) and its sandbox.

Runs N tests that each make one call (``student.call('answer')``, the sessions of
``benchmarks/overhead.py``) under the grader's plugin, with a ``conftest.py`` written next to
the tests that wraps the steps of a call on both sides and notes ``time.monotonic_ns()``
after each: in the judge, from the call's start to its job taken by the sandbox forked
ahead, the result's arrival, the look at the tree, the kill, the reap and the outcome; in the
sandbox, from its job read to its limits set, the student's uid taken, the module imported
and the result ready. The sandbox cannot write the judge's files (as root it runs as another
uid in another file view), so it prints its marks on its stderr, which the judge reads back
from the outcome. Both sides read the same clock. It prints, for each step, the median of its
time since the call's start, in that order; the last, "outcome made", is the whole call.

    python benchmarks/call_steps.py [--tests 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from overhead import bench_folder, through_launcher

MARKS = "GRADER_BENCH_MARKS"  # the file the judges append their calls' marks to
SANDBOX_LINE = "@@marks "  # how a sandbox's marks start on its stderr

CONFTEST = f'''
"""Written by benchmarks/call_steps.py: clock marks along a sandboxed call's path."""
import json
import os
import time

import pytest

from grader import sandbox, sandbox_child, timeline

marks = []  # (step, ns) of this process: the judge's, or in a sandbox its own
os.register_at_fork(after_in_child=marks.clear)  # a sandbox notes only its own steps


def after(owner, name, step, first=False):
    original = getattr(owner, name)

    def wrapped(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            if not first or step not in dict(marks):
                marks.append((step, time.monotonic_ns()))

    setattr(owner, name, wrapped)


_call = sandbox.Student._call


def call(*args, **kwargs):
    marks.append(("call", time.monotonic_ns()))
    return _call(*args, **kwargs)


sandbox.Student._call = call
after(sandbox, "_send_ahead", "job taken")
after(sandbox._Sandbox, "wait_result", "result arrived")
after(timeline.Watcher, "sample_now", "tree sampled", first=True)
after(sandbox, "kill_tree", "sandbox killed", first=True)
after(sandbox, "wait_child", "sandbox reaped")
after(sandbox.Student, "_conclude", "outcome made")
after(sandbox_child.wire, "read_frame", "[sb] job read")
after(sandbox_child, "_apply_limits", "[sb] limits set")
after(sandbox_child, "_become_student", "[sb] became the student")
after(sandbox_child, "_import", "[sb] module imported")

_flush = sandbox_child._flush


def flush():
    marks.append(("[sb] result ready", time.monotonic_ns()))
    _flush()
    os.write(2, ("{SANDBOX_LINE}" + json.dumps(marks) + "\\n").encode())


sandbox_child._flush = flush


@pytest.fixture(autouse=True)
def _save_marks(student):
    marks.clear()
    yield
    for outcome in student.transcript:
        for line in outcome.stderr.text.splitlines():
            if line.startswith("{SANDBOX_LINE}"):
                marks.extend(json.loads(line[len("{SANDBOX_LINE}"):]))
    with open(os.environ["{MARKS}"], "a") as f:
        f.write(json.dumps(marks) + "\\n")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _, calls = bench_folder(root, opts.tests)
        marks = root / "marks"
        # Every test through the launcher, so every call through a sandbox forked ahead.
        wall = through_launcher(calls, root, CONFTEST, {MARKS: str(marks)}).wall
        chains = [dict(json.loads(line)) for line in marks.read_text().splitlines()]
    names = {step for chain in chains for step in chain}
    common = [step for step in names if all(step in chain for chain in chains)]
    since = {step: [(c[step] - c["call"]) / 1000 for c in chains] for step in common}
    print(f"{opts.tests} one-call tests in {wall:.3f} s; {len(chains)} calls, medians in µs")
    print("  ([sb]: in the sandbox; each step's time since the call's start)")
    for step in sorted(common, key=lambda s: statistics.median(since[s])):
        if step != "call":
            print(f"  {statistics.median(since[step]):7.0f}  {step}")


if __name__ == "__main__":
    main()
