"""Exercise 16 written with Popen everywhere instead of subprocess.run.

Part 1 follows the pattern of the subprocess documentation: communicate(timeout=...), and on
TimeoutExpired kill() then communicate() again (which reaps the child); Part 2 reads grep's
output with communicate() and raises CalledProcessError itself; Part 3 uses the Popen objects
as context managers (their exit closes the pipes and waits) and reads the second stage's
output with read() before waiting.
"""

from __future__ import annotations

import subprocess


def run_captured(args: list[str], timeout: float) -> tuple[int, str, str]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()  # collects the rest and waits: no zombie
        raise
    return proc.returncode, out, err


def count_matches(pattern: str, path: str) -> int:
    command = ["grep", "-c", "-F", "--", pattern, path]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as grep:
        out, err = grep.communicate()
    if grep.returncode == 1:
        return 0
    if grep.returncode != 0:
        raise subprocess.CalledProcessError(grep.returncode, command, out, err)
    return int(out.decode().strip())


def pipeline(first: list[str], second: list[str]) -> tuple[str, int, int]:
    with (
        subprocess.Popen(first, stdout=subprocess.PIPE) as producer,
        subprocess.Popen(second, stdin=producer.stdout, stdout=subprocess.PIPE) as consumer,
    ):
        producer.stdout.close()  # the consumer is now the pipe's only reader
        out = consumer.stdout.read().decode()
    # Leaving both with-blocks waited for both processes.
    return out, producer.returncode, consumer.returncode
