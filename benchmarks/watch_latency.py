"""Save-to-result latency of ``grader watch`` on a fast spec (the fixture's 01_hostile).

Runs ``grader watch 01`` on a copy of the fixture repository with its output on a
pseudo-terminal (so the live progress line is drawn, as a student sees it), saves the
student module R times (a wrong answer each time, so the watch stays on the exercise), and
measures, from the moment each save returns:

* noticed: the watch announces the new check (file watching and cancelling only);
* first result: the first test's mark (✓ or ✗) on the live line;
* full report: the closing ``N passed, M failed`` line.

    python benchmarks/watch_latency.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "repo"
MARKS = ("✓".encode(), "✗".encode())


class Terminal:
    """The watch's output through a pty; we own the leader fd and close it in :meth:`close`."""

    def __init__(self, argv: list[str]) -> None:
        self.leader, follower = pty.openpty()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, close_fds=True
        )
        os.close(follower)
        self.buffer = b""

    def read_until(
        self, found: Callable[[bytes], bool], since: int, timeout: float = 60.0
    ) -> float:
        """Read until ``found(output from offset since)``; the monotonic time it became true."""
        if found(self.buffer[since:]):
            return time.monotonic()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.leader], [], [], 0.05)
            if ready:
                try:
                    self.buffer += os.read(self.leader, 65536)
                except OSError:
                    break
                if found(self.buffer[since:]):
                    return time.monotonic()
        raise SystemExit(
            f"timed out; output so far:\n{self.buffer[-2000:].decode(errors='replace')}"
        )

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.leader)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(FIXTURE, repo)
        module = repo / "exercises" / "01_hostile" / "hostile.py"
        term = Terminal([sys.executable, "-m", "grader", "--root", str(repo), "watch", "01"])
        noticed: list[float] = []
        first: list[float] = []
        full: list[float] = []
        try:
            term.read_until(lambda b: b"watching" in b, 0)
            for i in range(args.repeats):
                source = f"def attack():\n    return 'wrong {i}'\n\n\ndef fine():\n    return 42\n"
                tmp_file = module.with_suffix(".tmp")
                tmp_file.write_text(source)
                os.replace(tmp_file, module)  # how editors save: a new file renamed over
                saved, since = time.monotonic(), len(term.buffer)
                noticed.append(term.read_until(lambda b: b"checking" in b, since) - saved)
                first.append(term.read_until(lambda b: any(m in b for m in MARKS), since) - saved)
                full.append(term.read_until(lambda b: b"1 passed, 1 failed" in b, since) - saved)
                term.read_until(lambda b: b"1 failed" in b and b"watching" in b, since)
        finally:
            term.close()
    for label, values in (("noticed", noticed), ("first result", first), ("full report", full)):
        print(
            f"{label:>12}: median {statistics.median(values):.3f} s, "
            f"min {min(values):.3f} s, max {max(values):.3f} s ({len(values)} saves)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
