"""The default number of jobs: the CPUs this process may use, not the machine's count."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import fork_child

from grader import cli, cpus, load
from grader.isolation import Deadline, wait_child


def _tree(root: Path, proc_cgroup: str, files: dict[str, str]) -> tuple[Path, Path]:
    """A fake /proc/self/cgroup and cgroup mount."""
    proc = root / "proc-self-cgroup"
    proc.write_text(proc_cgroup)
    mount = root / "cgroup"
    mount.mkdir()
    for name, text in files.items():
        (mount / name).parent.mkdir(parents=True, exist_ok=True)
        (mount / name).write_text(text)
    return proc, mount


@pytest.mark.parametrize(
    ("proc_cgroup", "files", "expected"),
    [
        # v2: the smallest quota on the way up counts, "max" is none
        ("0::/a/b\n", {"a/b/cpu.max": "max 100000\n", "a/cpu.max": "150000 100000\n"}, 1.5),
        ("0::/a/b\n", {"a/b/cpu.max": "50000 100000\n", "cpu.max": "400000 100000\n"}, 0.5),
        # v2 in a container with its own namespace: its cgroup is the top of the mount
        ("0::/\n", {"cpu.max": "200000 100000\n"}, 2.0),
        ("0::/docker/abc\n", {"cpu.max": "200000 100000\n"}, 2.0),
        # v1, the cpu controller mounted with cpuacct
        (
            "4:memory:/job\n3:cpu,cpuacct:/job\n",
            {
                "cpu,cpuacct/job/cpu.cfs_quota_us": "50000\n",
                "cpu,cpuacct/job/cpu.cfs_period_us": "100000\n",
                "cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
                "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            },
            0.5,
        ),
        # v1, mounted as "cpu" whatever /proc/self/cgroup calls it
        (
            "3:cpuacct,cpu:/job\n",
            {"cpu/job/cpu.cfs_quota_us": "300000\n", "cpu/job/cpu.cfs_period_us": "100000\n"},
            3.0,
        ),
        # no quota anywhere, or nothing readable
        ("0::/a\n", {"a/cpu.max": "max 100000\n"}, None),
        ("1:cpu:/\n", {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ("0::/a\n", {"a/cpu.max": "garbage\n"}, None),
        ("4:memory:/job\n", {}, None),
    ],
)
def test_the_cgroup_quota_is_read_in_v1_and_v2(
    tmp_path: Path, proc_cgroup: str, files: dict[str, str], expected: float | None
) -> None:
    proc, mount = _tree(tmp_path, proc_cgroup, files)
    assert cpus.cgroup_cpus(proc, mount) == expected


def test_no_proc_file_means_no_quota(tmp_path: Path) -> None:
    assert cpus.cgroup_cpus(tmp_path / "missing", tmp_path) is None


@pytest.mark.parametrize(("quota", "jobs"), [(None, 2), (0.3, 1), (1.0, 1), (1.5, 2), (8.0, 2)])
def test_a_quota_caps_the_cpus_and_a_part_counts_as_one(
    monkeypatch: pytest.MonkeyPatch, quota: float | None, jobs: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(cpus, "cgroup_cpus", lambda: quota)
    assert cpus.usable() == jobs


def _in_child(prepare: Callable[[], object] | None = None) -> int:
    """``cpus.usable()`` as a forked child sees it (``prepare`` runs first in the child)."""

    def body() -> int:
        if prepare is not None:
            prepare()
        return cpus.usable()

    pid = fork_child(body)
    status = wait_child(pid, Deadline(10.0))
    assert status is not None and os.WIFEXITED(status), status
    return os.WEXITSTATUS(status)


@pytest.mark.skipif(cpus.usable() < 2, reason="needs 2 usable CPUs to take one away")
def test_a_process_pinned_to_one_cpu_grades_one_job_at_a_time() -> None:
    first = min(os.sched_getaffinity(0))
    assert _in_child(lambda: os.sched_setaffinity(0, {first})) == 1
    assert _in_child() == cpus.usable() >= 2  # the pin was the child's alone


@contextlib.contextmanager
def _cgroup_of_one_cpu() -> Iterator[Path]:
    """A real cgroup (v2, or v1's cpu controller) whose quota is one CPU; removed after."""
    name = f"katas-test-{uuid.uuid4().hex[:8]}"
    v2 = cpus.CGROUP_MOUNT / "cgroup.controllers"
    if v2.is_file() and "cpu" in v2.read_text().split():
        folder = cpus.CGROUP_MOUNT / name
        files = {"cpu.max": "100000 100000"}
    elif (cpus.CGROUP_MOUNT / "cpu" / "cpu.cfs_quota_us").is_file():
        folder = cpus.CGROUP_MOUNT / "cpu" / name
        files = {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "100000"}
    else:
        pytest.skip("no cgroup cpu controller to make a cgroup in")
    try:
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(text)
    except OSError as exc:
        with contextlib.suppress(OSError):
            folder.rmdir()
        pytest.skip(f"cannot make a cgroup here: {exc}")
    try:
        yield folder
    finally:
        folder.rmdir()  # empty again: its one process has exited


@pytest.mark.skipif(os.geteuid() != 0, reason="only root makes cgroups")
@pytest.mark.skipif(cpus.usable() < 2, reason="needs 2 usable CPUs to take one away")
def test_a_container_limited_to_one_cpu_grades_one_job_at_a_time() -> None:
    """As `docker run --cpus 1` would: every CPU in its affinity, one CPU's worth of time."""
    with _cgroup_of_one_cpu() as folder:

        def join() -> None:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

        assert _in_child(join) == 1


@pytest.mark.parametrize("command", [["grade"], ["batch", "class"], ["verify"]])
def test_jobs_default_to_the_cpus_this_process_may_use(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setattr(cpus, "usable", lambda: 3)
    assert cli.build_parser("en").parse_args(command).jobs == 3
    assert load.max_load() == 3 * load.MAX_PER_CPU
