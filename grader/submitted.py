"""Reading a student's module out of a submission the grader does not trust.

The judge reads the module (as root, when it grades as root) and copies it where only the
sandbox's uid can read it, so a path that leads anywhere else would make the judge read a
file for the student: a symbolic link to the instructor's solution would be graded as the
student's work, and one to a root-only file would show its first line in a SyntaxError. A
module is therefore read only when its real path lies inside the submission, and only when
it is a regular file of a module's size (a FIFO would block the read, a huge file would
fill the scratch folder in memory). Links that stay inside the submission are followed:
they show nothing the student did not submit. A module the grading user may not read (a zip
keeps its files' modes) and a link that leads back to itself are refused too, each with its
reason: a submission never stops the grader with a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from grader.messages import Msg

MAX_MODULE_BYTES = 1 << 20  # a kata's module is a few KiB; 1 MiB is far beyond any of them


class Refused(Exception):
    """The submission's module cannot be read for the student; ``kind`` says why.

    ``kind`` is one of ``outside``, ``not_a_file``, ``too_large`` (with ``size``),
    ``unreadable`` (the grading user may not read it) and ``loop`` (a link that leads back to
    itself); it is what a session passes on to its tests (see :meth:`as_option`), which
    teach with it.
    """

    KINDS = ("outside", "not_a_file", "too_large", "unreadable", "loop")

    def __init__(self, kind: str, size: int = 0) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown refusal {kind!r}: expected one of {', '.join(self.KINDS)}")
        super().__init__(kind, size)
        self.kind = kind
        self.size = size

    def as_option(self) -> str:
        return f"{self.kind}:{self.size}"

    @classmethod
    def from_option(cls, value: str) -> Refused:
        kind, _, size = value.partition(":")
        return cls(kind, int(size or 0))

    def teaching(self, shown: str) -> Msg:
        """What the student reads, with ``shown`` the module's path as they know it."""
        if self.kind == "outside":
            return Msg(
                f"{shown} leads outside your submission (it is a symbolic link, or lies in a "
                "linked folder): the grader reads only files inside the submission. Put the "
                f"module's own code in {shown}",
                f"{shown} 指向提交目录之外（它是符号链接，或位于被链接的目录中）：评分器只读取"
                f"提交目录之内的文件。请把模块的代码本身放进 {shown}",
            )
        if self.kind == "not_a_file":
            return Msg(
                f"{shown} is not a regular file (a folder, a device or a pipe): put the module's "
                "code in a plain file",
                f"{shown} 不是普通文件（而是目录、设备或管道）：请把模块的代码放进一个普通文件",
            )
        if self.kind == "unreadable":
            return Msg(
                f"{shown} cannot be read: permission denied (a file or folder on its path is "
                f"not readable to the user grading it). Make it readable: chmod a+r {shown}, "
                "and a+rx for its folders",
                f"无法读取 {shown}：权限不足（路径上的某个文件或目录对评分用户不可读）。"
                f"请让它可读：chmod a+r {shown}，并给它所在的目录加上 a+rx",
            )
        if self.kind == "loop":
            return Msg(
                f"{shown} is a symbolic link that leads back to itself (directly or through other "
                f"links), so there is no file to read: replace {shown} with the module's code",
                f"{shown} 是一个绕回自身的符号链接（直接或经过其他链接），没有可读取的文件："
                f"请把 {shown} 换成模块的代码本身",
            )
        return Msg(
            f"{shown} is {self.size:,} bytes; a module is read up to {MAX_MODULE_BYTES:,} "
            "bytes (1 MiB): submit the module's source, not data",
            f"{shown} 有 {self.size:,} 字节；模块最多读取 {MAX_MODULE_BYTES:,} 字节（1 MiB）："
            "请提交模块的源代码，而不是数据",
        )


def inside(path: str | Path, root: str | Path) -> bool:
    """True if ``path``'s real location (every link followed) is ``root``'s or below it."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def read_module(path: Path, root: Path) -> bytes | None:
    """The bytes of the module at ``path`` of the submission in ``root``; None if it has none.

    Raises :class:`Refused` when the module's real path is outside ``root``, when it is not a
    regular file, when it is larger than :data:`MAX_MODULE_BYTES`, when the grading user
    may not read it, or when it is a link that leads back to itself. The file is opened and
    closed here; the descriptor never leaves this function.
    """
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None  # missing, or a dangling link: the student has not written it yet
    except OSError as exc:
        raise _refusal(exc) from None
    if not inside(path, root):
        raise Refused("outside")
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
        fd = os.open(os.path.realpath(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise _refusal(exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not_a_file")
        if info.st_size > MAX_MODULE_BYTES:
            raise Refused("too_large", info.st_size)
        with open(fd, "rb", closefd=False) as module:  # a file object reads until the end
            data = module.read(MAX_MODULE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_MODULE_BYTES:  # it grew after the fstat
        raise Refused("too_large", len(data))
    return data


def _refusal(exc: OSError) -> Refused:
    """Why a module that is there cannot be read: a link loop, or (any other error of the
    file system: permissions, a folder on its path that may not be searched) unreadable."""
    return Refused("loop" if exc.errno == errno.ELOOP else "unreadable")
