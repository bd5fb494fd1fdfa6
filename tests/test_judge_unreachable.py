"""Attacks on the judge from a student module: each fails, the verdict stays right, nothing lingers.

Every case is a student module for the fixture exercise `01_hostile`. Its `attack()` tries
one thing a submission must not be able to do and returns 'ok' only if that thing worked;
otherwise it returns what stopped it, which the fixture spec puts in its message. `fine()`
then runs in the next test and must still return 42. Run as root (CI, Gradescope, Docker)
and as a normal user (a student's laptop): the root-only cases are skipped for a normal user
and the other way round.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DOCKER_DEFAULT,
    NO_CAP_SYS_ADMIN,
    check_apart,
    check_without_cap_sys_admin,
    doctor_row,
)

from grader import landlock, namespaces, users, workspace
from grader.cli import main

AS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not AS_ROOT, reason="the grader is not root here")
user_only = pytest.mark.skipif(AS_ROOT, reason="as root the sandbox uid cannot signal the judge")

FINE = "\n\ndef fine():\n    return 42\n"
DEADLINE = 5.0  # the fixture exercise's hard deadline per test
SLACK = 12.0  # session start-up, killing and reaping; generous for a busy machine

# Helpers pasted into attack modules: the judge's processes are the sandbox's ancestors.
ANCESTORS = '''
import os


def ancestors():
    """pids from the sandbox's parent (the test process) up to, not including, pid 1."""
    found, pid = [], os.getppid()
    while pid > 1:
        found.append(pid)
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rpartition(")")[2].split()[1])
    return found


def pytest_session():
    """The session's pid: it leads the session (setsid) its launcher and test processes are in."""
    with open(f"/proc/{os.getppid()}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[3])
'''

# The start of an attack() that knows where the spec (and so the repository) lies.
SPEC_PATH = """
import os
import sys
from pathlib import Path


def attack():
    spec = Path(next(m.__file__ for n, m in list(sys.modules.items()) if n.endswith("_hostile")
                     and n.startswith("test")))
"""


def _blocked(run_message: str) -> bool:
    return "'blocked" in run_message


def _attack_fails(grade, source: str) -> dict[str, object]:
    """Run ``source`` (with FINE) and check: attack blocked, the next test unaffected."""
    run = grade("01_hostile", source + FINE)
    _attack_failed(run.data["exercises"][0], run.output)
    return run.test("test_attack")


def _attack_failed(data: dict[str, Any], printed: str) -> None:
    """In an exercise's result (and what the grader printed): attack blocked, the next test
    unaffected."""
    statuses = {t["name"]: t["status"] for t in data["tests"]}
    assert statuses == {"test_attack": "failed", "test_after": "passed"}, printed
    message = next(t["message"] for t in data["tests"] if t["name"] == "test_attack")
    assert _blocked(message), message


def test_judge_memory_cannot_be_read_or_traced(grade) -> None:
    source = (
        ANCESTORS
        + """
import ctypes

PTRACE_ATTACH = 16


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    worked = []
    for pid in ancestors():
        try:
            with open(f"/proc/{pid}/maps") as f:
                start = int(f.readline().split("-")[0], 16)
        except OSError:
            start = 0x400000
        try:
            with open(f"/proc/{pid}/mem", "rb") as f:
                f.seek(start)
                if f.read(16):
                    worked.append(f"read /proc/{pid}/mem")
        except OSError:
            pass
        buf = ctypes.create_string_buffer(16)
        local = IoVec(ctypes.cast(buf, ctypes.c_void_p), 16)
        remote = IoVec(start, 16)
        if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) > 0:
            worked.append(f"process_vm_readv {pid}")
        if libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
            worked.append(f"ptrace {pid}")
        try:
            os.listdir(f"/proc/{pid}/fd")
            worked.append(f"listed the descriptors of {pid}")
        except OSError:
            pass
    return f"worked: {worked}" if worked else f"blocked ({len(ancestors())} ancestors)"
"""
    )
    _attack_fails(grade, source)


def _signals(to_the_judge: str, bystander: int, to_all: str) -> str:
    """An attack that sends each of ``to_the_judge`` (a tuple's source) to every process of the
    judge's, SIGKILL to ``bystander`` (a process of the grader's uid), and ``to_all`` to -1:
    blocked if every one was refused (kill(-1) reaches only what the sandbox may signal)."""
    return (
        ANCESTORS
        + f"""
import signal


def attack():
    worked = []
    sends = [(pid, sig) for pid in ancestors() for sig in {to_the_judge}]
    for pid, sig in [*sends, ({bystander}, signal.SIGKILL)]:
        try:
            os.kill(pid, sig)
            worked.append((pid, sig))
        except PermissionError:
            pass
    try:
        os.kill(-1, {to_all})
    except ProcessLookupError:
        pass
    return f"worked: {{worked}}" if worked else "blocked"
"""
    )


@pytest.mark.skipif(
    not AS_ROOT and not landlock.scoped(),
    reason="as the grader's uid, without Landlock's signal scoping (Linux 6.12), it can",
)
def test_the_judge_cannot_be_signalled(fixture_repo: Path, tmp_path: Path, bystander) -> None:
    """As root the sandbox's own uid keeps it from the judge; as a user (a student's laptop)
    only Landlock's signal scoping does, and kill(-1) would otherwise end every process of
    the user's, the grader and this test run among them. The grader runs apart, so that the
    bystander is not below it (the grader sweeps all that is)."""
    to_the_judge = "(signal.SIGSTOP, signal.SIGKILL, signal.SIGTERM)"
    source = _signals(to_the_judge, bystander.pid, "signal.SIGKILL") + FINE
    _attack_failed(*check_apart(fixture_repo, tmp_path, source))
    assert bystander.poll() is None, "the bystander was killed"


@user_only
def test_a_stopped_session_is_given_up_within_seconds(grade, monkeypatch) -> None:
    """As on a kernel without signal scoping, where a sandbox of the grader's uid can stop
    the session: the tests left are given up within seconds, not at the session's deadline."""
    monkeypatch.setenv(landlock.CEILING_ENV, str(landlock.SCOPES_ABI - 1))
    source = (
        ANCESTORS
        + """
import signal


def attack():
    os.kill(pytest_session(), signal.SIGSTOP)
    return "ok"
"""
    )
    run = grade("01_hostile", source + FINE)
    assert run.statuses() == {"test_attack": "error", "test_after": "error"}, run.output
    assert "stopped" in run.test("test_after")["message"]
    assert run.seconds < 15, f"detected only after {run.seconds:.1f} s"


@root_only
def test_sandboxes_run_as_an_unprivileged_uid_of_the_range(grade) -> None:
    source = """
import os


def attack():
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    caps = {k: status[k].strip() for k in ("CapEff", "CapPrm", "CapBnd")}
    facts = (os.getresuid(), os.getresgid(), os.getgroups(), caps, status["NoNewPrivs"].strip())
    uid = os.getuid()
    good = (
        61000 <= uid <= 61999 and len(set(facts[0])) == 1 and facts[1] == (uid,) * 3
        and facts[2] == [] and set(caps.values()) == {"0000000000000000"} and facts[4] == "1"
    )
    return "ok" if good else repr(facts)
"""
    run = grade("01_hostile", source + FINE)
    assert run.statuses()["test_attack"] == "passed", run.test("test_attack")["message"]


@root_only
def test_judge_files_cannot_be_written(grade) -> None:
    source = (
        SPEC_PATH
        + """    import site

    grader_dir = Path(sys.modules["grader"].__file__).parent
    targets = [grader_dir / "evil.py", grader_dir / "plugin.py", spec, spec.parent / "conftest.py",
               spec.parents[2] / "solutions" / "01_hostile" / "hostile.py",
               spec.parents[2] / "tests" / "mutants" / "evil.py"]
    own = os.getuid()  # the student's own copy of its module is its to change
    targets += [Path(p) / "evil.pth" for p in site.getsitepackages() + sys.path
                if p and os.path.isdir(p) and os.stat(p).st_uid != own]
    worked = []
    for path in targets:
        try:
            with open(path, "a") as f:
                f.write("import os; os.environ['HACKED'] = '1'\\n")
            worked.append(str(path))
        except OSError:
            pass
    return f"worked: {worked}" if worked else f"blocked ({len(targets)} paths)"
"""
    )
    _attack_fails(grade, source)


@root_only
def test_specs_and_solutions_cannot_be_read(grade) -> None:
    source = (
        SPEC_PATH
        + """    repo = spec.parents[2]
    worked = []
    for path in (spec, repo / "solutions" / "01_hostile" / "hostile.py"):
        try:
            worked.append(len(path.read_bytes()))
        except OSError:
            pass
    for folder in (spec.parent, repo / "solutions", repo / "tests", repo / "exercises"):
        try:
            if os.listdir(folder):
                worked.append(str(folder))
        except OSError:
            pass
    return f"worked: {worked}" if worked else "blocked"
"""
    )
    _attack_fails(grade, source)


@root_only
def test_hoppers_and_daemons_are_gone_before_the_next_test(grade) -> None:
    source = """
import os
import time


def _hop():
    while True:  # fork and let the parent exit, over and over: a moving target for a tree walk
        if os.fork():
            os._exit(0)


def attack():
    if os.fork() == 0:
        os.setsid()
        _hop()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
    time.sleep(0.2)
    return "blocked: the grader keeps going"


def fine():
    mine = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                uid = next(line for line in f if line.startswith("Uid:")).split()[1]
        except (OSError, StopIteration):
            continue
        if int(uid) == os.getuid() and int(pid) != os.getpid():
            mine.append(pid)
    return 42 if not mine else f"left over from the last test: {mine}"
"""
    run = grade("01_hostile", source)
    assert run.statuses() == {"test_attack": "failed", "test_after": "passed"}, run.output


@root_only
def test_a_fork_flood_ends_with_its_test(grade) -> None:
    """The kernel stops the flood at the uid's process limit (test_namespaces.py pins the
    number); the grader kills all of it in time and the next test runs as usual."""
    source = """
import os
import time


def attack():
    for _ in range(2000):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
    return "worked: 2000 processes"
"""
    run = grade("01_hostile", source + FINE)
    assert run.statuses()["test_after"] == "passed", run.output
    assert run.statuses()["test_attack"] in ("failed", "timeout"), run.output
    assert "worked" not in run.test("test_attack")["message"]
    assert run.seconds < 2 * DEADLINE + SLACK, f"took {run.seconds:.1f} s"


@root_only
def test_files_left_in_temp_folders_are_removed(grade) -> None:
    mark = uuid.uuid4().hex
    source = f"""
import os


def attack():
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        with open(os.path.join(folder, "evil-{mark}"), "w") as f:
            f.write("left behind")
        os.makedirs(os.path.join(folder, "evil-dir-{mark}", "deep"))
    return "blocked: they are written"
"""
    _attack_fails(grade, source)
    left = [p for p in Path("/").glob(f"*/evil*{mark}") if p.exists()]
    left += [p for p in Path("/var/tmp").glob(f"evil*{mark}")]
    left += [p for p in Path("/dev/shm").glob(f"evil*{mark}")]
    left += [p for p in Path("/run/lock").glob(f"evil*{mark}")]
    assert not left, f"files of the sandbox uid left behind: {left}"


def test_the_graders_environment_stays_out(grade, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTRUCTOR_TOKEN", "s3cret")
    monkeypatch.setenv("PYTHONSTARTUP", "/tmp/nothing.py")
    source = """
import os


def attack():
    leaked = [k for k in os.environ if k in ("INSTRUCTOR_TOKEN", "PYTHONSTARTUP")]
    return f"worked: {leaked}" if leaked or "PATH" not in os.environ else "blocked"
"""
    _attack_fails(grade, source)


def test_no_session_folder_is_left_in_scratch(grade) -> None:
    """Per-test folders live in the session's folder, and that goes when the session ends."""
    grade("01_hostile", "def attack():\n    return 'blocked'\n" + FINE)
    ours = f"grader-session-{os.getpid()}-"
    left = [n for n in os.listdir(workspace.base()) if n.startswith(ours)]
    assert not left, left


@pytest.mark.skipif(
    not namespaces.network_namespace_possible()[0], reason="no network namespace here"
)
def test_only_loopback_is_reachable(grade) -> None:
    """A service on the host's loopback is out of reach, and there is no other interface.

    Only loopback is ever a target here: the proof that other addresses are unreachable is
    that the sandbox has no interface but `lo` and no route at all.
    """
    with socket.create_server(("127.0.0.1", 0)) as host_service:
        port = host_service.getsockname()[1]
        accepted: list[object] = []
        host_service.settimeout(5)

        def accept() -> None:
            try:
                accepted.append(host_service.accept()[0])
            except OSError:
                pass

        waiter = threading.Thread(target=accept)
        waiter.start()
        source = f"""
import socket


def attack():
    names = [name for _, name in socket.if_nameindex()]
    with open("/proc/net/route") as f:
        routes = f.read().splitlines()[1:]
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
        reached = True
    except OSError:
        reached = False
    if names == ["lo"] and not routes and not reached:
        return "blocked: only lo, no route"
    return "ok"
"""
        _attack_fails(grade, source)
        host_service.close()
        waiter.join()
        assert not accepted, "the sandbox reached a service on the host's loopback"


@root_only
def test_a_pristine_stub_after_an_attack_is_still_todo(grade) -> None:
    source = """
import os
import site
import sys


def attack():
    for p in site.getsitepackages() + sys.path:
        try:
            with open(os.path.join(p, "zz_evil.pth"), "w") as f:
                f.write("import builtins; builtins.HACKED = True\\n")
        except OSError:
            pass
    return "blocked"
"""
    grade("01_hostile", source + FINE)
    run = grade("01_hostile", "def attack():\n    raise NotImplementedError\n" + FINE)
    assert run.statuses() == {"test_attack": "todo", "test_after": "passed"}, run.output


@root_only
def test_parallel_sessions_lease_different_uids(tmp_path: Path) -> None:
    leased: list[int | None] = []
    with users.lease() as first, users.lease() as second:
        leased += [first, second]
    assert leased[0] is not None and leased[1] is not None and leased[0] != leased[1]


@root_only
def test_a_full_range_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(users.RANGE_ENV, "61990")
    with users.lease(), pytest.raises(users.UidRangeError, match="in use"), users.lease():
        pass


@pytest.mark.parametrize("text", ["abc", "5-10", "62000-61000"])
def test_a_bad_range_names_its_source(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(users.RANGE_ENV, text)
    with pytest.raises(users.UidRangeError, match=users.RANGE_ENV):
        users.uid_range()


def test_a_bad_range_on_the_command_line_is_a_usage_error(capsys) -> None:
    assert main(["--sandbox-uids", "nope", "list"]) == 2
    assert "--sandbox-uids" in capsys.readouterr().out


@root_only
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv")
@pytest.mark.parametrize("ceiling", [None, "5", "0"])
def test_root_without_cap_sys_admin_degrades_and_says_so(
    fixture_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ceiling: str | None
) -> None:
    """Like root in a Docker container: no mount namespace, so no hidden view of the files.

    Sandboxes then run as their uid only if the interpreter is reachable without the view,
    and keep root otherwise; either way every result carries a note that says which, and
    what Landlock kept from them: here, and as on older kernels ($GRADER_LANDLOCK_ABI).
    """
    if ceiling is not None:
        monkeypatch.setenv(landlock.CEILING_ENV, ceiling)
    source = "import os\n\ndef attack():\n    return 'ok' if os.getuid() else 'root'\n" + FINE
    data, printed = check_without_cap_sys_admin(fixture_repo, tmp_path, source)
    notes = " ".join(data["notes"])
    statuses = {t["name"]: t["status"] for t in data["tests"]}
    closed = namespaces.unreachable(namespaces.needed_paths())
    if closed:
        assert "sandboxes ran as root" in notes, printed
        assert "They kept only root's capabilities over files" in notes, printed
        if landlock.scoped():
            assert "Landlock kept their files, signals and abstract sockets in" in notes, printed
        elif landlock.available():
            assert "Landlock kept their files in, but they could signal" in notes, printed
        else:
            assert "Landlock" not in notes, printed
        assert statuses == {"test_attack": "failed", "test_after": "passed"}, printed
    else:
        confined = landlock.available()
        said = "Landlock kept them" if confined else "could read the specs and solutions"
        assert said in notes, printed
        assert statuses == {"test_attack": "passed", "test_after": "passed"}, printed


@root_only
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv")
@pytest.mark.skipif(not landlock.scoped(), reason="no Landlock signal scoping here")
def test_sandboxes_that_keep_root_still_cannot_signal_the_grader(
    fixture_repo: Path, tmp_path: Path, bystander
) -> None:
    """Root without CAP_SYS_ADMIN, with the interpreter where no other uid may enter (a
    pyenv under /root): sandboxes keep root, and only Landlock keeps their signals in. The
    judge's processes get signal 0 (the permission check alone), the bystander SIGKILL."""
    if not namespaces.unreachable(namespaces.needed_paths()):
        pytest.skip("other uids may reach the interpreter here: sandboxes do not keep root")
    source = _signals("(0,)", bystander.pid, "0") + FINE
    _attack_failed(*check_without_cap_sys_admin(fixture_repo, tmp_path, source))
    assert bystander.poll() is None, "the bystander was killed"


@root_only
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv")
@pytest.mark.skipif(not landlock.scoped(), reason="no Landlock socket scoping here")
def test_sandboxes_reach_no_abstract_socket_they_did_not_make(
    fixture_repo: Path, tmp_path: Path
) -> None:
    """Without CAP_SYS_ADMIN every session shares the machine's network, and with it every
    abstract Unix socket (a desktop's, a service's, a classmate's judge before the judges'
    channels became socket files): this test holds one, and the sandbox may not connect."""
    name = f"katas-outside-{uuid.uuid4().hex[:8]}"
    source = f"""
import socket


def attack():
    with socket.socket(socket.AF_UNIX) as conn:
        try:
            conn.connect("\\0{name}")
        except PermissionError:
            return "blocked"
        return "connected"
"""
    with socket.socket(socket.AF_UNIX) as outside:
        outside.bind("\0" + name)
        outside.listen()
        _attack_failed(*check_without_cap_sys_admin(fixture_repo, tmp_path, source + FINE))


@root_only
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv")
@pytest.mark.parametrize(
    ("prefix", "kept"),
    [(NO_CAP_SYS_ADMIN, "000000000000000e"), (DOCKER_DEFAULT, "000000000000000a")],
    ids=["without-cap-sys-admin", "docker-default"],
)
def test_sandboxes_that_keep_root_keep_only_file_capabilities(
    fixture_repo: Path, tmp_path: Path, prefix: tuple[str, ...], kept: str
) -> None:
    """Root without CAP_SYS_ADMIN, with the interpreter where no other uid may enter: a
    sandbox stays uid 0 but holds only the capabilities that pass file permissions (its
    files are its leased uid's), nor can a program it runs get more (a root shell, here):
    it cannot sniff loopback (a raw socket) or become another uid. Of those it keeps only
    what root holds: Docker's defaults lack CAP_DAC_READ_SEARCH."""
    if not namespaces.unreachable(namespaces.needed_paths()):
        pytest.skip("other uids may reach the interpreter here: sandboxes do not keep root")
    source = """
import os, socket, subprocess


def caps(status):
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    names = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")
    return [fields[name].strip() for name in names]


def attack():
    facts = [os.getuid(), caps(open("/proc/self/status").read())]
    shell = subprocess.run(["sh", "-c", "cat /proc/self/status"], capture_output=True, text=True)
    facts.append(caps(shell.stdout))
    for what, act in (("raw socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)),
                      ("setuid", lambda: os.setuid(4242))):
        try:
            act()
            facts.append(what)
        except PermissionError:
            pass
    kept = ["0000000000000000", "KEPT", "KEPT", "KEPT",
            "0000000000000000", "1"]  # CapInh, CapPrm, CapEff, CapBnd, CapAmb, NoNewPrivs
    return "blocked" if facts == [0, kept, kept] else repr(facts)
""".replace("KEPT", kept)
    _attack_failed(*check_apart(fixture_repo, tmp_path, source + FINE, prefix))


@root_only
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv")
def test_doctor_says_whether_sandboxes_get_their_view_of_the_files() -> None:
    """As root with CAP_SYS_ADMIN the view is made; without it (a default `docker run`)
    doctor names the step that failed and what sandboxes are left with."""
    row = "hidden specs and solutions"
    assert "│ yes │" in doctor_row(row)
    without = doctor_row(row, NO_CAP_SYS_ADMIN)
    assert "│ no │" in without and "unshare(CLONE_NEWNS): Operation not permitted" in without
    closed = namespaces.unreachable(namespaces.needed_paths())
    then = "sandboxes will keep root" if closed else "sandboxes can read the specs and solutions"
    assert then in without, without


def test_doctor_says_whether_the_judge_sees_into_sandboxes() -> None:
    """The judges read what a sandbox holds and waits in (/proc/<pid>/fd, mem, syscall): as
    a user their own processes; as root by CAP_SYS_PTRACE, or, in a default `docker run`,
    with the sandbox's own uid (probe.owner_rights)."""
    row = doctor_row("judge sees sandboxes")
    assert "│ yes │ the judge reads a sandbox's descriptors" in row, row
    if AS_ROOT:
        assert "(CAP_SYS_PTRACE)" in row, row
        if shutil.which("setpriv"):
            row = doctor_row("judge sees sandboxes", DOCKER_DEFAULT)
            assert "│ yes │" in row and "with the sandbox's own uid" in row, row
    else:
        assert "(your own processes)" in row, row
