"""Landlock: a sandbox reads the system, the interpreter and its own folders, and no more.

`/var` stands for "the rest of the machine": every Linux has it, every user may list it, and
it is neither a system folder a sandbox reads nor a temporary one it writes in. Where the
kernel offers no Landlock these tests are skipped; `grader doctor` says so to its user.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from conftest import check_without_cap_sys_admin, doctor_row

from grader import channel, landlock
from grader.cli import main

pytestmark = pytest.mark.skipif(
    not landlock.available(), reason="the kernel offers no Landlock the grader uses"
)


def _in_confined_child(own: Path, probe: str) -> str:
    """Run ``probe`` (Python source that sets ``answer``) in a forked child confined with
    ``own`` as its folder; the answer it sends back."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports and exits
        os.close(read_end)
        try:
            landlock.confine([str(own)])
            scope: dict[str, object] = {"own": own}
            exec(probe, scope)
            answer = str(scope["answer"])
        except BaseException as exc:
            answer = f"raised {exc!r}"
        os.write(write_end, answer.encode())
        os._exit(0)
    os.close(write_end)
    try:
        return os.read(read_end, 4096).decode()
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)


def test_a_confined_process_reads_the_system_and_writes_its_own_folders_only(
    tmp_path: Path,
) -> None:
    assert os.listdir("/var"), "the judge itself is not confined"
    probe = """
import os, subprocess, sys
seen = []
try:
    os.listdir("/var")
    seen.append("listed /var")
except PermissionError:
    seen.append("no /var")
seen.append("passwd" if open("/etc/passwd").read(1) else "")
seen.append("os.py" if open(os.__file__).read(1) else "")
(own / "mine.txt").write_text("x")
seen.append((own / "mine.txt").read_text())
seen.append(subprocess.run(["sh", "-c", "echo ran; ls /var >/dev/null 2>&1 || echo refused"],
                           capture_output=True, text=True).stdout.split())
answer = seen
"""
    answer = _in_confined_child(tmp_path, probe)
    assert answer == str(["no /var", "passwd", "os.py", "x", ["ran", "refused"]]), answer


@pytest.mark.parametrize("version", [0, 1])
def test_no_landlock_or_only_its_first_version_confines_nothing(monkeypatch, version) -> None:
    """ABI 1 refuses every rename from one folder to another: a student's code would fail
    on those kernels alone, so the grader leaves them as it leaves kernels without one."""
    monkeypatch.setattr(landlock, "abi", lambda: version)
    assert landlock.ruleset(["/tmp"]) is None
    assert landlock.confine(["/tmp"]) == 0


def test_a_confined_process_cannot_read_the_grader_s_repository(tmp_path: Path) -> None:
    """An editable install's package is readable; the repository around it is not (its
    solutions and tests), unless it lies in a temporary folder every sandbox writes in."""
    import grader

    package = Path(grader.__file__).parent
    repo = package.parent
    probe = f"""
import os
readable = []
for name in ({str(package / "landlock.py")!r}, {str(repo / "pyproject.toml")!r}):
    try:
        open(name).read(1)
        readable.append(os.path.basename(name))
    except OSError:
        pass
answer = readable
"""
    answer = _in_confined_child(tmp_path, probe)
    in_temporary = any(str(repo).startswith(folder + "/") for folder in landlock.TEMPORARY)
    if (repo / "pyproject.toml").is_file() and not in_temporary:
        assert answer == str(["landlock.py"]), answer
    else:
        assert "landlock.py" in answer, answer


ATTACK = """
import os, subprocess

def attack():
    try:
        os.listdir("/var")
        return "listed /var"
    except PermissionError:
        pass
    shell = subprocess.run(["ls", "/var"], capture_output=True, text=True)
    return "ok" if shell.returncode != 0 else "its child listed /var"

def fine():
    return 42
"""


def test_a_student_s_code_finds_the_rest_of_the_machine_refused(grade) -> None:
    """Through a real grading: as root (its own uid, in its view of the files) and as a
    normal user alike, and for what the student's code starts too."""
    run = grade("01_hostile", ATTACK)
    statuses = {t["name"]: (t["status"], t["message"]) for t in run.data["exercises"][0]["tests"]}
    assert statuses["test_attack"][0] == "passed", statuses
    assert statuses["test_after"][0] == "passed", statuses


def test_doctor_says_whether_sandboxes_are_confined() -> None:
    row = doctor_row("confined file access")
    assert f"│ yes │ Landlock ABI {landlock.abi()}:" in row, row


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give up CAP_SYS_ADMIN here")
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv")
def test_without_a_mount_namespace_sandboxes_are_confined_all_the_same(
    fixture_repo: Path, tmp_path: Path
) -> None:
    """Like root in a default `docker run`: no view of the files can be made, and the
    sandboxes run as their uid or, where the interpreter lies under /root, as root. Landlock
    needs no privilege: either way the rest of the machine is refused to them."""
    data, printed = check_without_cap_sys_admin(fixture_repo, tmp_path, ATTACK)
    assert "view of the files" in " ".join(data["notes"]), printed  # no mount namespace
    statuses = {t["name"]: (t["status"], t["message"]) for t in data["tests"]}
    assert statuses["test_attack"][0] == "passed", statuses


SIGNALS = """
import os, signal
started = os.fork()
if started == 0:
    signal.pause()
    os._exit(0)
seen = []
for pid, sig in ((os.getppid(), 0), (bystander, signal.SIGKILL), (started, signal.SIGKILL)):
    try:
        os.kill(pid, sig)
        seen.append("sent")
    except PermissionError:
        seen.append("refused")
os.waitpid(started, 0)
answer = seen
"""


@pytest.mark.skipif(not landlock.scoped(), reason="no signal scoping (Linux 6.12+)")
def test_a_confined_process_signals_only_what_it_started(tmp_path: Path, bystander) -> None:
    """Its parent (the judge) and a process of the same uid are refused; its child is not."""
    probe = SIGNALS.replace("bystander", str(bystander.pid))
    answer = _in_confined_child(tmp_path, probe)
    assert answer == str(["refused", "refused", "sent"]), answer
    assert bystander.poll() is None


SOCKETS = """
import os, socket
seen = []
for address in ("\\0" + outside, judges):
    try:
        socket.socket(socket.AF_UNIX).connect(address)
        seen.append("connected")
    except PermissionError:
        seen.append("refused")
mine = socket.socket(socket.AF_UNIX)
mine.bind("\\0" + outside + "-mine")
mine.listen()
socket.socket(socket.AF_UNIX).connect("\\0" + outside + "-mine")
seen.append("its own")
answer = seen
"""


def _sockets_seen(tmp_path: Path) -> str:
    """What a confined child reaches: an abstract socket made outside it, then a channel's
    socket file; and it always reaches an abstract socket it made itself."""
    outside = f"katas-test-{os.getpid()}-{os.urandom(4).hex()}"
    with socket.socket(socket.AF_UNIX) as listener, channel.Channel("test") as judge:
        listener.bind("\0" + outside)
        listener.listen()
        probe = SOCKETS.replace("outside", repr(outside)).replace("judges", repr(judge.address))
        return _in_confined_child(tmp_path, probe)


@pytest.mark.skipif(not landlock.scoped(), reason="no socket scoping (Linux 6.12+)")
def test_a_confined_process_reaches_only_the_abstract_sockets_it_made(tmp_path: Path) -> None:
    """An abstract name made outside (a service's, a classmate's judge's) is refused; the
    judge's channel, a socket file, is not."""
    answer = _sockets_seen(tmp_path)
    assert answer == str(["refused", "connected", "its own"]), answer


@pytest.mark.skipif(not landlock.scoped(), reason="no signal scoping (Linux 6.12+)")
def test_a_ceiling_rehearses_an_older_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$GRADER_LANDLOCK_ABI below 6: files stay confined, signals are not scoped; 0: nothing."""
    monkeypatch.setenv(landlock.CEILING_ENV, str(landlock.SCOPES_ABI - 1))
    assert landlock.available() and not landlock.scoped()
    probe = """
import os
seen = []
try:
    os.kill(os.getppid(), 0)
    seen.append("may signal the judge")
except PermissionError:
    seen.append("may not signal the judge")
try:
    os.listdir("/var")
    seen.append("listed /var")
except PermissionError:
    seen.append("no /var")
answer = seen
"""
    answer = _in_confined_child(tmp_path, probe)
    assert answer == str(["may signal the judge", "no /var"]), answer
    assert _sockets_seen(tmp_path) == str(["connected", "connected", "its own"])
    monkeypatch.setenv(landlock.CEILING_ENV, "0")
    assert landlock.ruleset([str(tmp_path)]) is None
    assert "no │ Landlock ABI 0 (GRADER_LANDLOCK_ABI caps the kernel's" in doctor_row(
        "confined file access"
    )


@pytest.mark.parametrize("text", ["x", "-1", "6.1"])
def test_a_bad_ceiling_is_a_usage_error_that_names_it(
    text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(landlock.CEILING_ENV, text)
    with pytest.raises(landlock.CeilingError, match=landlock.CEILING_ENV):
        landlock.abi()
    assert main(["doctor"]) == 2
    assert f"{landlock.CEILING_ENV}={text!r}" in capsys.readouterr().out


def test_doctor_says_whether_signals_and_sockets_are_kept_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = doctor_row("signals and sockets kept in")
    if landlock.scoped():
        assert f"│ yes │ Landlock ABI {landlock.abi()}: a sandbox may signal only" in row, row
        assert "connect to no abstract socket they did not make" in row, row
        monkeypatch.setenv(landlock.CEILING_ENV, str(landlock.SCOPES_ABI - 1))
        row = doctor_row("signals and sockets kept in")
    assert "│ no │" in row and "(scoped from ABI 6, Linux 6.12)" in row, row
