"""Spec for exercise 23 — a tftp-style file server. Run it with `grader check tftp`.

Two halves. The student's *server* runs in a sandbox (``student.start("serve", ...)``) and
this file talks to it with its own trusted client (:class:`Client`). The student's *client*
functions run in a sandbox (``student.run("client_get", ...)``) against a trusted server
that this file forks (:func:`trusted_server`). Files are compared by size and sha256 here, in
the test process, never on the student's word.

What the judge observes itself, never on the sandbox's word: which process holds which end of
a connection (the kernel's TCP table and /proc/<pid>/fd), the server's children and zombies
(the process table), how many child processes were alive at once (the run's timeline), that
the server process itself moves no bytes and opens no file while its children serve downloads
(/proc/<pid>/io and /proc/<pid>/fd), and which forked children fell out of the student's
function instead of ending with os._exit (``Outcome.fell_through``).

Every message is given in English and Chinese (``check`` / ``fail``); pytest's assertion
rewriting is off for this file (PYTEST_DONT_REWRITE).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.spec import (
    Msg,
    Running,
    WaitTimeout,
    check,
    check_every_child_used_os_exit,
    connect,
    connection,
    delivered,
    fail,
    first_difference,
    fork_between_samples,
    free_port,
    holds_within,
    probe,
    tcp_visible,
    wait_until,
)

TIMEOUT = 5.0  # seconds any socket of this spec waits for the other side
CALL_DEADLINE = 8.0  # seconds one call of a student client function may take
LINE_MAX = 1024
BIG_SIZE = 5 * 1024 * 1024
SMALL = "héllo, tftp!\n".encode() + bytes(range(256)) + b"\r\n\x00 the end"
CUT_NAME = "cut.bin"  # the trusted server breaks the connection in the middle of this file
CUT_ANNOUNCED, CUT_SENT = 100_000, 1_000
HOLD_NAME = "hold.bin"  # a sparse file that two clients download at once, then stop reading
HOLD_SIZE = 32 * 1024 * 1024  # more than any socket buffers hold: the sending stays stuck
HOLD_READ = 1024 * 1024  # what each of the two clients reads of it before it stops
HOLD_RCVBUF = 256 * 1024  # their receive buffers, so the kernel does not grow them to 32 MiB
PARENT_IO_MAX = 256 * 1024  # bytes the server process may move meanwhile (a forking one: ~0)

# README references, in both languages (grader verify checks that each heading exists).
EN_PROTOCOL = "(README: 'Protocol')"
ZH_PROTOCOL = "（见 README：「协议（Protocol）」）"
EN_FRAMING = "(README: 'Protocol' and 'Framing')"
ZH_FRAMING = "（见 README：「协议（Protocol）」和「分包与粘包（Framing）」）"
EN_NAMES = "(README: 'Names')"
ZH_NAMES = "（见 README：「文件名（Names）」）"
EN_LIST = "(README: 'LIST')"
ZH_LIST = "（见 README：「LIST」）"
EN_GET = "(README: 'GET')"
ZH_GET = "（见 README：「GET」）"
EN_PUT = "(README: 'PUT')"
ZH_PUT = "（见 README：「PUT」）"
EN_ERRORS = "(README: 'Errors')"
ZH_ERRORS = "（见 README：「出错处理（Errors）」）"
EN_FORK = "(README: 'One process per client')"
ZH_FORK = "（见 README：「每个客户端一个进程（One process per client）」）"
EN_ZOMBIES = "(README: 'Zombies')"
ZH_ZOMBIES = "（见 README：「僵尸进程（Zombies）」）"
EN_CLIENT = "(README: 'Client')"
ZH_CLIENT = "（见 README：「客户端（Client）」）"

NO_HINT = Msg("", "")


def _random_bytes(seed: int, size: int = BIG_SIZE) -> bytes:
    return random.Random(seed).randbytes(size)


# Made once, when the session imports the spec: every test process inherits it instead of
# making it again (18 ms of CPU each, and 13 tests serve it).
SERVED_BIG = _random_bytes(23)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _bytes(data: object) -> bytes:
    return data if isinstance(data, bytes) else str(data).encode()


def _describe(data: object) -> str:
    data = _bytes(data)
    return f"{len(data)} bytes, sha256 {_sha(data)}…"


def _describe_zh(data: object) -> str:
    data = _bytes(data)
    return f"{len(data)} 字节，sha256 {_sha(data)}…"


def _first_difference(expected: bytes, got: bytes) -> Msg:
    """Where two byte strings first differ, for a message (NO_HINT when equal)."""
    if expected == got:
        return NO_HINT
    at = first_difference(got, expected)
    if at == min(len(expected), len(got)):
        return Msg("; one is a prefix of the other", "；其中一个是另一个的前缀")
    return Msg(f"; they first differ at byte {at}", f"；第一个不同的字节在偏移 {at}")


def _fail(msg: Msg) -> None:
    fail(en=msg.en, zh=msg.text("zh"))


def _spaced(hint: Msg) -> Msg:
    return Msg(" " + hint.en, hint.text("zh")) if hint.en else NO_HINT


@pytest.fixture
def area() -> Iterator[Path]:
    """A scratch folder for this test, in the grader's per-test working folder.

    Not pytest's ``tmp_path``: every forked test process creates a new numbered folder under
    /tmp/pytest-of-<user> that is never cleaned up, and these tests write 5 MB files. The
    working folder is handed to the sandbox's uid before each sandbox starts, so everything a
    test prepares here is made before the server starts.
    """
    path = Path(tempfile.mkdtemp(prefix="tftp-", dir=os.getcwd())).resolve()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _make_served(area: Path) -> dict[str, bytes]:
    """area/served (what the server serves) and area/outside (what it must never touch)."""
    served = area / "served"
    served.mkdir()
    files = {"a.txt": SMALL, "empty": b"", "big.bin": SERVED_BIG}
    for name, data in files.items():
        (served / name).write_bytes(data)
    (served / "sub").mkdir()
    (served / "sub" / "inner.txt").write_bytes(b"inner\n")
    (served / "notes.txt").mkdir()  # a folder with a file-like name
    (served / ".hidden").write_bytes(b"hidden\n")
    (area / "outside").mkdir()
    (area / "outside" / "secret.txt").write_bytes(b"TOP SECRET\n")
    return files


def _serve(student, folder: Path) -> tuple[Running, int]:
    port = free_port()
    server = student.options(label=f"serve({str(folder)!r}, {port})").start(
        "serve", str(folder), port
    )
    server.wait_listening(port)
    return server, port


def _no_fall_through(server: Running) -> None:
    """Stop the server and judge how its children ended: each with os._exit, none fell out."""
    see = Msg(f" {EN_FORK}", ZH_FORK)
    check_every_child_used_os_exit(server.stop().fell_through, see, "serve()")


# -- the spec's own client ---------------------------------------------------------------------


class Client:
    """A trusted client: it reads the stream through a buffer, never one recv per message."""

    def __init__(self, port: int, name: str = "the client", name_zh: str = "客户端") -> None:
        self.name = name
        self.name_zh = name_zh
        try:
            self.sock = connect(port, TIMEOUT)
        except OSError as exc:
            fail(
                en=f"{name} could not connect to 127.0.0.1:{port}: {exc} {EN_FORK}",
                zh=f"{name_zh}连不上 127.0.0.1:{port}：{exc}{ZH_FORK}",
            )
        self.reader = self.sock.makefile("rb")

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def abort(self) -> None:
        """Close with a reset (RST) instead of a clean end of stream."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def send(self, data: bytes, what: str) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            fail(
                en=f"{self.name} could not send {what} ({exc}): the server closed the connection "
                f"early. It must keep answering commands until QUIT {EN_PROTOCOL}.",
                zh=f"{self.name_zh}发送 {what} 时失败（{exc}）：服务器提前关闭了连接。"
                f"在收到 QUIT 之前，服务器要一直回答命令{ZH_PROTOCOL}。",
            )

    def reply(self, what: str, hint: Msg = NO_HINT) -> tuple[str, int | str]:
        """The next status line: ("OK", byte count) or ("ERR", message)."""
        more = _spaced(hint)
        try:
            line = self.reader.readline(LINE_MAX + 2)
        except TimeoutError:
            fail(
                en=f"No answer within {TIMEOUT:g} s to {what}.{more.en}",
                zh=f"等了 {TIMEOUT:g} 秒，{what} 没有得到回答。{more.text('zh')}",
            )
        except OSError as exc:
            fail(
                en=f"{self.name}: the connection broke waiting for the answer to {what} "
                f"({exc}).{more.en}",
                zh=f"{self.name_zh}在等待 {what} 的回答时连接断了（{exc}）。{more.text('zh')}",
            )
        if not line:
            fail(
                en=f"the server closed the connection instead of answering {what}. A failed "
                f"command is answered with `ERR <message>` and the connection stays open.{more.en}",
                zh=f"服务器没有回答 {what}，而是直接关闭了连接。失败的命令要回答 "
                f"`ERR <message>`，连接保持打开。{more.text('zh')}",
            )
        if not line.endswith(b"\n"):
            fail(
                en=f"the answer to {what} began with {line[:60]!r} and no newline followed: a "
                f"status line ends with \\n {EN_FRAMING}.{more.en}",
                zh=f"{what} 的回答以 {line[:60]!r} 开头，后面却没有换行：状态行要以 \\n 结尾"
                f"{ZH_FRAMING}。{more.text('zh')}",
            )
        text = line[:-1].decode("utf-8", "replace")
        status, _, rest = text.partition(" ")
        if status == "OK" and rest.isascii() and rest.isdigit():
            return "OK", int(rest)
        if status == "ERR":
            return "ERR", rest
        fail(
            en=f"the answer to {what} was {line[:80]!r}: every answer starts with a line "
            "`OK <byte count>` or `ERR <message>`. If this looks like file data, the previous "
            f"payload was longer than the byte count announced before it {EN_FRAMING}.{more.en}",
            zh=f"{what} 的回答是 {line[:80]!r}：每个回答都必须以 `OK <字节数>` 或 "
            "`ERR <message>` 这样一行开头。如果这看起来像文件内容，说明上一段数据比它前面宣布的"
            f"字节数要长{ZH_FRAMING}。{more.text('zh')}",
        )

    def payload(self, size: int, what: str) -> bytes:
        try:
            data = self.reader.read(size)
        except TimeoutError:
            fail(
                en=f"the server announced `OK {size}` for {what}, then the bytes stopped coming "
                f"for {TIMEOUT:g} s: send exactly the announced number of bytes {EN_FRAMING}.",
                zh=f"服务器对 {what} 宣布了 `OK {size}`，之后 {TIMEOUT:g} 秒都没有再发数据："
                f"宣布多少字节，就要正好发多少字节{ZH_FRAMING}。",
            )
        check(
            len(data) == size,
            en=f"the server announced `OK {size}` for {what} but closed the connection after "
            f"{len(data)} bytes {EN_FRAMING}.",
            zh=f"服务器对 {what} 宣布了 `OK {size}`，却只发了 {len(data)} 个字节就关闭了连接"
            f"{ZH_FRAMING}。",
        )
        return data

    def request(
        self, command: str, body: bytes = b"", what: str = "", hint: Msg = NO_HINT
    ) -> tuple[str, object]:
        """Send one command (and its data); ("OK", payload bytes) or ("ERR", message)."""
        what = what or f"`{command}`"
        self.send(command.encode() + b"\n" + body, what)
        status, value = self.reply(what, hint)
        if status == "OK":
            return "OK", self.payload(int(value), what)
        return "ERR", value

    def ok(self, command: str, body: bytes = b"", what: str = "", hint: Msg = NO_HINT) -> bytes:
        what = what or f"`{command}`"
        status, value = self.request(command, body, what, hint)
        more = _spaced(hint)
        check(
            status == "OK",
            en=f"{what} was answered `ERR {value}`; expected `OK <byte count>`.{more.en}",
            zh=f"{what} 得到的回答是 `ERR {value}`，应该是 `OK <字节数>`。{more.text('zh')}",
        )
        return value if isinstance(value, bytes) else b""


def _names(payload: bytes) -> list[str]:
    check(
        not payload or payload.endswith(b"\n"),
        en=f"the LIST payload ends with {payload[-30:]!r}: each name is followed by \\n {EN_LIST}.",
        zh=f"LIST 的数据以 {payload[-30:]!r} 结尾：每个文件名后面都要跟一个 \\n{ZH_LIST}。",
    )
    return payload.decode("utf-8", "replace").split("\n")[:-1]


def _live_children(server: Running) -> list[probe.Proc]:
    return [p for p in server.children() if not p.zombie]


def _io_moved(pid: int) -> int | None:
    """Bytes the read- and write-like system calls of ``pid`` have moved so far: rchar + wchar
    of /proc/<pid>/io, counted by the kernel for every thread of the process, files and sockets
    alike. None where the judge cannot read it."""
    try:
        with probe.owner_rights(pid), open(f"/proc/{pid}/io") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["rchar"]) + int(fields["wchar"])
    except (OSError, KeyError, ValueError):
        return None


def _has_file(pid: int, path: Path) -> bool:
    """Whether ``pid`` has the file at ``path`` open (/proc/<pid>/fd) or mapped (its maps)."""
    st = path.stat()
    with contextlib.suppress(OSError), probe.owner_rights(pid):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                found = os.stat(f"/proc/{pid}/fd/{fd}")
                if (found.st_dev, found.st_ino) == (st.st_dev, st.st_ino):
                    return True
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}"
    with contextlib.suppress(OSError), probe.owner_rights(pid), open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) > 4 and fields[4] == str(st.st_ino) and fields[3] == device:
                return True
    return False


def _tree(root: Path) -> dict[str, str]:
    """Every folder, file and link under root, with a hash of each file's content."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            found[os.path.relpath(os.path.join(folder, d), root) + "/"] = "folder"
        for f in files:
            path = os.path.join(folder, f)
            if os.path.islink(path):
                found[os.path.relpath(path, root)] = "link -> " + os.readlink(path)
                continue
            with open(path, "rb") as fh:
                found[os.path.relpath(path, root)] = _sha(fh.read())
    return found


def _until_read(sender: int, receiver: int) -> str:
    """Wait until the peer has read every byte sent so far on the loopback connection from port
    ``sender`` to port ``receiver``, as the kernel sees it (nothing unacknowledged, nothing
    unread): then the next piece sent can only arrive in a later recv() of the peer.

    Returns "read"; "closed" when the connection is no longer established; "stalled" when the
    bytes stayed unread for TIMEOUT seconds; "unproven" at once where the kernel's TCP sockets
    cannot be seen (macOS): the pieces are then sent on without proof that they arrive apart.
    """
    if not tcp_visible():
        return "unproven"

    def settled() -> str | None:
        if delivered(sender, receiver):
            return "read"
        return "closed" if connection(sender, receiver) is None else None

    try:
        return wait_until(settled, TIMEOUT)
    except WaitTimeout:
        return "stalled"


# == the student's server ======================================================================


@pytest.mark.points(2)
def test_list_shows_regular_files_only(student, area):
    files = _make_served(area)
    served = area / "served"
    _, port = _serve(student, served)
    with Client(port) as c:
        names = _names(c.ok("LIST"))
    folders = [n for n in names if n in ("sub", "notes.txt")]
    check(
        not folders,
        en=f"LIST showed {folders}: they are folders, not regular files. os.listdir() returns "
        "every entry; keep only the names for which os.path.isfile(os.path.join(folder, name)) "
        f"is true {EN_LIST}.",
        zh=f"LIST 列出了 {folders}：它们是目录，不是普通文件。os.listdir() 会返回所有条目，"
        f"只保留 os.path.isfile(os.path.join(folder, name)) 为真的名字{ZH_LIST}。",
    )
    check(
        ".hidden" not in names,
        en="LIST showed .hidden: names that start with a dot are hidden (GET refuses them, and "
        f"your upload's temporary file is one), so LIST leaves them out {EN_NAMES}.",
        zh="LIST 列出了 .hidden：以点开头的名字是隐藏文件（GET 会拒绝它们，你上传时用的临时文件"
        f"也是这种名字），所以 LIST 不列出它们{ZH_NAMES}。",
    )
    expected = sorted(files)
    check(
        sorted(names) == expected,
        en=f"LIST answered {names}; the folder's regular files are {expected} "
        f"(each listed once, each followed by \\n) {EN_LIST}.",
        zh=f"LIST 的回答是 {names}；目录里的普通文件是 {expected}（每个列一次，后面各跟一个 \\n）"
        f"{ZH_LIST}。",
    )
    for name in [*files, ".hidden"]:
        (served / name).unlink()
    with Client(port) as c:
        c.send(b"LIST\n", "LIST")
        status, size = c.reply("`LIST` in a folder with no regular files")
        check(
            (status, size) == ("OK", 0),
            en=f"LIST in a folder holding only sub-folders was answered `{status} {size}`; "
            f"with nothing to list the answer is `OK 0` and no payload {EN_LIST}.",
            zh=f"目录里只有子目录时，LIST 的回答是 `{status} {size}`；没有可列的文件时应该回答 "
            f"`OK 0`，后面没有数据{ZH_LIST}。",
        )


@pytest.mark.points(3)
def test_get_is_byte_exact(student, area):
    files = _make_served(area)
    _, port = _serve(student, area / "served")
    with Client(port) as c:
        for number, name in enumerate(("empty", "a.txt", "big.bin", "a.txt")):
            later = " (on the same connection, after other downloads)" if number else ""
            data = c.ok(f"GET {name}", what=f"`GET {name}`{later}")
            expected = files[name]
            diff = _first_difference(expected, data)
            check(
                data == expected,
                en=f"GET {name}: the file has {_describe(expected)}; the server sent "
                f"{_describe(data)}{diff.en}. Open the file in binary mode ('rb'), announce its "
                "size with `OK <size>`, then send exactly that many bytes with sendall() "
                f"{EN_GET}.",
                zh=f"GET {name}：文件是 {_describe_zh(expected)}，服务器发来的是 "
                f"{_describe_zh(data)}{diff.text('zh')}。用二进制模式（'rb'）打开文件，先用 "
                f"`OK <size>` 宣布大小，再用 sendall() 发送正好这么多字节{ZH_GET}。",
            )
        names = _names(c.ok("LIST", what="`LIST` after three downloads on the same connection"))
        check(
            "big.bin" in names,
            en=f"LIST after the downloads answered {names} {EN_LIST}",
            zh=f"下载之后 LIST 的回答是 {names}{ZH_LIST}",
        )


@pytest.mark.points(3)
def test_put_is_byte_exact(student, area):
    _make_served(area)
    served = area / "served"
    before = set(os.listdir(served))
    uploads = {"up-empty": b"", "up-small.bin": SMALL, "up-big.bin": _random_bytes(7)}
    _, port = _serve(student, served)
    hint = Msg(
        "The server must read the command line up to \\n, then exactly the announced number of "
        f"bytes, however they are split across recv() calls {EN_FRAMING}.",
        "服务器要先读到 \\n 为止的命令行，再读正好宣布的字节数，不管它们被 recv() 分成了几段"
        f"{ZH_FRAMING}。",
    )
    with Client(port) as c:
        for name, data in uploads.items():
            # The command line and the data go out in ONE sendall: a stream has no boundaries.
            c.ok(
                f"PUT {name} {len(data)}",
                data,
                what=f"`PUT {name} {len(data)}` + {len(data)} bytes in one send",
                hint=hint,
            )
            stored = served / name
            check(
                stored.is_file(),
                en=f"PUT {name} was answered OK, but the folder has no file {name}: answer "
                f"`OK 0` only after the file is complete under its name {EN_PUT}.",
                zh=f"PUT {name} 得到了 OK，但目录里没有 {name} 这个文件：只有当完整的文件已经在"
                f"正式名字下面时，才能回答 `OK 0`{ZH_PUT}。",
            )
            got = stored.read_bytes()
            diff = _first_difference(data, got)
            check(
                got == data,
                en=f"PUT {name}: the client sent {_describe(data)}; the server stored "
                f"{_describe(got)}{diff.en}. Read exactly the announced number of bytes (several "
                f"recv() calls) and write them in binary mode {EN_PUT}.",
                zh=f"PUT {name}：客户端发的是 {_describe_zh(data)}，服务器存下的是 "
                f"{_describe_zh(got)}{diff.text('zh')}。要读正好宣布的字节数（需要多次 "
                f"recv()），并用二进制模式写入{ZH_PUT}。",
            )
        names = _names(c.ok("LIST", what="`LIST` after the uploads"))
        missing = sorted(set(uploads) - set(names))
        check(
            not missing,
            en=f"after the uploads LIST answered {names}: {missing} missing {EN_LIST}",
            zh=f"上传之后 LIST 的回答是 {names}，少了 {missing}{ZH_LIST}",
        )
    leftovers = sorted(set(os.listdir(served)) - before - set(uploads))
    check(
        not leftovers,
        en=f"after three complete uploads the folder also holds {leftovers}: a temporary file "
        f"must be renamed onto the real name (os.replace) when the upload is complete {EN_PUT}.",
        zh=f"三次完整的上传之后，目录里还多了 {leftovers}：上传完成时，临时文件要用 "
        f"os.replace() 改名成正式的名字{ZH_PUT}。",
    )


def _send_in_pieces(c: Client, port: int, pieces: tuple[bytes, ...], what: str, hint: Msg) -> None:
    """Send ``pieces`` one at a time; each is read by the server before the next one is sent."""
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for number, piece in enumerate(pieces[:-1], 1):
        c.send(piece, what)
        state = _until_read(c.port, port)
        start = b"".join(pieces[:number])
        check(
            state != "closed",
            en=f"the server closed the connection after receiving {start!r}, the start of "
            f"{what}: part of a command is not an error. {hint.en}",
            zh=f"服务器收到 {start!r}（{what} 的开头）之后就关闭了连接：只收到半条命令并不是错误。"
            f"{hint.text('zh')}",
        )
        check(
            state != "stalled",
            en=f"the server did not read {piece!r} (piece {number} of {what}) within "
            f"{TIMEOUT:g} s: it sat unread in the server's socket. Go on calling recv() while "
            f"the command line is incomplete. {hint.en}",
            zh=f"服务器 {TIMEOUT:g} 秒内都没有读取 {piece!r}（{what} 的第 {number} 段），它一直"
            f"躺在服务器的套接字里。命令行还不完整时，要继续调用 recv()。{hint.text('zh')}",
        )
    c.send(pieces[-1], what)


FRAMING_HINT = Msg(
    "One recv() can return part of a command, or a command glued to the bytes that follow it "
    "(粘包). Keep what you received in a buffer and cut lines and counted payloads out of it "
    f"{EN_FRAMING}.",
    "一次 recv() 可能只收到半条命令，也可能把一条命令和后面的字节一起收到（粘包）。把收到的"
    f"字节放进缓冲区，再从里面切出一行行命令和定长的数据{ZH_FRAMING}。",
)


@pytest.mark.points(2)
def test_server_reads_a_stream_not_messages(student, area):
    _make_served(area)
    served = area / "served"
    _, port = _serve(student, served)
    hint = FRAMING_HINT
    with Client(port) as c:
        _send_in_pieces(c, port, (b"LI", b"S", b"T\n"), "`LIST` in three pieces", hint)
        status, size = c.reply("`LIST` sent in three pieces (b'LI', b'S', b'T\\n')", hint)
        check(
            status == "OK",
            en=f"`LIST` sent in three pieces (b'LI', b'S', b'T\\n') was answered `ERR {size}`. "
            f"{hint.en}",
            zh=f"分成三段（b'LI'、b'S'、b'T\\n'）发送的 `LIST` 得到了 `ERR {size}`。"
            f"{hint.text('zh')}",
        )
        c.payload(int(size), "LIST")

        c.send(b"GET a.txt\nLIST\n", "two commands in one send")
        what = "`GET a.txt` sent together with `LIST` in one send"
        status, size = c.reply(what, hint)
        data = c.payload(int(size), what) if status == "OK" else b""
        check(
            status == "OK" and data == SMALL,
            en=f"{what} was answered `{status} {size}` with {_describe(data)}; expected "
            f"`OK {len(SMALL)}` and a.txt's bytes. {hint.en}",
            zh=f"{what} 得到的回答是 `{status} {size}` 和 {_describe_zh(data)}；应该是 "
            f"`OK {len(SMALL)}` 加上 a.txt 的内容。{hint.text('zh')}",
        )
        status, size = c.reply("`LIST` (the second command of that same send)", hint)
        check(
            status == "OK",
            en=f"the LIST glued after `GET a.txt` was answered `ERR {size}`. {hint.en}",
            zh=f"紧跟在 `GET a.txt` 后面的 LIST 得到了 `ERR {size}`。{hint.text('zh')}",
        )
        names = _names(c.payload(int(size), "LIST"))
        check(
            "a.txt" in names,
            en=f"the LIST glued after `GET a.txt` answered {names}. {hint.en}",
            zh=f"紧跟在 `GET a.txt` 后面的 LIST 回答了 {names}。{hint.text('zh')}",
        )

        what = "`PUT split.bin 10` + 10 bytes, sent as b'PUT sp', b'lit.bin 10\\n01234', b'56789'"
        _send_in_pieces(c, port, (b"PUT sp", b"lit.bin 10\n01234", b"56789"), what, hint)
        status, value = c.reply(what, hint)
        check(
            status == "OK",
            en=f"{what} was answered `ERR {value}`. {hint.en}",
            zh=f"{what} 得到了 `ERR {value}`。{hint.text('zh')}",
        )
        c.payload(int(value), what)
        stored = (served / "split.bin").read_bytes() if (served / "split.bin").is_file() else None
        check(
            stored == b"0123456789",
            en=f"after {what} the folder holds split.bin = {stored!r}, expected b'0123456789'. "
            f"{hint.en}",
            zh=f"{what} 之后，目录里的 split.bin = {stored!r}，应该是 b'0123456789'。"
            f"{hint.text('zh')}",
        )


KEEP_OPEN = Msg(
    "After an error the server answers the next command on the same connection: catch the "
    f"error in the handler, send `ERR <message>` and go on reading commands {EN_ERRORS}.",
    "出错之后，服务器要在同一条连接上继续回答下一条命令：在处理函数里捕获错误，发送 "
    f"`ERR <message>`，然后接着读命令{ZH_ERRORS}。",
)


@pytest.mark.points(2)
def test_get_missing_file_is_an_error_and_the_connection_stays_usable(student, area):
    _make_served(area)
    _, port = _serve(student, area / "served")
    with Client(port) as c:
        for name, why, why_zh in (
            ("missing.txt", "there is no such file", "没有这个文件"),
            ("sub", "sub is a folder", "sub 是个目录"),
            ("notes.txt", "notes.txt is a folder", "notes.txt 是个目录"),
        ):
            status, value = c.request(f"GET {name}", hint=KEEP_OPEN)
            check(
                status == "ERR",
                en=f"`GET {name}` was answered OK with {_describe(value)}, but {why}: answer "
                f"`ERR <message>` {EN_ERRORS}.",
                zh=f"`GET {name}` 得到了 OK 和 {_describe_zh(value)}，可是{why_zh}：应该回答 "
                f"`ERR <message>`{ZH_ERRORS}。",
            )
            check(
                str(value).strip(),
                en=f"`GET {name}` was answered `ERR` with no message; say why {EN_ERRORS}.",
                zh=f"`GET {name}` 的回答是不带消息的 `ERR`；要说明原因{ZH_ERRORS}。",
            )
        data = c.ok(
            "GET a.txt",
            what="`GET a.txt` after three ERR answers on the same connection",
            hint=KEEP_OPEN,
        )
        check(
            data == SMALL,
            en=f"GET a.txt after the errors sent {_describe(data)}, expected "
            f"{_describe(SMALL)} {EN_GET}",
            zh=f"出错之后 GET a.txt 发来的是 {_describe_zh(data)}，应该是 "
            f"{_describe_zh(SMALL)}{ZH_GET}",
        )
        names = _names(c.ok("LIST", what="`LIST` after the errors", hint=KEEP_OPEN))
        check(
            "a.txt" in names,
            en=f"LIST after the errors answered {names} {EN_LIST}",
            zh=f"出错之后 LIST 的回答是 {names}{ZH_LIST}",
        )


REFUSED_PUT_DRAINS = Msg(
    "A refused PUT still has its bytes on the way: read the announced number of bytes and "
    f"throw them away, or they are taken for the next command {EN_PUT}.",
    "被拒绝的 PUT 后面的数据已经在路上了：把宣布的字节数读完扔掉，否则它们会被当成下一条命令"
    f"{ZH_PUT}。",
)


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


@pytest.mark.points(3)
def test_names_that_escape_are_refused(student, area):
    _make_served(area)
    served = area / "served"
    secret = area / "outside" / "secret.txt"
    before = _tree(area)
    _, port = _serve(student, served)
    with Client(port) as c:
        for name in ("../outside/secret.txt", str(secret), "sub/inner.txt", ".hidden", "..", "."):
            status, value = c.request(f"GET {name}")
            check(
                status == "ERR",
                en=f"`GET {name}` was answered OK with {_describe(value)}: the server read a "
                "file it must not show. Refuse any name that contains '/' or '..' or starts "
                "with '.', before touching the disk; os.path.join(folder, name) happily leaves "
                f"the folder {EN_NAMES}.",
                zh=f"`GET {name}` 得到了 OK 和 {_describe_zh(value)}：服务器读了一个不该给人看的"
                "文件。包含 '/' 或 '..'、或以 '.' 开头的名字，在碰磁盘之前就要拒绝；"
                f"os.path.join(folder, name) 可是会毫不犹豫地跑出目录的{ZH_NAMES}。",
            )
        evil = ("../evil.txt", str(area / "evil-absolute.txt"), ".evil", "sub/evil.txt")
        for name in evil:
            status, value = c.request(f"PUT {name} 5", b"EVIL!")
            check(
                status == "ERR",
                en=f"`PUT {name} 5` was answered OK: the server wrote a file where it must not. "
                f"Refuse names with '/' or '..' or a leading '.' {EN_NAMES}.",
                zh=f"`PUT {name} 5` 得到了 OK：服务器在不该写的地方写了文件。包含 '/' 或 '..'、"
                f"或以 '.' 开头的名字一律拒绝{ZH_NAMES}。",
            )
            c.ok(
                "LIST",
                what=f"`LIST` right after the refused `PUT {name} 5` and its 5 bytes",
                hint=REFUSED_PUT_DRAINS,
            )
    changed = _changed(before, _tree(area))
    check(
        not changed,
        en=f"after the refused commands these paths were created or changed: {changed}. Nothing "
        f"may be written for a refused name, inside the folder or outside it {EN_NAMES}.",
        zh=f"这些命令被拒绝之后，下面这些路径却被创建或修改了：{changed}。名字被拒绝时，目录里外"
        f"都不能写任何东西{ZH_NAMES}。",
    )


@pytest.mark.points(2)
def test_symlinks_are_not_served(student, area):
    files = _make_served(area)
    served = area / "served"
    secret = area / "outside" / "secret.txt"
    # Made before the server starts: the sandbox's uid is handed the working folder then.
    (served / "link.txt").symlink_to(os.path.relpath(secret, served))
    (served / "abs-link.txt").symlink_to(secret)
    (served / "inner-link.txt").symlink_to("a.txt")
    secret_before = (secret.read_bytes(), secret.stat().st_mtime_ns)
    server, port = _serve(student, served)
    with Client(port) as c:
        names = _names(c.ok("LIST"))
        links = sorted(n for n in names if n.endswith("link.txt"))
        check(
            not links,
            en=f"LIST showed {links}: they are symbolic links, not regular files of the folder "
            "(os.path.isfile() follows a link; test os.path.islink() too). A link is never "
            f"listed nor served, wherever it points {EN_LIST} and {EN_NAMES}.",
            zh=f"LIST 列出了 {links}：它们是符号链接，不是目录里的普通文件（os.path.isfile() 会"
            "跟着链接走，还要再用 os.path.islink() 判断）。符号链接不管指向哪里，都不列出、"
            f"也不提供下载{ZH_LIST}{ZH_NAMES}。",
        )
        check(
            sorted(names) == sorted(files),
            en=f"LIST answered {names}; the folder's regular files are {sorted(files)} {EN_LIST}.",
            zh=f"LIST 的回答是 {names}；目录里的普通文件是 {sorted(files)}{ZH_LIST}。",
        )
        for name in ("link.txt", "abs-link.txt", "inner-link.txt"):
            status, value = c.request(f"GET {name}", hint=KEEP_OPEN)
            leaked = status == "OK" and b"SECRET" in _bytes(value)
            check(
                status == "ERR",
                en=f"`GET {name}` (a symbolic link in the served folder"
                + (", pointing outside it" if name != "inner-link.txt" else "")
                + f") was answered OK with {_describe(value)}"
                + (": the contents of outside/secret.txt left the server" if leaked else "")
                + ". open() follows links, so a link lets a client read any file the server "
                "can read. Refuse a name that is a link (os.path.islink(), or open with "
                f"os.O_NOFOLLOW) {EN_NAMES} and {EN_GET}.",
                zh=f"`GET {name}`（服务目录里的一个符号链接"
                + ("，指向目录外面" if name != "inner-link.txt" else "")
                + f"）得到了 OK 和 {_describe_zh(value)}"
                + ("：outside/secret.txt 的内容被发出去了" if leaked else "")
                + "。open() 会跟着链接走，有了链接，客户端就能读到服务器能读的任何文件。名字是符号"
                f"链接时要拒绝（用 os.path.islink() 判断，或用 os.O_NOFOLLOW 打开）{ZH_NAMES}"
                f"{ZH_GET}。",
            )
        c.ok("LIST", what="`LIST` after the refused links", hint=KEEP_OPEN)
        for name in ("link.txt", "abs-link.txt"):
            _put_onto_a_link(c, served, name, secret, secret_before)
    with Client(port, "a new client after the PUTs onto links", "PUT 链接之后的新客户端") as c:
        c.ok("LIST", what="`LIST` of a new client after the PUTs onto links")
    check(server.alive(), en=f"the server itself ended {EN_FORK}", zh=f"服务器自己退出了{ZH_FORK}")


def _put_onto_a_link(
    c: Client, served: Path, name: str, secret: Path, secret_before: tuple[bytes, int]
) -> None:
    """PUT onto served/name, a link to ``secret`` outside the folder: refusing it and replacing
    the link itself (os.replace) are both right; writing through it never is."""
    upload = f"written by PUT {name}\n".encode()
    command = f"PUT {name} {len(upload)}"
    status, value = c.request(command, upload, hint=KEEP_OPEN)
    answer = "`OK`" if status == "OK" else f"`ERR {value}`"
    data, mtime = secret.read_bytes(), secret.stat().st_mtime_ns
    what = (
        Msg(
            f"it held {_describe(secret_before[0])}, now {_describe(data)}",
            f"原来是 {_describe_zh(secret_before[0])}，现在是 {_describe_zh(data)}",
        )
        if data != secret_before[0]
        else Msg("its modification time changed", "它的修改时间变了")
    )
    check(
        (data, mtime) == secret_before,
        en=f"`{command}` (served/{name} is a symbolic link to outside/secret.txt) was answered "
        f"{answer}, and outside/secret.txt changed ({what.en}): the upload was written through "
        "the link, outside the folder. Put the temporary file in place with os.replace(), which "
        "replaces the link itself; open(path, 'wb') and shutil.copyfile() follow a link "
        f"{EN_NAMES} and {EN_PUT}.",
        zh=f"`{command}`（served/{name} 是指向 outside/secret.txt 的符号链接）得到的回答是 "
        f"{answer}，而 outside/secret.txt 被改了（{what.zh}）：上传的内容顺着链接写到了目录外面。"
        "要用 os.replace() 把临时文件放到正式名字上，它替换的是链接本身；open(path, 'wb') 和 "
        f"shutil.copyfile() 都会跟着链接走{ZH_NAMES}{ZH_PUT}。",
    )
    path = served / name
    if status == "OK":
        stored = None if path.is_symlink() or not path.is_file() else path.read_bytes()
        check(
            stored == upload,
            en=f"`{command}` (served/{name} was a symbolic link) was answered `OK`, but served/"
            f"{name} is "
            + ("still the link" if path.is_symlink() else f"not a file of {_describe(upload)}")
            + ": answer `OK 0` only once the upload is a regular file under that name "
            f"(os.replace() puts it in place of the link), or refuse it with `ERR` {EN_PUT}.",
            zh=f"`{command}`（served/{name} 原来是个符号链接）得到了 `OK`，可是 served/{name} "
            + ("还是那个链接" if path.is_symlink() else f"不是内容为 {_describe_zh(upload)} 的文件")
            + "：只有当上传的内容已经是这个名字下的普通文件时才能回答 `OK 0`（os.replace() 会把它"
            f"放到链接的位置上），要么就回答 `ERR` 拒绝{ZH_PUT}。",
        )
    c.ok("LIST", what=f"`LIST` right after `{command}`", hint=KEEP_OPEN)


@pytest.mark.points(2)
def test_put_onto_a_folder_and_malformed_sizes(student, area):
    _make_served(area)
    served = area / "served"
    before = _tree(area)
    server, port = _serve(student, served)
    with Client(port) as c:
        for name in ("notes.txt", "sub"):
            status, _ = c.request(f"PUT {name} 5", b"EVIL!", hint=KEEP_OPEN)
            check(
                status == "ERR",
                en=f"`PUT {name} 5` was answered OK, but {name} is a folder of the served folder: "
                "os.replace() cannot put a file onto a folder. Answer `ERR <message>` (after "
                f"reading the 5 bytes) and delete the temporary file {EN_PUT}.",
                zh=f"`PUT {name} 5` 得到了 OK，可是 {name} 是服务目录里的一个子目录：os.replace() "
                "没法把文件改名成一个目录。（读完那 5 个字节之后）回答 `ERR <message>`，并删掉临时"
                f"文件{ZH_PUT}。",
            )
            c.ok("LIST", what=f"`LIST` right after `PUT {name} 5` was refused", hint=KEEP_OPEN)
    if not holds_within(lambda: not _changed(before, _tree(area)), 3.0):
        changed = _changed(before, _tree(area))
        fail(
            en=f"after `PUT notes.txt 5` and `PUT sub 5` (both folders) were refused, these paths "
            f"were created or changed: {changed}. A PUT that fails stores nothing: delete the "
            f"temporary file {EN_PUT}.",
            zh=f"`PUT notes.txt 5` 和 `PUT sub 5`（两个都是目录）被拒绝之后，这些路径却被创建或"
            f"修改了：{changed}。失败的 PUT 什么也不能留下：删掉临时文件{ZH_PUT}。",
        )
    for size in ("abc", "-3", "1.5", "5x", ""):
        line = f"PUT bad.bin {size}".rstrip()
        with Client(port, f"a client sending `{line}`", f"发送 `{line}` 的客户端") as c:
            c.send(line.encode() + b"\n", f"`{line}`")
            status, value = c.reply(f"`{line}` (a size that is not a decimal number)")
            check(
                status == "ERR",
                en=f"`{line}` was answered `OK {value}`: the size of a PUT is one or more "
                "decimal digits, so this command is malformed. Answer `ERR <message>` without "
                "reading any data (you cannot know how many bytes follow); you may then close "
                f"the connection {EN_PUT}.",
                zh=f"`{line}` 得到了 `OK {value}`：PUT 的大小必须是一个或多个十进制数字，这条命令"
                "格式不对。回答 `ERR <message>`，不要去读数据（你没法知道后面跟着多少字节）；"
                f"之后可以关闭这条连接{ZH_PUT}。",
            )
    with Client(port, "a client after the malformed PUTs", "格式错误的 PUT 之后的客户端") as c:
        c.ok("LIST", what="`LIST` of a new client after the malformed PUTs")
    changed = _changed(before, _tree(area))
    check(
        not changed,
        en=f"after the malformed PUT commands these paths were created or changed: {changed}. "
        f"A malformed PUT stores nothing {EN_PUT}.",
        zh=f"格式错误的 PUT 命令之后，这些路径却被创建或修改了：{changed}。格式错误的 PUT 什么"
        f"也不能留下{ZH_PUT}。",
    )
    check(server.alive(), en=f"the server itself ended {EN_FORK}", zh=f"服务器自己退出了{ZH_FORK}")


@pytest.mark.points(3)
def test_interrupted_put_leaves_no_partial_file(student, area):
    _make_served(area)
    served = area / "served"
    originals = set(os.listdir(served))
    server, port = _serve(student, served)
    data = _random_bytes(11)
    half = 3 * 1024 * 1024

    a = Client(port, "client A", "客户端 A")
    try:
        a.send(f"PUT up.bin {len(data)}\n".encode() + data[:half], "the first 3 MB of up.bin")

        def written() -> bool:  # the upload is being stored somewhere in the folder
            return any(
                e.name not in originals and e.is_file() and e.stat().st_size >= 1024 * 1024
                for e in os.scandir(served)
            )

        holds_within(written, 2.0)  # a server that keeps the upload in memory writes nothing: fine
        visible = sorted(set(os.listdir(served)) - originals)
        if "up.bin" in visible:
            size = (served / "up.bin").stat().st_size
            fail(
                en=f"while up.bin was still arriving ({half} of {len(data)} bytes sent) the "
                f"folder already had up.bin ({size} bytes): another client could download half "
                "a file, and a broken upload would leave it there. Write into a hidden temporary "
                "file (name starting with '.') in the same folder and os.replace() it onto "
                f"up.bin only when every byte is there {EN_PUT}.",
                zh=f"up.bin 还在传（{len(data)} 字节只发了 {half}），目录里就已经有 up.bin 了"
                f"（{size} 字节）：别的客户端可能下载到半个文件，上传中断时它还会留在那里。先写进"
                "同一目录下的隐藏临时文件（名字以 '.' 开头），等所有字节都到齐了再用 os.replace() "
                f"改名成 up.bin{ZH_PUT}。",
            )
    finally:
        a.close()  # client A gives up: a clean end of stream, 2 MB short

    b = Client(port, "client B", "客户端 B")
    b.send(b"PUT up2.bin 1000000\n" + data[:200_000], "the first 200 000 bytes of up2.bin")
    b.abort()  # client B gives up with a connection reset

    def clean() -> bool:
        return set(os.listdir(served)) == originals

    # Let the handlers of A and B finish (and clean up) before judging the folder.
    holds_within(lambda: not _live_children(server), TIMEOUT)
    if not holds_within(clean, 3.0):
        extra = {
            n: (served / n).stat().st_size
            for n in sorted(set(os.listdir(served)) - originals)
            if (served / n).exists()
        }
        fail(
            en=f"two uploads were broken off (up.bin after {half} of {len(data)} bytes, up2.bin "
            f"after 200000 of 1000000); 3 s later the folder still holds {extra} (name: bytes). "
            "When the connection ends before the announced byte count, delete the temporary "
            f"file and store nothing {EN_PUT}.",
            zh=f"两次上传中途断开了（up.bin 在 {len(data)} 字节中传了 {half}，up2.bin 在 1000000 "
            f"字节中传了 200000）；3 秒之后目录里还有 {extra}（名字: 字节数）。宣布的字节还没收完"
            f"连接就断了时，删掉临时文件，什么都不留下{ZH_PUT}。",
        )
    with Client(port, "client C", "客户端 C") as c:
        c.ok("PUT up.bin 5", b"fresh", what="a complete `PUT up.bin 5` after the broken ones")
        names = _names(c.ok("LIST", what="`LIST` after the uploads"))
    got = (served / "up.bin").read_bytes()[:20]
    check(
        got == b"fresh" and "up2.bin" not in names,
        en=f"after a complete upload of up.bin (b'fresh') LIST answered {names} and up.bin holds "
        f"{got!r} {EN_PUT}",
        zh=f"完整上传 up.bin（b'fresh'）之后，LIST 的回答是 {names}，up.bin 的内容是 {got!r}"
        f"{ZH_PUT}",
    )


@pytest.mark.points(3)
def test_slow_download_does_not_block_list(student, area):
    files = _make_served(area)
    _, port = _serve(student, area / "served")
    with Client(port, "client A", "客户端 A") as a:
        a.send(b"GET big.bin\n", "GET big.bin")
        status, size = a.reply("`GET big.bin`")
        check(
            (status, size) == ("OK", BIG_SIZE),
            en=f"`GET big.bin` was answered `{status} {size}`, expected `OK {BIG_SIZE}` {EN_GET}",
            zh=f"`GET big.bin` 的回答是 `{status} {size}`，应该是 `OK {BIG_SIZE}`{ZH_GET}",
        )
        head = a.payload(64 * 1024, "GET big.bin")
        # Client A now reads nothing more: the server's sendall() to A is stuck, A stays connected.
        with Client(port, "client B", "客户端 B") as b:
            names = _names(
                b.ok(
                    "LIST",
                    what="client B's `LIST` while client A holds a 5 MB download open",
                    hint=Msg(
                        "The server is serving one client at a time. Fork a child for each "
                        "accepted connection and let the parent go straight back to accept() "
                        f"{EN_FORK}.",
                        "服务器一次只服务一个客户端。每 accept 一个连接就 fork 一个子进程，父进程"
                        f"立刻回去 accept(){ZH_FORK}。",
                    ),
                )
            )
            check(
                "big.bin" in names,
                en=f"client B's LIST answered {names} {EN_LIST}",
                zh=f"客户端 B 的 LIST 回答了 {names}{ZH_LIST}",
            )
        rest = a.payload(BIG_SIZE - len(head), "the rest of big.bin, after client B was served")
        got = head + rest
        check(
            got == files["big.bin"],
            en=f"client A's download of big.bin, resumed after client B, gave {_describe(got)}; "
            f"the file has {_describe(files['big.bin'])} {EN_GET}",
            zh=f"客户端 A 在 B 之后继续下载 big.bin，得到 {_describe_zh(got)}；文件是 "
            f"{_describe_zh(files['big.bin'])}{ZH_GET}",
        )


@pytest.mark.points(2)
def test_each_client_has_its_own_process(student, area):
    _make_served(area)
    hold = area / "served" / HOLD_NAME
    with open(hold, "wb") as f:
        f.truncate(HOLD_SIZE)  # sparse: no disk, it reads as zeros
    server, port = _serve(student, area / "served")
    # The grader's readiness probe was one client already: let its handler end first.
    holds_within(lambda: not _live_children(server), TIMEOUT)
    with (
        Client(port, "client A", "客户端 A") as a,
        Client(port, "client B", "客户端 B") as b,
    ):
        a.ok("LIST", what="client A's `LIST`")
        b.ok(
            "LIST",
            what="client B's `LIST` while client A is still connected",
            hint=Msg(
                "The server is serving one client at a time: fork a child per connection "
                f"{EN_FORK}.",
                f"服务器一次只服务一个客户端：每个连接 fork 一个子进程{ZH_FORK}。",
            ),
        )

        # What the judge saw of the process tree: children of the server alive at once.
        def children_at_once() -> int:
            timeline = server.timeline()
            kids = [life for life in timeline.lives if life.ppid == server.pid]
            return timeline.most_at_once(kids)

        holds_within(lambda: children_at_once() >= 2, 2.0)
        seen = children_at_once()
        check(
            seen >= 2,
            en=f"with clients A and B connected and both answered, the judge saw at most {seen} "
            f"child process(es) of the server (pid {server.pid}) alive at once: fork one child "
            f"per accepted connection, and let that child serve it {EN_FORK}.",
            zh=f"客户端 A 和 B 都连着、也都得到了回答，评测程序却最多只看到服务器（pid "
            f"{server.pid}）同时有 {seen} 个子进程活着：每 accept 一个连接就 fork 一个子进程，"
            f"由这个子进程为它服务{ZH_FORK}。",
        )
        if not tcp_visible():  # no view of TCP sockets: the timeline is all we can see
            return
        family = [server.pid, *(p.pid for p in server.descendants())]

        def held_by(client_port: int) -> list[int]:
            """Which of the server's processes hold its end of the connection from client_port."""
            end = connection(port, client_port)
            return probe.holders(family, end.inode) if end else []

        # The parent closes its copy right after fork(): give it a moment on a loaded machine.
        holds_within(lambda: server.pid not in held_by(a.port) + held_by(b.port), 2.0)
        found_a, found_b = held_by(a.port), held_by(b.port)
        for label, found in (("A", found_a), ("B", found_b)):
            check(
                server.pid not in found,
                en=f"client {label}'s connection is still held by the server process itself "
                f"(pid {server.pid}), beside {sorted(set(found) - {server.pid}) or 'no child'}: "
                "the parent must close its copy of the connected socket right after fork() and "
                "leave the serving to the child (a child forked just for show, while the parent "
                f"serves, is not a process per client) {EN_FORK}.",
                zh=f"客户端 {label} 的连接还被服务器进程自己（pid {server.pid}）拿着，另外还有 "
                f"{sorted(set(found) - {server.pid}) or '没有子进程'}：fork() 之后父进程要立刻"
                "关闭自己那份连接套接字，把服务交给子进程（父进程自己服务、子进程只是摆个样子，"
                f"不算每个客户端一个进程）{ZH_FORK}。",
            )
            check(
                found,
                en=f"client {label}'s connection is held by no process under the server: the "
                "server must fork a child for each accepted connection and let the child serve "
                "it (a double fork hides the handler from the server, which can then neither "
                f"reap nor stop it) {EN_FORK}.",
                zh=f"服务器下面没有任何进程拿着客户端 {label} 的连接：服务器要为每个连接 fork "
                "一个子进程，由它来服务（两次 fork 会把处理进程藏起来，服务器既没法回收它，也没法"
                f"停掉它）{ZH_FORK}。",
            )
        shared = sorted(set(found_a) & set(found_b))
        check(
            not shared,
            en=f"pid {shared[0] if shared else '?'} holds the connections of both client A and "
            "client B: the child forked for B inherited A's socket, or one process serves both. "
            f"Each connection gets its own child, and the parent closes its copy {EN_FORK}.",
            zh=f"pid {shared[0] if shared else '?'} 同时拿着客户端 A 和 B 的连接：要么为 B fork "
            "的子进程继承了 A 的套接字，要么一个进程在服务两个客户端。每个连接有自己的子进程，"
            f"父进程要关闭自己那份{ZH_FORK}。",
        )
        for pid in found_a + found_b:
            row = probe.read(pid)
            check(
                row is not None and row.ppid == server.pid,
                en=f"pid {pid} serves a client but is not a child of the server (pid "
                f"{server.pid}): fork in the server itself, once per client {EN_FORK}.",
                zh=f"pid {pid} 在服务客户端，但它不是服务器（pid {server.pid}）的子进程："
                f"由服务器自己 fork，每个客户端一次{ZH_FORK}。",
            )
        _children_do_the_work(server, a, b, hold)


def _children_do_the_work(server: Running, a: Client, b: Client, hold: Path) -> None:
    """Clients A and B both download a large file and stop reading, so the process serving
    each one is stuck sending it. Meanwhile the server process itself must move no bytes
    (its own I/O counters, read by the judge) and hold no copy of the file: a child that only
    relays bytes between its client and a parent serving in threads shows up in both."""
    before = _io_moved(server.pid)
    for c in (a, b):
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, HOLD_RCVBUF)
        what = f"{c.name}'s `GET {HOLD_NAME}` (a {HOLD_SIZE // 2**20} MiB file)"
        what_zh = f"{c.name_zh}的 `GET {HOLD_NAME}`（一个 {HOLD_SIZE // 2**20} MiB 的文件）"
        c.send(f"GET {HOLD_NAME}\n".encode(), f"`GET {HOLD_NAME}`")
        status, size = c.reply(what)
        check(
            (status, size) == ("OK", HOLD_SIZE),
            en=f"{what} was answered `{status} {size}`, expected `OK {HOLD_SIZE}` {EN_GET}",
            zh=f"{what_zh}的回答是 `{status} {size}`，应该是 `OK {HOLD_SIZE}`{ZH_GET}",
        )
        head = c.payload(HOLD_READ, what)
        check(
            head == bytes(HOLD_READ),
            en=f"the first {HOLD_READ} bytes of {what} are not the file's (it holds only zero "
            f"bytes): {_describe(head)} {EN_GET}",
            zh=f"{what_zh}的前 {HOLD_READ} 个字节不是文件的内容（文件里全是零字节）："
            f"{_describe_zh(head)}{ZH_GET}",
        )
    # A and B now read nothing more: each download is held, the sender stuck in sendall().
    moved = _io_moved(server.pid)
    check(
        not _has_file(server.pid, hold),
        en=f"while clients A and B were downloading {HOLD_NAME}, the server process itself (pid "
        f"{server.pid}) had the file open: the parent is serving the downloads. The parent only "
        "accepts, forks and closes its copy of the connection; the child that holds the "
        "connection reads the commands, opens the file and sends it (a child that only passes "
        f"bytes on for a parent that serves is not a process per client) {EN_FORK}.",
        zh=f"客户端 A 和 B 下载 {HOLD_NAME} 的时候，服务器进程自己（pid {server.pid}）打开着这个"
        "文件：是父进程在处理下载。父进程只负责 accept、fork、关闭自己那份连接；拿着连接的子进程"
        "自己读命令、打开文件、发送文件（子进程只替在服务的父进程转发字节，不算每个客户端一个进程）"
        f"{ZH_FORK}。",
    )
    if before is None or moved is None:  # /proc/<pid>/io is not there (kernel without it)
        return
    moved -= before
    check(
        moved <= PARENT_IO_MAX,
        en=f"while clients A and B each downloaded {HOLD_READ // 1024} KiB of {HOLD_NAME}, the "
        f"server process itself (pid {server.pid}) read and wrote {moved} bytes (the kernel's "
        f"count in /proc/{server.pid}/io): the file's bytes went through the parent, and the "
        "children only passed them on. The parent only accepts, forks and closes its copy of "
        "the connection; the child that holds the connection reads the commands, opens the "
        f"file and sends it itself {EN_FORK}.",
        zh=f"客户端 A 和 B 各下载了 {HOLD_READ // 1024} KiB 的 {HOLD_NAME}，这期间服务器进程自己"
        f"（pid {server.pid}）读写了 {moved} 个字节（内核在 /proc/{server.pid}/io 里的计数）："
        "文件的字节经过了父进程，子进程只是转发。父进程只负责 accept、fork、关闭自己那份连接；"
        f"拿着连接的子进程自己读命令、打开文件、发送文件{ZH_FORK}。",
    )


@pytest.mark.points(3)
def test_fifty_clients_leave_no_zombies_or_fds(student, area):
    _make_served(area)
    server, port = _serve(student, area / "served")
    wait_until(
        lambda: not _live_children(server),
        TIMEOUT,
        "the child that served the grader's connection probe did not end",
    )
    baseline = server.open_fds()
    for i in range(50):
        with Client(port, f"client {i + 1} of 50", f"第 {i + 1} 个客户端（共 50 个）") as c:
            c.ok("LIST", what=f"`LIST` of client {i + 1} of 50")
            c.ok("QUIT", what=f"`QUIT` of client {i + 1} of 50")
    if not holds_within(lambda: not _live_children(server), TIMEOUT):
        live = _live_children(server)
        more = " …" if len(live) > 5 else ""
        fail(
            en=f"every client has said QUIT, yet {len(live)} child process(es) of the server are "
            f"still running ({probe.describe_all(live[:5])}{more}). After serving its client a "
            "child must end with os._exit(0): a child that returns into the accept loop becomes "
            f"a second server {EN_FORK}.",
            zh=f"每个客户端都发了 QUIT，服务器却还有 {len(live)} 个子进程在运行"
            f"（{probe.describe_all(live[:5])}{more}）。子进程服务完自己的客户端，必须用 "
            f"os._exit(0) 结束：回到 accept 循环的子进程就成了第二个服务器{ZH_FORK}。",
        )
    if not holds_within(lambda: not server.zombies(), 3.0):
        zombies = server.zombies()
        few = len(zombies) <= 5
        why = (
            "Only the last few are left: the server reaps now and then, e.g. only when a new "
            "client connects, or one child per SIGCHLD (signals merge: one SIGCHLD can stand for "
            "several children), so the last ones stay zombies for as long as nobody comes. "
            if few
            else "Nobody waits for the children that end. "
        )
        why_zh = (
            "只剩最后几个：服务器只是偶尔回收一下，比如只在有新客户端连进来时回收，或者每个 "
            "SIGCHLD 只回收一个子进程（信号会合并：一个 SIGCHLD 可能代表好几个子进程），于是只要"
            "没人再来，最后几个就一直是僵尸。"
            if few
            else "结束的子进程没有人等待（wait）。"
        )
        more = " …" if len(zombies) > 5 else ""
        fail(
            en=f"50 clients came and went, and 3 s later the server (pid {server.pid}) has "
            f"{len(zombies)} zombie child(ren): {probe.describe_all(zombies[:5])}{more}. "
            f"{why}Reap from a SIGCHLD handler that loops on os.waitpid(-1, os.WNOHANG) until "
            "it returns 0, or set signal.signal(signal.SIGCHLD, signal.SIG_IGN) "
            f"{EN_ZOMBIES}.",
            zh=f"50 个客户端来了又走，3 秒之后服务器（pid {server.pid}）还有 {len(zombies)} 个"
            f"僵尸子进程：{probe.describe_all(zombies[:5])}{more}。{why_zh}在 SIGCHLD 处理函数"
            "里循环调用 os.waitpid(-1, os.WNOHANG) 直到返回 0，或者设置 "
            f"signal.signal(signal.SIGCHLD, signal.SIG_IGN){ZH_ZOMBIES}。",
        )
    if not holds_within(lambda: len(server.open_fds()) <= len(baseline) + 2, 2.0):
        extra = sorted(set(server.open_fds()) - set(baseline))
        links = []
        for fd in extra[:4]:
            try:
                links.append(f"{fd} -> {os.readlink(f'/proc/{server.pid}/fd/{fd}')}")
            except OSError:
                links.append(str(fd))
        shown = ", ".join(links) + (" …" if len(extra) > 4 else "")
        fail(
            en=f"before the 50 clients the server had {len(baseline)} open file descriptors, "
            f"after them {len(server.open_fds())} ({shown}). After fork() the parent must close "
            f"its copy of the connected socket {EN_FORK}.",
            zh=f"50 个客户端之前服务器打开了 {len(baseline)} 个文件描述符，之后变成了 "
            f"{len(server.open_fds())} 个（{shown}）。fork() 之后父进程必须关闭自己那份连接套接字"
            f"{ZH_FORK}。",
        )
    _no_fall_through(server)


@pytest.mark.points(1)
def test_quit_closes_cleanly(student, area):
    _make_served(area)
    server, port = _serve(student, area / "served")
    Client(port, "a client that says nothing", "一个什么都不说的客户端").close()
    Client(port, "a client that resets", "一个重置连接的客户端").abort()
    with Client(port) as c:
        c.ok(
            "LIST",
            what="`LIST` after two clients left without a word",
            hint=Msg(
                "A client may connect and leave without any command: recv() returning b'' "
                f"ends that client's handler, never the server {EN_PROTOCOL}.",
                "客户端可能连上之后一条命令都不发就走了：recv() 返回 b'' 只结束这个客户端的处理，"
                f"绝不能让服务器退出{ZH_PROTOCOL}。",
            ),
        )
        status, value = c.request("QUIT")
        check(
            (status, value) == ("OK", b""),
            en=f"`QUIT` was answered `{status} {value!r}`, expected `OK 0` {EN_PROTOCOL}",
            zh=f"`QUIT` 的回答是 `{status} {value!r}`，应该是 `OK 0`{ZH_PROTOCOL}",
        )
        try:
            after = c.reader.read(1)
        except TimeoutError:
            fail(
                en=f"after answering QUIT with `OK 0` the server kept the connection open for "
                f"{TIMEOUT:g} s. The child closes it, and the parent must have closed its own "
                "copy right after fork(): a socket is only closed when every process has closed "
                f"it {EN_FORK}.",
                zh=f"服务器用 `OK 0` 回答了 QUIT 之后，连接又开了 {TIMEOUT:g} 秒都没关。子进程要"
                "关闭它，父进程也必须在 fork() 之后立刻关闭自己那份：只有所有进程都关了，套接字"
                f"才真正关闭{ZH_FORK}。",
            )
        check(
            after == b"",
            en=f"after `OK 0` to QUIT the server sent more bytes: {after!r} {EN_PROTOCOL}",
            zh=f"回答 QUIT 的 `OK 0` 之后，服务器又发了数据：{after!r}{ZH_PROTOCOL}",
        )
    if not holds_within(lambda: not _live_children(server), TIMEOUT):
        live = _live_children(server)
        fail(
            en=f"all three clients have left, yet {probe.describe_all(live)} still run under the "
            f"server: the child must end (os._exit) once its client leaves or says QUIT {EN_FORK}.",
            zh=f"三个客户端都走了，服务器下面却还有 {probe.describe_all(live)} 在运行：客户端离开"
            f"或发了 QUIT 之后，子进程就要结束（os._exit）{ZH_FORK}。",
        )
    check(
        server.alive(),
        en=f"the server itself ended; it must keep accepting clients {EN_FORK}",
        zh=f"服务器自己退出了；它应该一直接受新的客户端{ZH_FORK}",
    )
    _no_fall_through(server)


# == the student's client ======================================================================

_server_numbers = itertools.count(1)


class TrustedServer:
    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log

    def commands_and_notes(self) -> list[tuple[int, str]]:
        """(connection number, text) for every command line received and every <note>."""
        if not self.log.exists():
            return []
        rows = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [(n, text) for n, text in rows]

    def commands(self) -> list[tuple[int, str]]:
        """(connection number, command line) for every command received so far."""
        return [(n, text) for n, text in self.commands_and_notes() if not text.startswith("<")]

    def stalled(self) -> str | None:
        """What this server sent and then waited TIMEOUT seconds for the client to read, if any."""
        notes = [text for _, text in self.commands_and_notes() if text.startswith("<stalled> ")]
        return notes[0].removeprefix("<stalled> ") if notes else None


@contextlib.contextmanager
def trusted_server(folder: Path, style: str) -> Iterator[TrustedServer]:
    """Fork the spec's own server for ``folder``; ``style`` is "glued" or "dribble".

    "glued" sends each status line and its payload in one sendall; "dribble" sends the status
    line a byte at a time and the payload in pieces of odd sizes. Start one per student call:
    after every sandbox call the grader kills any other child of the test process.
    """
    log = folder.parent / f"trusted-{next(_server_numbers)}.log"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    pid = fork_between_samples()
    if pid == 0:  # pragma: no cover - the trusted server process, never returns into pytest
        code = 0
        try:
            _trusted_main(listener, folder, style, log)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    listener.close()
    try:
        pidfd: int | None = os.pidfd_open(pid)  # signals through it never hit a reused pid
    except (AttributeError, OSError):
        pidfd = None
    try:
        yield TrustedServer(port, log)
    finally:
        _end(pid, pidfd)


def _end(pid: int, pidfd: int | None) -> None:
    """Kill and reap the trusted server (the grader may have done so already)."""
    if pidfd is None:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        return
    try:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PIDFD, pidfd, os.WEXITED)
    finally:
        os.close(pidfd)


def _trusted_main(listener: socket.socket, folder: Path, style: str, log_path: Path) -> None:
    with open(log_path, "a", buffering=1) as log:
        for number in itertools.count(1):
            conn, _ = listener.accept()
            conn.settimeout(TIMEOUT)
            try:
                _trusted_session(
                    conn,
                    folder,
                    style,
                    lambda text, n=number: log.write(json.dumps([n, text]) + "\n"),
                )
            except (OSError, ValueError):
                pass
            finally:
                conn.close()


def _trusted_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and "/" not in name and ".." not in name


def _trusted_session(conn: socket.socket, folder: Path, style: str, note) -> None:
    reader = conn.makefile("rb")
    while True:
        raw = reader.readline(LINE_MAX + 2)
        if not raw.endswith(b"\n"):
            note(f"<end {raw[:60]!r}>")
            return
        line = raw[:-1].decode("utf-8", "replace")
        note(line)
        verb, _, rest = line.partition(" ")
        if verb == "LIST" and not rest:
            names = sorted(
                p.name for p in folder.iterdir() if p.is_file() and _trusted_name(p.name)
            )
            _answer(conn, style, note, "OK", "".join(n + "\n" for n in names).encode())
        elif verb == "GET" and rest == CUT_NAME:
            conn.sendall(f"OK {CUT_ANNOUNCED}\n".encode() + bytes(CUT_SENT))
            return  # the connection breaks in the middle of the file
        elif verb == "GET" and _trusted_name(rest) and (folder / rest).is_file():
            _answer(conn, style, note, "OK", (folder / rest).read_bytes())
        elif verb == "GET":
            _answer(conn, style, note, f"ERR no such file: {rest}")
        elif verb == "PUT":
            name, _, size = rest.rpartition(" ")
            if not size.isdigit():
                _answer(conn, style, note, "ERR PUT needs a name and a byte count")
                return
            data = reader.read(int(size))
            if len(data) < int(size):
                note(f"<end after {len(data)} of {size} bytes>")
                return
            if _trusted_name(name):
                (folder / name).write_bytes(data)
                _answer(conn, style, note, "OK", b"")
            else:
                _answer(conn, style, note, f"ERR refused name {name!r}")
        elif verb == "QUIT" and not rest:
            _answer(conn, style, note, "OK", b"")
            return
        else:
            _answer(conn, style, note, f"ERR unknown command {verb!r}")


_ODD_SIZES = (1, 3, 1000, 7, 65536, 2, 4093, 1)


def _answer(conn: socket.socket, style: str, note, status: str, payload: bytes = b"") -> None:
    header = (f"OK {len(payload)}" if status == "OK" else status).encode() + b"\n"
    if style == "glued":
        conn.sendall(header + payload)  # status line and data arrive together
        return
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    mine, client = conn.getsockname()[1], conn.getpeername()[1]

    def until_read(what: str) -> None:
        """The client has read what was sent: the next piece arrives in a later recv()."""
        state = _until_read(mine, client)
        if state == "stalled":
            note(f"<stalled> {what}")
        if state in ("stalled", "closed"):
            raise ConnectionAbortedError(f"the client did not read {what}")

    for i in range(len(header)):
        conn.sendall(header[i : i + 1])  # the status line trickles in, one byte per recv()
        until_read(f"byte {i + 1} of the status line {header!r}")
    offset = 0
    for step, size in enumerate(itertools.cycle(_ODD_SIZES)):
        if offset >= len(payload):
            break
        piece = payload[offset : offset + size]
        conn.sendall(piece)
        if step < 4:  # the first pieces of the payload arrive one by one, then full speed
            until_read(f"payload bytes {offset}..{offset + len(piece)} of {len(payload)}")
        offset += len(piece)


def _client_commands(server: TrustedServer) -> list[str]:
    return [text for _, text in server.commands()]


def _client_call(
    student, server: TrustedServer, function: str, *args: object, context: Msg, hint: Msg
) -> object:
    """Call a student client function; if it does not return, or ``server`` gave up waiting for
    it to read an answer, fail with context and a hint."""
    outcome = student.options(deadline=CALL_DEADLINE, label=context.en).run(function, *args)
    stalled = server.stalled()
    if stalled is not None:
        fail(
            en=f"{context.en}: the spec's server sent {stalled}, then waited {TIMEOUT:g} s and "
            "your client did not read it (it stayed unread in the client's socket; the server "
            "then gave up and closed the connection). After sending a command the client keeps "
            f"calling recv() until the whole answer is in.\n{hint.en}",
            zh=f"{context.text('zh')}：评测程序的服务器发送了 {stalled}，然后等了 {TIMEOUT:g} 秒，"
            "你的客户端都没有去读（数据一直躺在客户端的套接字里，服务器只好放弃并关闭了连接）。"
            f"发出命令之后，客户端要一直调用 recv()，直到整个回答都收齐。\n{hint.text('zh')}",
        )
    if outcome.returned:
        return outcome.value
    problem = outcome.as_problem().teaching
    fail(
        en=f"{context.en}: {problem.en}\n{hint.en}",
        zh=f"{context.text('zh')}：{problem.text('zh')}\n{hint.text('zh')}",
    )


CLIENT_FRAMING = Msg(
    "One recv() is not one message: read the status line up to \\n, keep any bytes after it, "
    f"then receive until exactly the announced count has arrived {EN_FRAMING}.",
    "一次 recv() 不等于一条消息：先读到 \\n 为止的状态行，后面多收到的字节留着，然后一直收，"
    f"直到正好收满宣布的字节数{ZH_FRAMING}。",
)


@pytest.mark.points(2)
def test_client_list(student, area):
    remote = area / "remote"
    remote.mkdir()
    for name in ("x.txt", "y.bin"):
        (remote / name).write_bytes(b"data\n")
    (remote / "sub").mkdir()
    with trusted_server(remote, "dribble") as ts:
        names = _client_call(
            student,
            ts,
            "client_list",
            ts.port,
            hint=CLIENT_FRAMING,
            context=Msg(
                f"client_list({ts.port}) (the status line trickling in byte by byte)",
                f"client_list({ts.port})（状态行一个字节一个字节地到达）",
            ),
        )
        commands = ts.commands()
    check(
        isinstance(names, list) and all(isinstance(n, str) for n in names),
        en=f"client_list returned {names!r}: return a list of str, one per name {EN_CLIENT}.",
        zh=f"client_list 返回了 {names!r}：应该返回 str 组成的 list，每个文件名一项{ZH_CLIENT}。",
    )
    check(
        sorted(names) == ["x.txt", "y.bin"],  # type: ignore[arg-type]
        en="the server answered `OK 12` and b'x.txt\\ny.bin\\n' (status line trickling in byte "
        f"by byte), and client_list returned {names!r}, expected ['x.txt', 'y.bin']. Read the "
        f"status line up to \\n, then exactly the announced number of bytes {EN_FRAMING}.",
        zh="服务器回答了 `OK 12` 和 b'x.txt\\ny.bin\\n'（状态行一个字节一个字节地到达），"
        f"client_list 却返回了 {names!r}，应该是 ['x.txt', 'y.bin']。先读到 \\n 为止的状态行，"
        f"再读正好宣布的字节数{ZH_FRAMING}。",
    )
    texts = [text for _, text in commands]
    connections = len({n for n, _ in commands})
    check(
        texts == ["LIST", "QUIT"] and connections == 1,
        en=f"the server received {texts} on {connections} connection(s); client_list sends "
        f"`LIST`, then `QUIT` (and reads its `OK 0`) on one connection {EN_CLIENT}.",
        zh=f"服务器在 {connections} 条连接上收到了 {texts}；client_list 应该在同一条连接上先发 "
        f"`LIST`，再发 `QUIT`（并读取它的 `OK 0`）{ZH_CLIENT}。",
    )
    empty = area / "empty-remote"
    empty.mkdir()
    with trusted_server(empty, "glued") as ts:
        names = _client_call(
            student,
            ts,
            "client_list",
            ts.port,
            hint=CLIENT_FRAMING,
            context=Msg(
                f"client_list({ts.port}) of an empty listing (`OK 0`)",
                f"client_list({ts.port})，列表为空（`OK 0`）",
            ),
        )
    check(
        names == [],
        en=f"for the answer `OK 0` (nothing to list) client_list returned {names!r}, expected [] "
        f"{EN_CLIENT}.",
        zh=f"对回答 `OK 0`（没有文件）client_list 返回了 {names!r}，应该是 []{ZH_CLIENT}。",
    )


@pytest.mark.points(3)
def test_client_get_is_byte_exact(student, area):
    remote = area / "remote"
    remote.mkdir()
    files = {"empty": b"", "small.bin": SMALL, "big.bin": _random_bytes(31)}
    for name, data in files.items():
        (remote / name).write_bytes(data)
    cases = (
        ("empty", "glued"),
        ("small.bin", "glued"),
        ("small.bin", "dribble"),
        ("big.bin", "dribble"),
    )
    for number, (name, style) in enumerate(cases):
        dest = area / f"dest{number}"
        dest.mkdir()
        how = (
            Msg("`OK <size>` and the bytes arrived in one piece", "`OK <size>` 和数据一起到达")
            if style == "glued"
            else Msg(
                "the status line arrived byte by byte and the bytes in pieces of odd sizes",
                "状态行一个字节一个字节地到达，数据分成大小不一的块到达",
            )
        )
        with trusted_server(remote, style) as ts:
            size = _client_call(
                student,
                ts,
                "client_get",
                ts.port,
                name,
                str(dest),
                context=Msg(
                    f"client_get of {name} ({how.en})", f"client_get 下载 {name}（{how.zh}）"
                ),
                hint=CLIENT_FRAMING,
            )
        expected = files[name]
        got = (dest / name).read_bytes() if (dest / name).is_file() else None
        diff = _first_difference(expected, got) if got is not None else NO_HINT
        check(
            got == expected,
            en=f"client_get of {name} ({how.en}) left "
            f"{'no file ' + name if got is None else _describe(got)} in the destination folder; "
            f"the server sent {_describe(expected)}{diff.en}. Write in binary mode. "
            f"{CLIENT_FRAMING.en}",
            zh=f"client_get 下载 {name}（{how.zh}）之后，目标目录里"
            f"{'没有 ' + name + ' 这个文件' if got is None else '的文件是 ' + _describe_zh(got)}；"
            f"服务器发的是 {_describe_zh(expected)}{diff.text('zh')}。用二进制模式写入。"
            f"{CLIENT_FRAMING.zh}",
        )
        check(
            size == len(expected),
            en=f"client_get of {name} returned {size!r}, expected {len(expected)} {EN_CLIENT}",
            zh=f"client_get 下载 {name} 返回了 {size!r}，应该是 {len(expected)}{ZH_CLIENT}",
        )
        left = sorted(os.listdir(dest))
        check(
            left == [name],
            en=f"after client_get of {name} the destination folder holds {left}: rename the "
            f"temporary file onto the real name when the download is complete {EN_CLIENT}.",
            zh=f"client_get 下载 {name} 之后，目标目录里有 {left}：下载完成时要把临时文件改名成"
            f"正式的名字{ZH_CLIENT}。",
        )


@pytest.mark.points(3)
def test_client_put_is_byte_exact(student, area):
    source = area / "source"
    source.mkdir()
    files = {"put-empty": b"", "put-small.bin": SMALL, "put-big.bin": _random_bytes(41)}
    for name, data in files.items():
        (source / name).write_bytes(data)
    hint = Msg(
        "Send the header line, then exactly the file's bytes (sendall), then read the status "
        f"line up to \\n {EN_FRAMING}.",
        "先发命令行，再用 sendall() 发送正好是文件内容的字节，然后读到 \\n 为止的状态行"
        f"{ZH_FRAMING}。",
    )
    for name, data in files.items():
        inbox = area / f"inbox-{name}"
        inbox.mkdir()
        with trusted_server(inbox, "dribble") as ts:
            size = _client_call(
                student,
                ts,
                "client_put",
                ts.port,
                str(source / name),
                context=Msg(
                    f"client_put of {name} ({len(data)} bytes; the `OK 0` trickling in)",
                    f"client_put 上传 {name}（{len(data)} 字节；`OK 0` 一个字节一个字节地到达）",
                ),
                hint=hint,
            )
            commands = _client_commands(ts)
        got = (inbox / name).read_bytes() if (inbox / name).is_file() else None
        check(
            commands[:1] == [f"PUT {name} {len(data)}"],
            en=f"for client_put of {source / name} the server received the command lines "
            f"{commands[:3]}; expected `PUT {name} {len(data)}` (the file's own name and its "
            f"size) {EN_CLIENT}.",
            zh=f"client_put 上传 {source / name} 时，服务器收到的命令行是 {commands[:3]}；应该是 "
            f"`PUT {name} {len(data)}`（文件自己的名字和大小）{ZH_CLIENT}。",
        )
        check(
            got == data,
            en=f"client_put of {name}: the file has {_describe(data)}; the server received "
            f"{'nothing' if got is None else _describe(got)}. Send the header line, then exactly "
            "the file's bytes (sendall), then wait for the server's `OK 0` before you return "
            f"{EN_FRAMING}.",
            zh=f"client_put 上传 {name}：文件是 {_describe_zh(data)}，服务器收到的是"
            f"{'空' if got is None else _describe_zh(got)}。先发命令行，再发正好是文件内容的字节"
            f"（sendall），等到服务器的 `OK 0` 再返回{ZH_FRAMING}。",
        )
        check(
            size == len(data),
            en=f"client_put of {name} returned {size!r}, expected {len(data)} {EN_CLIENT}",
            zh=f"client_put 上传 {name} 返回了 {size!r}，应该是 {len(data)}{ZH_CLIENT}",
        )
        check(
            commands[-1:] == ["QUIT"],
            en=f"client_put sent {commands}: end the session with `QUIT` and read its `OK 0` "
            f"{EN_CLIENT}.",
            zh=f"client_put 发送了 {commands}：会话最后要发 `QUIT`，并读取它的 `OK 0`{ZH_CLIENT}。",
        )


@pytest.mark.points(2)
def test_client_reports_errors_and_broken_downloads(student, area):
    remote = area / "remote"
    remote.mkdir()
    (remote / "here.txt").write_bytes(b"here\n")
    dest = area / "dest"
    dest.mkdir()
    with trusted_server(remote, "glued") as ts:
        outcome = student.options(
            deadline=CALL_DEADLINE, label=f"client_get({ts.port}, 'missing.txt', dest)"
        ).run("client_get", ts.port, "missing.txt", str(dest))
    check(
        not outcome.returned,
        en="the server answered `ERR no such file: missing.txt`, and client_get returned "
        f"{outcome.value!r}: raise TFTPError with the server's message {EN_CLIENT}.",
        zh="服务器回答了 `ERR no such file: missing.txt`，client_get 却返回了 "
        f"{outcome.value!r}：应该抛出带着服务器消息的 TFTPError{ZH_CLIENT}。",
    )
    if outcome.error is None:
        raise outcome.as_problem()
    error = outcome.error
    check(
        error.type == "TFTPError" and "no such file" in error.message,
        en=f"for the answer `ERR no such file: missing.txt` client_get raised {error.type}: "
        f"{error.message!r}; raise TFTPError carrying the server's message {EN_CLIENT}.",
        zh=f"对回答 `ERR no such file: missing.txt`，client_get 抛出的是 {error.type}："
        f"{error.message!r}；应该抛出带着服务器消息的 TFTPError{ZH_CLIENT}。",
    )
    left = sorted(os.listdir(dest))
    check(
        not left,
        en=f"after the ERR answer the destination folder holds {left}: create nothing when the "
        f"server says ERR {EN_CLIENT}.",
        zh=f"收到 ERR 之后，目标目录里却有 {left}：服务器回答 ERR 时什么文件都不要创建"
        f"{ZH_CLIENT}。",
    )
    with trusted_server(remote, "glued") as ts:
        outcome = student.options(
            deadline=CALL_DEADLINE, label=f"client_get({ts.port}, {CUT_NAME!r}, dest)"
        ).run("client_get", ts.port, CUT_NAME, str(dest))
    check(
        not outcome.timed_out,
        en=f"the server announced `OK {CUT_ANNOUNCED}`, sent {CUT_SENT} bytes and closed the "
        f"connection; client_get was still running {CALL_DEADLINE:g} s later. recv() returning "
        f"b'' means the other side has closed: stop and raise (ProtocolError) {EN_CLIENT}.",
        zh=f"服务器宣布了 `OK {CUT_ANNOUNCED}`，只发了 {CUT_SENT} 个字节就关闭了连接；"
        f"{CALL_DEADLINE:g} 秒之后 client_get 还在运行。recv() 返回 b'' 表示对方已经关闭："
        f"停下来，抛出 ProtocolError{ZH_CLIENT}。",
    )
    check(
        not outcome.returned,
        en=f"the server announced `OK {CUT_ANNOUNCED}` but closed the connection after "
        f"{CUT_SENT} bytes, and client_get returned {outcome.value!r}: an incomplete download "
        f"is an error; raise ProtocolError {EN_CLIENT}.",
        zh=f"服务器宣布了 `OK {CUT_ANNOUNCED}`，却只发了 {CUT_SENT} 个字节就关闭了连接，"
        f"client_get 返回了 {outcome.value!r}：下载不完整是错误，应该抛出 ProtocolError"
        f"{ZH_CLIENT}。",
    )
    if outcome.error is None:
        raise outcome.as_problem()
    left = sorted(os.listdir(dest))
    check(
        not left,
        en=f"after a download that broke off at {CUT_SENT} of {CUT_ANNOUNCED} bytes the "
        f"destination folder holds {left}: download into a temporary file and delete it when "
        f"the transfer fails {EN_CLIENT}.",
        zh=f"下载在 {CUT_ANNOUNCED} 字节中收到 {CUT_SENT} 时断开了，目标目录里却留下了 {left}："
        f"先下载到临时文件，传输失败时删掉它{ZH_CLIENT}。",
    )
