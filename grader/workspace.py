"""Where the grader keeps its named working folders, out of every sandbox's reach.

Below :func:`base` lie a grading session's folder (the student module staged for it, its
results, its tests' folders), the run's specs as pytest rewrote them, and the scratch folder
of a pytest run started by hand. Each belongs to the grader process that made it, which
removes it (``session.PreparedSession``, ``session.warm_sessions``, ``plugin``); what a killed
run left is removed by ``session.remove_stale_sessions``. Output files are not here: they are
nameless (``isolation.OutputFile``).

A sandbox must not change any of it: a staged module is read by every test of its session,
and the rewritten specs by every later session of the run. A sandbox of another uid (a root
grader, each session its own uid) is kept out by modes, so the folders stay on the fast tmpfs
of :func:`grader.isolation.scratch`. A sandbox that shares the grader's uid (a grader that is
not root) or keeps root (no other uid may run the interpreter, and there is no view of the
files) is kept out by Landlock alone, which grants the temporary folders whole
(multiprocessing needs ``/dev/shm``). There the folders go where no rule grants: the user's
runtime folder (``$XDG_RUNTIME_DIR``, a tmpfs the login manager makes), or root's ``/run``.
Where there is none they stay in the temporary folders, and :func:`exposed` says why. (Found by a
student module that, in ``grader batch --jobs 2`` as a normal user, rewrote a classmate's
staged module in ``/dev/shm`` with its own, and so gave the classmate its points.)
"""

from __future__ import annotations

import functools
import os
import stat
import sys
import tempfile

from grader import isolation, landlock, namespaces, submitted, users

# Made in the runtime folder, once, and kept. Not users.LOCK_DIR (/run/multitasking-katas),
# which must stay root's alone (mode 0700) where this one lets sandbox uids pass.
FOLDER = "multitasking-katas-grading"


def sandboxes_act_as_the_grader() -> bool:
    """Whether a sandbox may write what the grader's uid may, modes aside: it runs as the
    grader's uid (not root, or not Linux), or keeps root (grader.namespaces: no view, and the
    interpreter lies where no other uid may enter)."""
    if not users.separate_uid_applies():
        return True
    return _keeps_root()


@functools.cache
def _keeps_root() -> bool:
    # The paths first: the view is tried in a child (a fork and a mount namespace, ~5 ms).
    if not namespaces.unreachable(namespaces.needed_paths()):
        return False
    return namespaces.view_problem() is not None


def _granted() -> list[str]:
    """The folders Landlock lets every sandbox write in, whatever its session."""
    return [*landlock.TEMPORARY, tempfile.gettempdir()]


def _only_ours(info: os.stat_result) -> bool:
    """A folder (not a link to one) of this uid that no one else may change."""
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _runtime_folder() -> tuple[str | None, str]:
    """This uid's grading folder in its runtime folder (made here if need be), or None and
    why there is none."""
    if os.geteuid() == 0:
        parent, named = "/run", "/run"
    else:
        parent, named = os.environ.get("XDG_RUNTIME_DIR", ""), "$XDG_RUNTIME_DIR"
        if not parent:
            return None, "$XDG_RUNTIME_DIR is not set"
    if not os.path.isabs(parent):
        return None, f"{named} ({parent}) is not an absolute path"
    try:
        info = os.stat(parent)
    except OSError as exc:
        return None, f"{named} ({parent}): {exc.strerror}"
    if not _only_ours(info):
        return None, f"{named} ({parent}) is not a folder that only this user may change"
    inside = [g for g in _granted() if os.path.isdir(g) and submitted.inside(parent, g)]
    if inside:
        return None, f"{named} ({parent}) lies in {inside[0]}, where every sandbox may write"
    folder = os.path.join(parent, FOLDER)
    try:
        os.mkdir(folder, 0o711)  # sandbox uids pass through to their session's folder
    except FileExistsError:
        pass
    except OSError as exc:
        return None, f"cannot make {folder}: {exc.strerror}"
    if not _only_ours(os.lstat(folder)):
        return None, f"{folder} is not a folder that only this user may change"
    return folder, ""


@functools.cache
def _choice() -> tuple[str, str | None]:
    if not sys.platform.startswith("linux") or not landlock.available():
        # Nothing keeps a sandbox of the grader's uid out of any folder of its uid anyway.
        return isolation.scratch(), None
    if not sandboxes_act_as_the_grader():
        return isolation.scratch(), None
    folder, why = _runtime_folder()
    if folder is None:
        return isolation.scratch(), why
    return folder, None


def base() -> str:
    """The folder the grader's working folders are made in (made once, and kept)."""
    return _choice()[0]


def exposed() -> str | None:
    """Why sandboxes, confined by Landlock, may still change the grader's working folders
    (none of the runtime folders above could be used); None where they may not, or where
    nothing confines them anyway (no Landlock: ``grader doctor`` says that)."""
    return _choice()[1]
