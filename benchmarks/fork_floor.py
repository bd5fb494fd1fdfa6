"""The floor under a sandboxed call: a fork, an exit and a wait, by the size of the process.

A sandbox is a copy of its test process; whatever it does, forking it, its exit (unmapping
its copy) and the wait for that exit cost in proportion to what the copy maps. This forks
N children that exit at once from three interpreters, each started afresh:

* ``bare``: the interpreter alone;
* ``sandbox``: with the modules a sandbox runs on imported (``grader.sandbox_child``),
  what a small parent that only forks sandboxes would hold;
* ``test``: with pytest and the grader's plugin imported, as a test process is (its
  collected tests and pytest's session objects come on top in a real one).

It prints each one's peak resident size, and per child the median wall time from the fork to the
end of the wait and the CPU time of both sides (user + system of the parent and of its
reaped children).

    python benchmarks/fork_floor.py [--forks 300]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import time

IMPORTS = {
    "bare": "",
    "sandbox": "grader.sandbox_child",
    "test": "pytest,grader.plugin,grader.sandbox",
}


def measure(forks: int) -> str:
    """In this process, as it is: fork ``forks`` children that exit at once; one line."""
    gc.freeze()  # as the grader does before it forks: no child collects these objects
    walls = []
    before = _cpu_so_far()
    for _ in range(forks):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child exits at once
            os._exit(0)
        os.waitpid(pid, 0)
        walls.append(time.perf_counter() - started)
    cpu = _cpu_so_far() - before
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return (
        f"{rss_mb:6.1f} MB at most resident; a fork + exit + wait "
        f"{statistics.median(walls) * 1e3:.2f} ms, CPU {cpu / forks * 1e3:.2f} ms"
    )


def _cpu_so_far() -> float:
    """User + system time of this process and of its reaped children, in seconds."""
    who = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    return sum(usage.ru_utime + usage.ru_stime for usage in map(resource.getrusage, who))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forks", type=int, default=300)
    parser.add_argument("--size", choices=sorted(IMPORTS), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.forks < 1:
        parser.error(f"--forks must be at least 1, not {opts.forks}")
    if opts.size is not None:  # one measurement, in an interpreter started for it
        for module in filter(None, IMPORTS[opts.size].split(",")):
            __import__(module)
        print(measure(opts.forks))
        return
    if not sys.platform.startswith("linux"):
        parser.error("Linux only: the resident size is read in KiB as Linux gives it")
    print(f"Python {sys.version.split()[0]}, {opts.forks} forks each, medians")
    for size in IMPORTS:
        line = subprocess.run(
            [sys.executable, __file__, "--size", size, "--forks", str(opts.forks)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"  {size:8s} {line}")


if __name__ == "__main__":
    main()
