"""The grader's own folders (grader.workspace) lie where no sandbox may change them.

A grading session's folder holds the student module staged for it and its results; the
folder above it holds the other sessions' (a classmate's in `grader batch --jobs 2`) and the
run's rewritten specs. A sandbox that runs as the grader's uid, or keeps root, passes every
mode, and Landlock grants it the temporary folders whole: there those folders must lie
outside them.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import NO_CAP_SYS_ADMIN, check_apart, doctor_row

from grader import landlock, users, workspace

AS_ROOT = os.geteuid() == 0

# attack() tries to make a file in its session's folder, beside its own tests' folders (where
# a classmate's session folder would be too), and in the session's results.
WRITE_BESIDE = """
import os


def attack():
    session = os.path.dirname(os.path.dirname(os.getcwd()))
    if not os.path.basename(session).startswith("grader-session-"):
        return "lost: " + os.getcwd()
    made = []
    for folder in (session, os.path.join(session, "results")):
        path = os.path.join(folder, "planted-" + str(os.getpid()))
        try:
            with open(path, "x"):
                made.append(path)
        except OSError:
            continue
        os.unlink(path)
    return "ok" if not made else "made " + " ".join(made)


def fine():
    return 42
"""

SETUPS = {
    "as_is": (),  # root: sandboxes as another uid; a normal user: the same uid
    "without_cap_sys_admin": NO_CAP_SYS_ADMIN,  # root: they keep root, Python under /root
}


@pytest.mark.skipif(not landlock.available(), reason="no Landlock: nothing keeps them out")
@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_a_sandbox_cannot_write_beside_its_tests(
    fixture_repo: Path, tmp_path: Path, setup: str
) -> None:
    if SETUPS[setup] and not (AS_ROOT and shutil.which("setpriv")):
        pytest.skip("needs root and setpriv")
    if workspace.exposed():
        pytest.skip(f"no private runtime folder here: {workspace.exposed()}")
    result, printed = check_apart(fixture_repo, tmp_path, WRITE_BESIDE, SETUPS[setup])
    statuses = {t["name"]: (t["status"], t["message"]) for t in result["tests"]}
    assert statuses["test_attack"][0] == "passed", statuses["test_attack"][1] or printed
    assert statuses["test_after"][0] == "passed", printed


def test_the_folders_lie_outside_what_sandboxes_may_write() -> None:
    base = workspace.base()
    if not (workspace.sandboxes_act_as_the_grader() and landlock.available()):
        # Sandboxes of another uid are kept out by modes (or nothing keeps them out): the
        # fast tmpfs, and nothing to say.
        assert workspace.exposed() is None
        return
    if workspace.exposed():
        pytest.skip(f"no private runtime folder here: {workspace.exposed()}")
    info = os.lstat(base)
    assert stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o022, oct(info.st_mode)
    assert info.st_uid == os.geteuid()
    granted = [*landlock.TEMPORARY, "/tmp"]
    under = [g for g in granted if Path(os.path.realpath(base)).is_relative_to(g)]
    assert not under, (base, under)


@pytest.mark.skipif(AS_ROOT, reason="the runtime folder of a normal user")
def test_a_runtime_folder_is_refused_where_sandboxes_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cases = {
        "": "is not set",
        "relative": "is not an absolute path",
        str(tmp_path): "where every sandbox may write",  # pytest's tmp_path lies in /tmp
        str(tmp_path / "missing"): "No such file",
    }
    for value, said in cases.items():
        monkeypatch.setenv("XDG_RUNTIME_DIR", value)
        folder, why = workspace._runtime_folder()
        assert folder is None and said in why, (value, why)


def test_doctor_says_where_the_folders_are() -> None:
    row = doctor_row("grader's folders kept apart")
    assert workspace.base() in row, row
    kept = workspace.exposed() is None and landlock.available()
    assert (" yes " in row) == (not workspace.sandboxes_act_as_the_grader() or kept), row


def test_roots_folder_is_not_the_lease_locks_folder() -> None:
    """Made first (on a fresh machine) with the mode this module gives it, the locks' folder
    would be refused by users.lease as a folder other users may enter."""
    assert os.path.join("/run", workspace.FOLDER) != users.LOCK_DIR
