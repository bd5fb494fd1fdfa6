"""Spec for exercise 23 — a tftp-style file server. Run it with `grader check tftp`.

Two halves. The student's *server* runs in a sandbox (``student.start("serve", ...)``) and
this file talks to it with its own trusted client (:class:`Client`). The student's *client*
functions run in a sandbox (``student.call("client_get", ...)``) against a trusted server
that this file forks (:func:`trusted_server`). Files are compared by size and sha256 here, in
the test process, never on the student's word.

Every assertion carries its own teaching message; pytest's assertion rewriting is off for this
file (PYTEST_DONT_REWRITE) so that no machine-generated diff is appended to those messages.
"""

from __future__ import annotations

import contextlib
import functools
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

from grader import free_port, probe, wait_until
from grader.net import connect, connection, delivered, tcp_sockets
from grader.polling import WaitTimeout, holds_within

TIMEOUT = 5.0  # seconds any socket of this spec waits for the other side
CALL_DEADLINE = 8.0  # seconds one call of a student client function may take
LINE_MAX = 1024
BIG_SIZE = 5 * 1024 * 1024
SMALL = "héllo, tftp!\n".encode() + bytes(range(256)) + b"\r\n\x00 the end"
CUT_NAME = "cut.bin"  # the trusted server breaks the connection in the middle of this file
CUT_ANNOUNCED, CUT_SENT = 100_000, 1_000

README_FRAMING = "README: 'Protocol' and 'Framing'"


def _random_bytes(seed: int, size: int = BIG_SIZE) -> bytes:
    return random.Random(seed).randbytes(size)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _describe(data: bytes) -> str:
    return f"{len(data)} bytes, sha256 {_sha(data)}…"


def _first_difference(expected: bytes, got: bytes) -> str:
    for index, (a, b) in enumerate(zip(expected, got, strict=False)):
        if a != b:
            return f"; they first differ at byte {index}"
    return "; one is a prefix of the other" if expected != got else ""


@pytest.fixture
def area() -> Iterator[Path]:
    """A scratch folder for this test, in the grader's per-test working folder.

    Not pytest's ``tmp_path``: every forked test process creates a new numbered folder under
    /tmp/pytest-of-<user> that is never cleaned up, and these tests write 5 MB files.
    """
    path = Path(tempfile.mkdtemp(prefix="tftp-", dir=os.getcwd())).resolve()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _make_served(area: Path) -> dict[str, bytes]:
    """area/served (what the server serves) and area/outside (what it must never touch)."""
    served = area / "served"
    served.mkdir()
    files = {"a.txt": SMALL, "empty": b"", "big.bin": _random_bytes(23)}
    for name, data in files.items():
        (served / name).write_bytes(data)
    (served / "sub").mkdir()
    (served / "sub" / "inner.txt").write_bytes(b"inner\n")
    (served / "notes.txt").mkdir()  # a folder with a file-like name
    (served / ".hidden").write_bytes(b"hidden\n")
    (area / "outside").mkdir()
    (area / "outside" / "secret.txt").write_bytes(b"TOP SECRET\n")
    return files


def _serve(student, folder: Path):
    port = free_port()
    server = student.start("serve", str(folder), port)
    server.wait_listening(port)
    return server, port


# -- the spec's own client ---------------------------------------------------------------------


class Client:
    """A trusted client: it reads the stream through a buffer, never one recv per message."""

    def __init__(self, port: int, name: str = "the client") -> None:
        self.name = name
        try:
            self.sock = connect(port, TIMEOUT)
        except OSError as exc:
            raise AssertionError(f"{name} could not connect to 127.0.0.1:{port}: {exc}") from None
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
            raise AssertionError(
                f"{self.name} could not send {what} ({exc}): the server closed the connection "
                "early. It must keep answering commands until QUIT (README: 'Protocol')."
            ) from None

    def reply(self, what: str, hint: str = "") -> tuple[str, int | str]:
        """The next status line: ("OK", byte count) or ("ERR", message)."""
        hint = f" {hint}" if hint else ""
        try:
            line = self.reader.readline(LINE_MAX + 2)
        except TimeoutError:
            raise AssertionError(f"No answer within {TIMEOUT:g} s to {what}.{hint}") from None
        except OSError as exc:
            raise AssertionError(
                f"{self.name}: the connection broke waiting for the answer to {what} ({exc}).{hint}"
            ) from None
        if not line:
            raise AssertionError(
                f"the server closed the connection instead of answering {what}. A failed command "
                f"is answered with `ERR <message>` and the connection stays open.{hint}"
            )
        if not line.endswith(b"\n"):
            raise AssertionError(
                f"the answer to {what} began with {line[:60]!r} and no newline followed: a status "
                f"line ends with \\n ({README_FRAMING}).{hint}"
            )
        text = line[:-1].decode("utf-8", "replace")
        status, _, rest = text.partition(" ")
        if status == "OK" and rest.isascii() and rest.isdigit():
            return "OK", int(rest)
        if status == "ERR":
            return "ERR", rest
        raise AssertionError(
            f"the answer to {what} was {line[:80]!r}: every answer starts with a line "
            "`OK <byte count>` or `ERR <message>`. If this looks like file data, the previous "
            f"payload was longer than the byte count announced before it ({README_FRAMING}).{hint}"
        )

    def payload(self, size: int, what: str) -> bytes:
        try:
            data = self.reader.read(size)
        except TimeoutError:
            raise AssertionError(
                f"the server announced `OK {size}` for {what}, then the bytes stopped coming "
                f"for {TIMEOUT:g} s: send exactly the announced number of bytes "
                f"({README_FRAMING})."
            ) from None
        if len(data) < size:
            raise AssertionError(
                f"the server announced `OK {size}` for {what} but closed the connection after "
                f"{len(data)} bytes ({README_FRAMING})."
            )
        return data

    def request(
        self, command: str, body: bytes = b"", what: str = "", hint: str = ""
    ) -> tuple[str, object]:
        """Send one command (and its data); ("OK", payload bytes) or ("ERR", message)."""
        what = what or f"`{command}`"
        self.send(command.encode() + b"\n" + body, what)
        status, value = self.reply(what, hint)
        if status == "OK":
            assert isinstance(value, int)
            return "OK", self.payload(value, what)
        return "ERR", value

    def ok(self, command: str, body: bytes = b"", what: str = "", hint: str = "") -> bytes:
        what = what or f"`{command}`"
        status, value = self.request(command, body, what, hint)
        if status != "OK":
            raise AssertionError(
                f"{what} was answered `ERR {value}`; expected `OK <byte count>`."
                + (f" {hint}" if hint else "")
            )
        assert isinstance(value, bytes)
        return value


def _names(payload: bytes) -> list[str]:
    if payload and not payload.endswith(b"\n"):
        raise AssertionError(
            f"the LIST payload ends with {payload[-30:]!r}: each name is followed by \\n "
            "(README: 'LIST')."
        )
    return payload.decode("utf-8", "replace").split("\n")[:-1]


def _live_children(server) -> list[probe.Proc]:
    return [p for p in server.children() if not p.zombie]


def _tree(root: Path) -> dict[str, str]:
    """Every folder and file under root, with a hash of each file's content."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            found[os.path.relpath(os.path.join(folder, d), root) + "/"] = "folder"
        for f in files:
            path = os.path.join(folder, f)
            with open(path, "rb") as fh:
                found[os.path.relpath(path, root)] = _sha(fh.read())
    return found


@functools.cache
def _proc_net() -> bool:
    """True where the kernel's TCP table can be read (Linux); asked once, it is parsed whole."""
    return tcp_sockets() is not None


def _until_read(sender: int, receiver: int) -> str:
    """Wait until the peer has read every byte sent so far on the loopback connection from port
    ``sender`` to port ``receiver``, as the kernel sees it (nothing unacknowledged, nothing
    unread): then the next piece sent can only arrive in a later recv() of the peer.

    Returns "read"; "closed" when the connection is no longer established; "stalled" when the
    bytes stayed unread for TIMEOUT seconds; "unproven" at once without /proc/net (macOS),
    where the pieces are sent on without proof that they arrive separately.
    """
    if not _proc_net():
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
    assert not folders, (
        f"LIST showed {folders}: {' and '.join(folders)} "
        f"{'is a folder' if len(folders) == 1 else 'are folders'}, "
        "not regular files. os.listdir() returns every entry; keep only the names for which "
        "os.path.isfile(os.path.join(folder, name)) is true (README: 'LIST')."
    )
    assert ".hidden" not in names, (
        "LIST showed .hidden: names that start with a dot are hidden (GET refuses them, and "
        "your upload's temporary file is one), so LIST leaves them out (README: 'Names')."
    )
    expected = sorted(files)
    assert sorted(names) == expected, (
        f"LIST answered {names}; the folder's regular files are {expected} "
        "(each listed once, each followed by \\n) (README: 'LIST')."
    )
    for name in [*files, ".hidden"]:
        (served / name).unlink()
    with Client(port) as c:
        c.send(b"LIST\n", "LIST")
        status, size = c.reply("`LIST` in a folder with no regular files")
        assert (status, size) == ("OK", 0), (
            f"LIST in a folder holding only sub-folders was answered `{status} {size}`; "
            "with nothing to list the answer is `OK 0` and no payload (README: 'LIST')."
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
            assert data == expected, (
                f"GET {name}: the file has {_describe(expected)}; the server sent "
                f"{_describe(data)}{_first_difference(expected, data)}. Open the file in binary "
                "mode ('rb'), announce its size with `OK <size>`, then send exactly that many "
                "bytes with sendall() (README: 'GET')."
            )
        names = _names(c.ok("LIST", what="`LIST` after three downloads on the same connection"))
        assert "big.bin" in names, f"LIST after the downloads answered {names}"


@pytest.mark.points(3)
def test_put_is_byte_exact(student, area):
    _make_served(area)
    served = area / "served"
    before = set(os.listdir(served))
    uploads = {"up-empty": b"", "up-small.bin": SMALL, "up-big.bin": _random_bytes(7)}
    _, port = _serve(student, served)
    with Client(port) as c:
        for name, data in uploads.items():
            # The command line and the data go out in ONE sendall: a stream has no boundaries.
            c.ok(
                f"PUT {name} {len(data)}",
                data,
                what=f"`PUT {name} {len(data)}` followed by its {len(data)} bytes in the same send",
                hint="The server must read the command line up to \\n, then exactly the announced "
                f"number of bytes, however they are split across recv() calls ({README_FRAMING}).",
            )
            stored = served / name
            assert stored.is_file(), (
                f"PUT {name} was answered OK, but the folder has no file {name}: answer "
                "`OK 0` only after the file is complete under its name (README: 'PUT')."
            )
            got = stored.read_bytes()
            assert got == data, (
                f"PUT {name}: the client sent {_describe(data)}; the server stored "
                f"{_describe(got)}{_first_difference(data, got)}. Read exactly the announced "
                "number of bytes (several recv() calls) and write them in binary mode "
                "(README: 'PUT')."
            )
        names = _names(c.ok("LIST", what="`LIST` after the uploads"))
        missing = sorted(set(uploads) - set(names))
        assert not missing, f"after the uploads LIST answered {names}: {missing} missing"
    leftovers = sorted(set(os.listdir(served)) - before - set(uploads))
    assert not leftovers, (
        f"after three complete uploads the folder also holds {leftovers}: a temporary file must be "
        "renamed onto the real name (os.replace) when the upload is complete (README: 'PUT')."
    )


def _send_in_pieces(c: Client, port: int, pieces: tuple[bytes, ...], what: str, hint: str) -> None:
    """Send ``pieces`` one at a time; each is read by the server before the next one is sent."""
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for number, piece in enumerate(pieces[:-1], 1):
        c.send(piece, what)
        state = _until_read(c.port, port)
        if state == "closed":
            raise AssertionError(
                f"the server closed the connection after receiving {b''.join(pieces[:number])!r}, "
                f"the start of {what}: part of a command is not an error. {hint}"
            )
        if state == "stalled":
            raise AssertionError(
                f"the server did not read {piece!r} (piece {number} of {what}) within "
                f"{TIMEOUT:g} s: it sat unread in the server's socket. Go on calling recv() while "
                f"the command line is incomplete. {hint}"
            )
    c.send(pieces[-1], what)


@pytest.mark.points(2)
def test_server_reads_a_stream_not_messages(student, area):
    _make_served(area)
    served = area / "served"
    _, port = _serve(student, served)
    hint = (
        "One recv() can return part of a command, or a command glued to the bytes that follow "
        "it (粘包). Keep what you received in a buffer and cut lines and counted payloads out "
        f"of it ({README_FRAMING})."
    )
    with Client(port) as c:
        _send_in_pieces(c, port, (b"LI", b"S", b"T\n"), "`LIST` in three pieces", hint)
        status, size = c.reply("`LIST` sent in three pieces (b'LI', b'S', b'T\\n')", hint)
        assert status == "OK", (
            f"`LIST` sent in three pieces (b'LI', b'S', b'T\\n') was answered `ERR {size}`. {hint}"
        )
        c.payload(int(size), "LIST")

        c.send(b"GET a.txt\nLIST\n", "two commands in one send")
        what = "`GET a.txt` sent together with `LIST` in one send"
        status, size = c.reply(what, hint)
        data = c.payload(int(size), what) if status == "OK" else b""
        assert status == "OK" and data == SMALL, (
            f"{what} was answered `{status} {size}` with {_describe(data)}; expected "
            f"`OK {len(SMALL)}` and a.txt's bytes. {hint}"
        )
        status, size = c.reply("`LIST` (the second command of that same send)", hint)
        assert status == "OK", f"the LIST glued after `GET a.txt` was answered `ERR {size}`. {hint}"
        names = _names(c.payload(int(size), "LIST"))
        assert "a.txt" in names, f"the LIST glued after `GET a.txt` answered {names}"

        what = "`PUT split.bin 10` + 10 bytes, sent as b'PUT sp', b'lit.bin 10\\n01234', b'56789'"
        _send_in_pieces(c, port, (b"PUT sp", b"lit.bin 10\n01234", b"56789"), what, hint)
        status, value = c.reply(what, hint)
        assert status == "OK", f"{what} was answered `ERR {value}`. {hint}"
        c.payload(int(value), what)
        stored = (served / "split.bin").read_bytes() if (served / "split.bin").is_file() else None
        assert stored == b"0123456789", (
            f"after {what} the folder holds split.bin = {stored!r}, expected b'0123456789'. {hint}"
        )


@pytest.mark.points(2)
def test_get_missing_file_is_an_error_and_the_connection_stays_usable(student, area):
    _make_served(area)
    _, port = _serve(student, area / "served")
    keep_open = (
        "After an error the server answers the next command on the same connection: "
        "catch the error in the handler, send `ERR <message>` and go on reading commands "
        "(README: 'Errors')."
    )
    with Client(port) as c:
        for name, why in (
            ("missing.txt", "there is no such file"),
            ("sub", "sub is a folder"),
            ("notes.txt", "notes.txt is a folder"),
        ):
            status, value = c.request(f"GET {name}", hint=keep_open)
            assert status == "ERR", (
                f"`GET {name}` was answered OK with {_describe(value)}, but {why}: answer "
                "`ERR <message>` (README: 'Errors')."
            )
            assert str(value).strip(), f"`GET {name}` was answered `ERR` with no message; say why."
        data = c.ok(
            "GET a.txt",
            what="`GET a.txt` after three ERR answers on the same connection",
            hint=keep_open,
        )
        assert data == SMALL, (
            f"GET a.txt after the errors sent {_describe(data)}, expected {_describe(SMALL)}"
        )
        names = _names(c.ok("LIST", what="`LIST` after the errors", hint=keep_open))
        assert "a.txt" in names, f"LIST after the errors answered {names}"


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
            assert status == "ERR", (
                f"`GET {name}` was answered OK with {_describe(value)} ({value[:24]!r}…): the "
                "server read a file it must not show. Refuse any name that contains '/' or '..' "
                "or starts with '.', before touching the disk; os.path.join(folder, name) "
                "happily leaves the folder (README: 'Names')."
            )
        evil = ("../evil.txt", str(area / "evil-absolute.txt"), ".evil", "sub/evil.txt")
        for name in evil:
            status, value = c.request(f"PUT {name} 5", b"EVIL!")
            assert status == "ERR", (
                f"`PUT {name} 5` was answered OK: the server wrote a file where it must not. "
                "Refuse names with '/' or '..' or a leading '.' (README: 'Names')."
            )
            c.ok(
                "LIST",
                what=f"`LIST` right after the refused `PUT {name} 5` and its 5 bytes",
                hint="A refused PUT still has its bytes on the way: read the announced number of "
                "bytes and throw them away, or they are taken for the next command "
                "(README: 'PUT').",
            )
    after = _tree(area)
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert not changed, (
        f"after the refused commands these paths were created or changed: {changed}. Nothing "
        "may be written for a refused name, inside the folder or outside it (README: 'Names')."
    )


@pytest.mark.points(3)
def test_interrupted_put_leaves_no_partial_file(student, area):
    _make_served(area)
    served = area / "served"
    originals = set(os.listdir(served))
    server, port = _serve(student, served)
    data = _random_bytes(11)
    half = 3 * 1024 * 1024

    a = Client(port, "client A")
    try:
        a.send(f"PUT up.bin {len(data)}\n".encode() + data[:half], "the first 3 MB of up.bin")

        def written() -> bool:  # the upload is being stored somewhere in the folder
            return any(
                e.name not in originals and e.is_file() and e.stat().st_size >= 1024 * 1024
                for e in os.scandir(served)
            )

        holds_within(written, 2.0)  # a server that keeps the upload in memory writes nothing: fine
        visible = sorted(set(os.listdir(served)) - originals)
        assert "up.bin" not in visible, (
            f"while up.bin was still arriving ({half} of {len(data)} bytes sent) the folder "
            f"already had up.bin ({(served / 'up.bin').stat().st_size} bytes): another client "
            "could download half a file, and a broken upload would leave it there. Write into a "
            "hidden temporary file (name starting with '.') in the same folder and os.replace() "
            "it onto up.bin only when every byte is there (README: 'PUT')."
        )
    finally:
        a.close()  # client A gives up: a clean end of stream, 2 MB short

    b = Client(port, "client B")
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
        raise AssertionError(
            f"two uploads were broken off (up.bin after {half} of {len(data)} bytes, up2.bin after "
            f"200000 of 1000000); 3 s later the folder still holds {extra} (name: bytes). When the "
            "connection ends before the announced byte count, delete the temporary file and store "
            "nothing (README: 'PUT')."
        )
    with Client(port, "client C") as c:
        c.ok("PUT up.bin 5", b"fresh", what="a complete `PUT up.bin 5` after the broken ones")
        names = _names(c.ok("LIST", what="`LIST` after the uploads"))
    assert (served / "up.bin").read_bytes() == b"fresh" and "up2.bin" not in names, (
        f"after a complete upload of up.bin (b'fresh') LIST answered {names} and up.bin holds "
        f"{(served / 'up.bin').read_bytes()[:20]!r}"
    )


@pytest.mark.points(3)
def test_slow_download_does_not_block_list(student, area):
    files = _make_served(area)
    _, port = _serve(student, area / "served")
    with Client(port, "client A") as a:
        a.send(b"GET big.bin\n", "GET big.bin")
        status, size = a.reply("`GET big.bin`")
        assert (status, size) == ("OK", BIG_SIZE), f"`GET big.bin` was answered `{status} {size}`"
        head = a.payload(64 * 1024, "GET big.bin")
        # Client A now reads nothing more: the server's sendall() to A is stuck, A stays connected.
        with Client(port, "client B") as b:
            names = _names(
                b.ok(
                    "LIST",
                    what="client B's `LIST` while client A holds a 5 MB download open",
                    hint="The server is serving one client at a time. Fork a child for each "
                    "accepted connection and let the parent go straight back to accept() "
                    "(README: 'One process per client').",
                )
            )
            assert "big.bin" in names, f"client B's LIST answered {names}"
        rest = a.payload(BIG_SIZE - len(head), "the rest of big.bin, after client B was served")
        got = head + rest
        assert got == files["big.bin"], (
            f"client A's download of big.bin, resumed after client B, gave {_describe(got)}; "
            f"the file has {_describe(files['big.bin'])}"
        )


@pytest.mark.points(2)
def test_each_client_has_its_own_process(student, area):
    _make_served(area)
    server, port = _serve(student, area / "served")
    with Client(port, "client A") as a, Client(port, "client B") as b:
        a.ok("LIST", what="client A's `LIST`")
        b.ok(
            "LIST",
            what="client B's `LIST` while client A is still connected",
            hint="The server is serving one client at a time: fork a child per connection "
            "(README: 'One process per client').",
        )
        family = [server.pid, *(p.pid for p in server.descendants())]
        if not _proc_net():  # no /proc/net/tcp: count the children instead
            live = _live_children(server)
            assert len(live) >= 2, (
                f"with two clients connected the server (pid {server.pid}) has {len(live)} live "
                "child process(es): fork one child per accepted connection "
                "(README: 'One process per client')."
            )
            return

        def held_by(client_port: int) -> list[int]:
            """Which of the server's processes hold its end of the connection from client_port."""
            end = connection(port, client_port)
            return probe.holders(family, end.inode) if end else []

        found_a, found_b = held_by(a.port), held_by(b.port)
        handlers_a = [pid for pid in found_a if pid != server.pid]
        handlers_b = [pid for pid in found_b if pid != server.pid]
        for label, handlers, found in (("A", handlers_a, found_a), ("B", handlers_b, found_b)):
            assert handlers, (
                f"client {label}'s connection is held only by "
                + (
                    f"the server process itself (pid {server.pid})"
                    if found
                    else "no process under the server"
                )
                + ": "
                "the server must fork a child for each accepted connection and let the child serve "
                "it (a double fork hides the handler from the server, which can then neither reap "
                "nor stop it) (README: 'One process per client')."
            )
        handlers = sorted(set(handlers_a) | set(handlers_b))
        assert len(handlers) >= 2, (
            f"clients A and B are both served by pid {handlers[0]}: each accepted connection gets "
            "its own new child process (README: 'One process per client')."
        )
        shared = sorted(set(handlers_a) & set(handlers_b))
        assert not shared, (
            f"pid {shared[0]} holds the connections of both client A and client B: the child "
            "forked for B inherited A's socket, because the parent had not closed its copy. "
            "Right after fork() the parent closes the connected socket "
            "(README: 'One process per client')."
        )
        for pid in handlers_a + handlers_b:
            row = probe.read(pid)
            assert row is not None and row.ppid == server.pid, (
                f"pid {pid} serves a client but is not a child of the server (pid {server.pid}): "
                "fork in the server itself, once per client (README: 'One process per client')."
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
        with Client(port, f"client {i + 1} of 50") as c:
            c.ok("LIST", what=f"`LIST` of client {i + 1} of 50")
            c.ok("QUIT", what=f"`QUIT` of client {i + 1} of 50")
    if not holds_within(lambda: not _live_children(server), TIMEOUT):
        live = _live_children(server)
        raise AssertionError(
            f"every client has said QUIT, yet {len(live)} child process(es) of the server are "
            f"still running ({probe.describe_all(live[:5])}{' …' if len(live) > 5 else ''}). "
            "After serving its client a child must end with os._exit(0): a child that returns "
            "into the accept loop becomes a second server (README: 'One process per client')."
        )
    if not holds_within(lambda: not server.zombies(), 3.0):
        zombies = server.zombies()
        why = (
            "Only the last few are left: the server reaps now and then, e.g. only when a new "
            "client connects, or one child per SIGCHLD (signals merge: one SIGCHLD can stand for "
            "several children), so the last ones stay zombies for as long as nobody comes. "
            if len(zombies) <= 5
            else "Nobody waits for the children that end. "
        )
        raise AssertionError(
            f"50 clients came and went, and 3 s later the server (pid {server.pid}) has "
            f"{len(zombies)} zombie child(ren): {probe.describe_all(zombies[:5])}"
            f"{' …' if len(zombies) > 5 else ''}. {why}Reap from a SIGCHLD handler that loops on "
            "os.waitpid(-1, os.WNOHANG) until it returns 0, or set "
            "signal.signal(signal.SIGCHLD, signal.SIG_IGN) (README: 'Zombies')."
        )
    if not holds_within(lambda: len(server.open_fds()) <= len(baseline) + 2, 2.0):
        extra = sorted(set(server.open_fds()) - set(baseline))
        links = []
        for fd in extra[:4]:
            try:
                links.append(f"{fd} -> {os.readlink(f'/proc/{server.pid}/fd/{fd}')}")
            except OSError:
                links.append(str(fd))
        raise AssertionError(
            f"before the 50 clients the server had {len(baseline)} open file descriptors, after "
            f"them {len(server.open_fds())} ({', '.join(links)}{' …' if len(extra) > 4 else ''}). "
            "After fork() the parent must close its copy of the connected socket "
            "(README: 'One process per client')."
        )


@pytest.mark.points(1)
def test_quit_closes_cleanly(student, area):
    _make_served(area)
    server, port = _serve(student, area / "served")
    Client(port, "a client that says nothing").close()
    Client(port, "a client that resets").abort()
    with Client(port) as c:
        c.ok(
            "LIST",
            what="`LIST` after two clients left without a word",
            hint="A client may connect and leave without any command: recv() returning b'' "
            "ends that client's handler, never the server (README: 'Protocol').",
        )
        status, value = c.request("QUIT")
        assert (status, value) == ("OK", b""), (
            f"`QUIT` was answered `{status} {value!r}`, expected `OK 0`"
        )
        try:
            after = c.reader.read(1)
        except TimeoutError:
            raise AssertionError(
                f"after answering QUIT with `OK 0` the server kept the connection open for "
                f"{TIMEOUT:g} s. The child closes it, and the parent must have closed its own copy "
                "right after fork(): a socket is only closed when every process has closed it "
                "(README: 'One process per client')."
            ) from None
        assert after == b"", f"after `OK 0` to QUIT the server sent more bytes: {after!r}"
    if not holds_within(lambda: not _live_children(server), TIMEOUT):
        live = _live_children(server)
        raise AssertionError(
            f"all three clients have left, yet {probe.describe_all(live)} still run under the "
            "server: the child must end (os._exit) once its client leaves or says QUIT "
            "(README: 'One process per client')."
        )
    assert server.alive(), "the server itself ended; it must keep accepting clients"


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
    pid = os.fork()
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
    student, server: TrustedServer, function: str, *args: object, context: str, hint: str
) -> object:
    """Call a student client function; if it does not return, or ``server`` gave up waiting for
    it to read an answer, fail with context and a hint."""
    outcome = student.options(deadline=CALL_DEADLINE).run(function, *args)
    stalled = server.stalled()
    if stalled is not None:
        raise AssertionError(
            f"{context}: the spec's server sent {stalled}, then waited {TIMEOUT:g} s and your "
            "client did not read it (it stayed unread in the client's socket; the server then "
            "gave up and closed the connection). After sending a command the client keeps "
            f"calling recv() until the whole answer is in.\n{hint}"
        )
    if outcome.returned:
        return outcome.value
    problem = outcome.as_problem()
    raise type(problem)(f"{context}: {problem}\n{hint}")


CLIENT_FRAMING = (
    "One recv() is not one message: read the status line up to \\n, keep any bytes "
    "after it, then receive until exactly the announced count has arrived "
    f"({README_FRAMING})."
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
            context="client_list (the status line trickling in byte by byte)",
        )
        commands = ts.commands()
    assert isinstance(names, list) and all(isinstance(n, str) for n in names), (
        f"client_list returned {names!r}: return a list of str, one per name (README: 'Client')."
    )
    assert sorted(names) == ["x.txt", "y.bin"], (
        f"the server answered `OK 12` and b'x.txt\\ny.bin\\n' (status line trickling in byte by "
        f"byte), and client_list returned {names!r}, expected ['x.txt', 'y.bin']. Read the status "
        f"line up to \\n, then exactly the announced number of bytes ({README_FRAMING})."
    )
    assert [text for _, text in commands] == ["LIST", "QUIT"] and {n for n, _ in commands} == {1}, (
        f"the server received {[text for _, text in commands]} on "
        f"{len({n for n, _ in commands})} connection(s); client_list sends `LIST`, then `QUIT` "
        "(and reads its `OK 0`) on one connection (README: 'Client')."
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
            context="client_list of an empty listing (`OK 0`)",
        )
    assert names == [], (
        f"for the answer `OK 0` (nothing to list) client_list returned {names!r}, expected [] "
        "(README: 'Client')."
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
            "`OK <size>` and the bytes arrived in one piece"
            if style == "glued"
            else "the status line arrived byte by byte and the bytes in pieces of odd sizes"
        )
        with trusted_server(remote, style) as ts:
            size = _client_call(
                student,
                ts,
                "client_get",
                ts.port,
                name,
                str(dest),
                context=f"client_get of {name} ({how})",
                hint=CLIENT_FRAMING,
            )
        expected = files[name]
        got = (dest / name).read_bytes() if (dest / name).is_file() else None
        assert got == expected, (
            f"client_get of {name} ({how}) left "
            f"{'no file ' + name if got is None else _describe(got)} in the destination folder; "
            f"the server sent {_describe(expected)}"
            f"{_first_difference(expected, got) if got is not None else ''}. Write in binary "
            f"mode. {CLIENT_FRAMING}"
        )
        assert size == len(expected), (
            f"client_get of {name} returned {size!r}, expected {len(expected)}"
        )
        assert os.listdir(dest) == [name], (
            f"after client_get of {name} the destination folder holds {sorted(os.listdir(dest))}: "
            "rename the temporary file onto the real name when the download is complete "
            "(README: 'Client')."
        )


@pytest.mark.points(3)
def test_client_put_is_byte_exact(student, area):
    source = area / "source"
    source.mkdir()
    files = {"put-empty": b"", "put-small.bin": SMALL, "put-big.bin": _random_bytes(41)}
    for name, data in files.items():
        (source / name).write_bytes(data)
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
                context=f"client_put of {name} ({len(data)} bytes; the `OK 0` trickling in)",
                hint="Send the header line, then exactly the file's bytes (sendall), then read "
                f"the status line up to \\n ({README_FRAMING}).",
            )
            commands = _client_commands(ts)
        got = (inbox / name).read_bytes() if (inbox / name).is_file() else None
        assert commands[:1] == [f"PUT {name} {len(data)}"], (
            f"for client_put of {source / name} the server received the command lines "
            f"{commands[:3]}; expected `PUT {name} {len(data)}` (the file's own name and its "
            "size) (README: 'Client')."
        )
        assert got == data, (
            f"client_put of {name}: the file has {_describe(data)}; the server received "
            f"{'nothing' if got is None else _describe(got)}. Send the header line, then exactly "
            "the file's bytes (sendall), then wait for the server's `OK 0` before you return "
            f"({README_FRAMING})."
        )
        assert size == len(data), f"client_put of {name} returned {size!r}, expected {len(data)}"
        assert commands[-1:] == ["QUIT"], (
            f"client_put sent {commands}: end the session with `QUIT` and read its `OK 0` "
            "(README: 'Client')."
        )


@pytest.mark.points(2)
def test_client_reports_errors_and_broken_downloads(student, area):
    remote = area / "remote"
    remote.mkdir()
    (remote / "here.txt").write_bytes(b"here\n")
    dest = area / "dest"
    dest.mkdir()
    with trusted_server(remote, "glued") as ts:
        outcome = student.options(deadline=CALL_DEADLINE).run(
            "client_get", ts.port, "missing.txt", str(dest)
        )
    assert not outcome.returned, (
        f"the server answered `ERR no such file: missing.txt`, and client_get returned "
        f"{outcome.value!r}: raise TFTPError with the server's message (README: 'Client')."
    )
    if outcome.error is None:
        raise outcome.as_problem()
    assert outcome.error.type == "TFTPError" and "no such file" in outcome.error.message, (
        f"for the answer `ERR no such file: missing.txt` client_get raised {outcome.error.type}: "
        f"{outcome.error.message!r}; raise TFTPError carrying the server's message "
        "(README: 'Client')."
    )
    assert os.listdir(dest) == [], (
        f"after the ERR answer the destination folder holds {sorted(os.listdir(dest))}: create "
        "nothing when the server says ERR (README: 'Client')."
    )
    with trusted_server(remote, "glued") as ts:
        outcome = student.options(deadline=CALL_DEADLINE).run(
            "client_get", ts.port, CUT_NAME, str(dest)
        )
    assert not outcome.timed_out, (
        f"the server announced `OK {CUT_ANNOUNCED}`, sent {CUT_SENT} bytes and closed the "
        f"connection; client_get was still running {CALL_DEADLINE:g} s later. recv() returning "
        "b'' means the other side has closed: stop and raise (ProtocolError) (README: 'Client')."
    )
    assert not outcome.returned, (
        f"the server announced `OK {CUT_ANNOUNCED}` but closed the connection after {CUT_SENT} "
        f"bytes, and client_get returned {outcome.value!r}: an incomplete download is an error; "
        "raise ProtocolError (README: 'Client')."
    )
    left = sorted(os.listdir(dest))
    assert not left, (
        f"after a download that broke off at {CUT_SENT} of {CUT_ANNOUNCED} bytes the destination "
        f"folder holds {left}: download into a temporary file and delete it when the transfer "
        "fails (README: 'Client')."
    )
