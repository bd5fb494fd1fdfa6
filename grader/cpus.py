"""How many CPUs the grader may keep busy: the default number of jobs.

``os.cpu_count()`` counts the machine's CPUs. In a container that is the host's count: a
grading job limited to 2 CPUs on a 64-core host (``docker run --cpus 2``, as CI runners and
autograders start them) would grade 64 sessions at a time on 2 CPUs' worth of time, and every
spec that waits for its processes would wait 30 times longer than on a laptop, up to its
deadline. So the count here is the smallest of the CPUs this process may run on (its
affinity: ``taskset``, cpusets) and the CPU quota of its cgroup and the cgroups above it
(cgroup v2's ``cpu.max``, v1's ``cpu.cfs_quota_us``), rounded up: a quota of 1.5 CPUs is 2
jobs, each a little slower, not 1 with half a CPU idle.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

PROC_CGROUP = Path("/proc/self/cgroup")
CGROUP_MOUNT = Path("/sys/fs/cgroup")


def usable() -> int:
    """How many CPUs this process may keep busy (at least 1)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS: no affinity, no cgroups
        return os.cpu_count() or 1
    quota = cgroup_cpus()
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)


def cgroup_cpus(proc_cgroup: Path = PROC_CGROUP, mount: Path = CGROUP_MOUNT) -> float | None:
    """The CPUs' worth of time this process's cgroups allow (quota / period, the smallest on
    the way up to the top), or None where no quota is set or none can be read."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    limits: list[float | None] = []
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and not controllers:  # cgroup v2: "0::/path"
            limits += (_v2_limit(d / "cpu.max") for d in _up_from(mount, path))
        elif "cpu" in controllers.split(","):  # cgroup v1: "4:cpu,cpuacct:/path"
            top = mount / controllers  # mounted by that name, or by "cpu" (a link, often)
            top = top if top.is_dir() else mount / "cpu"
            limits += (_v1_limit(d) for d in _up_from(top, path))
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def _up_from(top: Path, path: str) -> list[Path]:
    """The cgroup folders from ``path`` (as /proc/self/cgroup names it) up to ``top``. In a
    container that has its own cgroup namespace, or whose cgroup is mounted as the top,
    the path names nothing under the mount: its limits are then those of the top itself."""
    inner = top / path.lstrip("/")
    if not inner.is_dir():
        return [top]
    folders = [inner]
    while inner != top and top in inner.parents:
        inner = inner.parent
        folders.append(inner)
    return folders


def _v2_limit(cpu_max: Path) -> float | None:
    """``cpu.max`` holds "QUOTA PERIOD" in microseconds, or "max PERIOD" for no limit."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
        return int(quota) / int(period) if quota != "max" and int(period) > 0 else None
    except (OSError, ValueError):
        return None


def _v1_limit(folder: Path) -> float | None:
    """``cpu.cfs_quota_us`` is -1 for no limit; ``cpu.cfs_period_us`` its period."""
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
