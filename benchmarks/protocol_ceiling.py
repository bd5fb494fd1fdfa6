"""What pytest's own runtest hooks cost a test process: the ceiling of any change to how a
test process runs a test.

A test process runs its test with pytest's protocol: the setup, call and teardown hooks of
every plugin a grading session loads (pytest's logging, capture, skipping, unraisable- and
thread-exception plugins, pytest-timeout's soft limit, the runner's own), then the report
hooks. pytest-forked's child runs the same. This measures, in turns, N trivial tests under
the grader's plugin three ways:

* ``protocol``: as grading runs them;
* ``fewer hooks``: the setup, call and teardown hooks of those plugins left out, the
  runner's kept (what dropping them would save; each one keeps a promise to the spec's
  author: skip and xfail marks, ``caplog`` and ``capsys``, exceptions in the spec's
  threads, the soft limit);
* ``bare``: no hook at all: the test's fixtures set up, the test run and torn down, each
  report made directly (the most any change to the protocol could save).

For each it prints the session's median wall time and the test processes' median CPU time
and page faults (counted by the launcher as it reaps them). The variants are installed by a
``conftest.py`` it writes next to the tests (pytest run directly reads it, a grading session
never does); they are measurements only, not something the grader can do.

    python benchmarks/protocol_ceiling.py [--tests 300] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from overhead import GRADER, bench_folder, session

from grader.judge import AWAIT_LAUNCHER

VARIANT = "GRADER_BENCH_PROTOCOL"  # which protocol the test processes run
LEDGER = "GRADER_BENCH_LEDGER"  # where the launcher writes each test process's usage
DROPPED = (
    "logging-plugin",
    "capturemanager",
    "skipping",
    "unraisableexception",
    "threadexception",
    "pytest_timeout",
)

CONFTEST = f'''
"""Written by benchmarks/protocol_ceiling.py: a protocol variant and a ledger."""
import json
import os

import grader.forked
import grader.launcher
from _pytest.reports import TestReport
from _pytest.runner import CallInfo

VARIANT = os.environ["{VARIANT}"]
DROPPED = {DROPPED!r}
PHASES = ("setup", "call", "teardown")


def _hooks(item):
    manager = item.config.pluginmanager
    dropped = [manager.get_plugin(name) for name in DROPPED]
    return {{
        when: manager.subset_hook_caller(
            f"pytest_runtest_{{when}}", [p for p in dropped if p is not None]
        )
        for when in PHASES
    }}


def _bodies(item):
    state = item.session._setupstate
    return {{
        "setup": lambda: state.setup(item),
        "call": item.runtest,
        "teardown": lambda: state.teardown_exact(None),
    }}


def protocol(item, log=False, nextitem=None):
    """pytest's runtestprotocol for one test alone, with fewer hooks or none."""
    if not item._request:
        item._initrequest()
    if VARIANT == "fewer hooks":
        hooks = _hooks(item)
        extra = {{"teardown": {{"nextitem": None}}}}
        bodies = {{
            when: (lambda h=hooks[when], kw=extra.get(when, {{}}): h(item=item, **kw))
            for when in PHASES
        }}
    else:
        bodies = _bodies(item)
    reports = []
    try:
        for when in PHASES:
            if when == "call" and not reports[0].passed:
                continue
            call = CallInfo.from_call(bodies[when], when=when, reraise=(KeyboardInterrupt,))
            if VARIANT == "bare":
                reports.append(TestReport.from_item_and_call(item, call))
            else:
                reports.append(item.ihook.pytest_runtest_makereport(item=item, call=call))
    finally:
        item._request = False
        item.funcargs = None
    return reports


if VARIANT != "protocol":
    grader.forked.runtestprotocol = protocol

_serve = grader.launcher._serve


def _serve_with_ledger(*args, **kwargs):
    """The launcher's loop, counting what each test process it reaps cost."""
    ledger = os.open(os.environ["{LEDGER}"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def waitpid(pid, options):
        pid, status, usage = os.wait4(pid, options)
        row = [usage.ru_utime + usage.ru_stime, usage.ru_minflt]
        os.write(ledger, (json.dumps(row) + "\\n").encode())
        return pid, status

    os.waitpid = waitpid  # in the launcher only: it is a process of its own
    return _serve(*args, **kwargs)


grader.launcher._serve = _serve_with_ledger
'''

VARIANTS = ("protocol", "fewer hooks", "bare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    opts = parser.parse_args()
    walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
    usage: dict[str, list[tuple[float, int]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        many, _ = bench_folder(root, opts.tests)
        (root / "conftest.py").write_text(CONFTEST)
        for _ in range(opts.rounds):
            for name in VARIANTS:
                ledger = root / "ledger.jsonl"
                # Every test process the launcher's (none forked while it warms up).
                env = dict(os.environ, **{VARIANT: name, LEDGER: str(ledger), AWAIT_LAUNCHER: "1"})
                walls[name].append(session([*GRADER, many], root, env).wall)
                rows = [json.loads(line) for line in ledger.read_text().splitlines()]
                ledger.unlink()
                if len(rows) != opts.tests:
                    raise SystemExit(f"{name}: the launcher reaped {len(rows)} test processes")
                usage[name].extend((cpu, faults) for cpu, faults in rows)
    print(f"{opts.tests} trivial tests under the grader, {opts.rounds} rounds in turns (medians)")
    base = statistics.median(walls["protocol"])
    for name in VARIANTS:
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpu for cpu, _ in usage[name]) * 1000
        faults = statistics.median(faults for _, faults in usage[name])
        saved = (base - wall) / opts.tests * 1000
        print(
            f"  {name:<12} session {wall:6.3f} s, {saved:5.2f} ms a test less; "
            f"a test process: CPU {cpu:5.2f} ms, {faults:5.0f} faults"
        )


if __name__ == "__main__":
    main()
