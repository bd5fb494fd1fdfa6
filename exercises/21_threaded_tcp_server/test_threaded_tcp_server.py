"""Spec for exercise 21 — a threaded TCP server. Run it with `grader check 21`.

The student's ``serve(port)`` runs in a sandbox process (``student.start``). Every test talks
to it as a real TCP client on 127.0.0.1 and judges only what the test process itself sees:
the replies on the wire (and what never comes), and what the kernel shows about the server
from outside — its threads (``running.timeline()``: the judge's own samples of /proc), its
children, its descriptors and sockets, its peak memory, which addresses accept connections.
Nothing the server reports about itself is evidence. Every wait is bounded by a socket timeout
or a polled condition; no test sleeps.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import pytest

from grader.spec import (
    Msg,
    Running,
    SpecFailure,
    StudentProblem,
    WaitTimeout,
    connect,
    connection,
    delivered,
    fail,
    first_difference,
    free_port,
    holds_within,
    probe,
    syscalls,
    tcp_visible,
    wait_until,
)

REPLY_TIMEOUT = 5.0  # how long a client waits for one reply line (a correct server: ~1 ms)
CONNECT_TIMEOUT = 10.0  # covers SYN retries (1 s, 3 s) if a small backlog overflows
CLIENTS = 20
BIG_LINE = 8 * 1024 * 1024  # bytes of one line without "\n" in the memory test
MEMORY_SLACK_KIB = 3 * 1024  # bounded buffer: peak grows ~0.1 MiB; one keeping 8 MiB: 8+ MiB

SECTIONS = {
    "protocol": ("The protocol", "协议"),
    "framing": ("Lines are not recv() calls", "一次 recv() 不等于一行（粘包）"),
    "threads": ("One thread per client", "每个客户端一个线程"),
    "errors": ("When a client misbehaves", "客户端出错的时候"),
    "long": ("Long lines and a bounded buffer", "超长行与有界缓冲区"),
    "stop": ("Stopping and restarting", "停止与重启"),
    "api": ("The API", "接口说明"),
}


def see(key: str) -> tuple[str, str]:
    """The README reference for a section: (English, Chinese)."""
    en, zh = SECTIONS[key]
    return f" (README: '{en}')", f"（见 README：「{zh}」）"


def ck(condition: object, en: str, zh: str, key: str) -> None:
    """``check`` with the README reference of section ``key`` appended to both texts."""
    if not condition:
        ref_en, ref_zh = see(key)
        fail(en=en + ref_en, zh=zh + ref_zh)


def fl(en: str, zh: str, key: str) -> SpecFailure:
    """The failure to raise, with the README reference of section ``key``."""
    ref_en, ref_zh = see(key)
    return SpecFailure(Msg(en + ref_en, zh + ref_zh))


# -- a line client ----------------------------------------------------------------------------


class NoReply(SpecFailure):
    """A reply line did not come within the client's timeout."""


class Closed(SpecFailure):
    """The server closed (or reset) the connection where a reply line was expected."""


class Client:
    """One test-side connection that speaks lines. Owns its socket; ``close()`` closes it."""

    def __init__(self, port: int, timeout: float = REPLY_TIMEOUT, rcvbuf: int = 0) -> None:
        self.port = port
        self.timeout = timeout
        if rcvbuf:  # a small window, set before connecting: a slow reader
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(CONNECT_TIMEOUT)
            self.sock.connect(("127.0.0.1", port))
        else:
            self.sock = connect(port, timeout=CONNECT_TIMEOUT)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each send() leaves now
        self.pending = bytearray()

    @property
    def local_port(self) -> int:
        return int(self.sock.getsockname()[1])

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_line(self, after: str) -> str:
        """The next reply line, decoded, without its ``\\n``; ``after`` names what was sent."""
        while b"\n" not in self.pending:
            try:
                chunk = self.sock.recv(1 << 20)
            except TimeoutError:
                only = f" ({bytes(self.pending)[:60]!r} without '\\n')" if self.pending else ""
                ref_en, ref_zh = see("protocol")
                raise NoReply(
                    Msg(
                        f"sent {after} and waited {self.timeout:g} s: no reply line came{only}. "
                        f"Every request line gets exactly one reply line ending in '\\n'{ref_en}",
                        f"发送了 {after}，等了 {self.timeout:g} 秒也没有收到回复行{only}。"
                        f"每一个请求行都必须得到恰好一个以 '\\n' 结尾的回复行{ref_zh}",
                    )
                ) from None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                had = f" ({bytes(self.pending)[:60]!r})" if self.pending else ""
                ref_en, ref_zh = see("errors")
                raise Closed(
                    Msg(
                        f"sent {after} and the server closed the connection instead of replying"
                        f"{had}. Usually the client's thread died with an exception: its "
                        f"traceback is in the server's stderr below{ref_en}",
                        f"发送了 {after}，服务器没有回复，而是关闭了连接{had}。通常是这个客户端的"
                        f"线程因为异常而结束了：异常的回溯信息在下面服务器的 stderr 里{ref_zh}",
                    )
                )
            self.pending += chunk
        line, _, rest = bytes(self.pending).partition(b"\n")
        self.pending = bytearray(rest)
        return line.decode("utf-8", errors="backslashreplace")

    def ask(self, line: str) -> str:
        self.send(line.encode("utf-8") + b"\n")
        return self.read_line(repr(line))

    def at_eof(self) -> bool:
        """True if the server closes the connection within the timeout, with nothing more to say."""
        if self.pending:
            return False
        try:
            data = self.sock.recv(4096)
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        if data:
            self.pending += data
            return False
        return True

    def reset(self) -> None:
        """Close with RST instead of FIN: the server's next recv() fails with ECONNRESET."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


# -- what the kernel shows about the server ---------------------------------------------------


def wait_server_read(port: int, client: Client, what: str) -> int | None:
    """Wait until the server has read everything ``client`` sent; the server socket's inode.

    Read from the kernel's side: our socket has no unacknowledged bytes and the server's has no
    unread ones. Where the kernel's sockets cannot be seen (macOS), give the server a moment by
    waiting for a reply that must not come (a socket timeout); anything that does arrive stays
    in ``pending``.
    """
    me = client.local_port
    if not tcp_visible():
        client.sock.settimeout(0.3)
        try:
            client.pending += client.sock.recv(65536)
        except TimeoutError:
            pass
        finally:
            client.sock.settimeout(client.timeout)
        return None

    def drained() -> int | None:
        theirs = delivered(me, port)  # the server's socket, once it has read everything
        return (theirs and theirs.inode) or None

    try:
        return wait_until(drained, REPLY_TIMEOUT, "")
    except WaitTimeout:
        raise fl(
            f"after {what}, the server did not read those bytes within {REPLY_TIMEOUT:g} s: "
            "is anybody calling recv() on this client's socket?",
            f"{what}之后，服务器在 {REPLY_TIMEOUT:g} 秒内没有读走这些字节：有没有线程在这个"
            "客户端的套接字上调用 recv()？",
            "threads",
        ) from None


def server_notes(handle: Running, grace: float = 0.5) -> str:
    """Stop the server; how it ended and the tail of its stderr, for a failure message."""
    outcome = handle.stop(grace=grace)
    notes = ""
    if outcome.stopped_by is None:  # it ended by itself, before we stopped it
        if outcome.error is not None:
            notes += f"\n--- serve() raised ---\n{outcome.error.traceback}"
        elif outcome.exit is not None:
            notes += f"\n(the server process had already ended by itself: {outcome.exit})"
    err = outcome.stderr.text.strip()
    if err:
        notes += f"\n--- the server's stderr ---\n{err if len(err) < 1500 else '...' + err[-1500:]}"
    return notes


def start_server(student, port: int, **kwargs: object) -> Running:
    """``student.start("serve", port, ...)``, with Python's own report of thread exceptions.

    The sandbox is forked from this test process and inherits pytest's ``threading.excepthook``,
    which collects exceptions instead of printing them: reset it first, so a client thread
    that dies leaves its traceback in the server's stderr, as it would in ``python3``.
    """
    threading.excepthook = threading.__excepthook__
    args = ", ".join([str(port)] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return student.options(label=f"serve({args})").start("serve", port, **kwargs)


@contextlib.contextmanager
def serving(student, port: int, **kwargs: object) -> Iterator[Running]:
    """Start ``serve(port, **kwargs)``, wait until it accepts; on a failure add its stderr."""
    handle = start_server(student, port, **kwargs)
    handle.wait_listening(port)  # a stub or a crash fails here with the server's own error
    try:
        yield handle
    except StudentProblem:
        raise
    except SpecFailure as exc:
        # Our clients are closed by now: give client threads a moment to end, so a thread that
        # died has printed its traceback before the server is stopped.
        holds_within(lambda: handle.finished() or handle.threads() <= 1, 1.0)
        raise SpecFailure(exc.teaching + server_notes(handle)) from None


# -- which thread waits for which client (/proc/<pid>/task/<tid>/syscall) ----------------------


@dataclass(frozen=True)
class _Wait:
    """What one thread of the server is blocked in, as the kernel says."""

    tid: int
    call: str  # the system call's name, "running", or "syscall N"
    fds: frozenset[int] | None  # descriptors it waits to read from; None: not a read, or unknown
    unknown: bool = False  # a wait whose descriptors the judge could not read


def _one_wait(pid: int, call: syscalls.Call) -> _Wait:
    """One thread's call, with the descriptors it waits to read from."""
    if call.peeks:
        return _Wait(call.tid, call.name + " (MSG_PEEK)", None)
    if not call.waits_for_input:
        return _Wait(call.tid, call.name, None)
    fds = syscalls.input_fds(pid, call)
    return _Wait(call.tid, call.name, fds, unknown=fds is None)


def _thread_waits(pid: int) -> list[_Wait] | None:
    """What every thread of ``pid`` is blocked in; None where the judge cannot tell (another
    architecture, no /proc, a kernel or policy that does not show it). Raises
    syscalls.Hidden where the server made itself non-dumpable."""
    calls = syscalls.threads(pid)
    return None if calls is None else [_one_wait(pid, call) for call in calls]


def _client_fds(pid: int, inodes: list[int]) -> list[frozenset[int]]:
    """For each client's server-side socket (by inode), the server's descriptors of it."""
    links = probe.fd_links(pid)
    return [
        frozenset(fd for fd, link in links.items() if link == f"socket:[{inode}]")
        for inode in inodes
    ]


@dataclass(frozen=True)
class _Served:
    """One look at which thread waits for which idle client."""

    waits: list[_Wait]
    clients: list[frozenset[int]]  # each client's descriptors in the server

    def of(self, wait: _Wait) -> list[int]:
        """The clients (0-based) whose sockets ``wait`` waits to read from."""
        if wait.fds is None:
            return []
        return [k for k, fds in enumerate(self.clients) if wait.fds & fds]

    @property
    def unserved(self) -> list[int]:
        """Clients that no thread waits for alone."""
        alone = {self.of(w)[0] for w in self.waits if len(self.of(w)) == 1}
        return [k for k in range(len(self.clients)) if k not in alone]

    @property
    def crowded(self) -> list[_Wait]:
        """Threads that wait for several clients at once (a select loop)."""
        return [w for w in self.waits if len(self.of(w)) > 1]

    @property
    def good(self) -> bool:
        return not self.unserved and not self.crowded

    @property
    def unknown(self) -> bool:
        return any(w.unknown for w in self.waits)

    def describe(self) -> tuple[str, str]:
        en: list[str] = []
        zh: list[str] = []
        for w in self.waits[:8]:
            who = [k + 1 for k in self.of(w)]
            if w.call == "futex":
                en.append(f"thread {w.tid}: futex (a lock, an Event or a join)")
                zh.append(f"线程 {w.tid}：futex（在等锁、Event 或 join）")
            elif len(who) == 1:
                en.append(f"thread {w.tid}: {w.call} on client {who[0]}'s socket")
                zh.append(f"线程 {w.tid}：在第 {who[0]} 个客户端的套接字上 {w.call}")
            elif who:
                listed, listed_zh = ", ".join(map(str, who)), "、".join(map(str, who))
                en.append(f"thread {w.tid}: {w.call} on the sockets of clients {listed}")
                zh.append(f"线程 {w.tid}：在第 {listed_zh} 个客户端的套接字上同时 {w.call}")
            else:
                en.append(f"thread {w.tid}: {w.call}")
                zh.append(f"线程 {w.tid}：{w.call}")
        if len(self.waits) > 8:
            en.append("...")
            zh.append("……")
        return "; ".join(en), "；".join(zh)


def _look_who_serves(pid: int, inodes: list[int]) -> _Served | None:
    """Which thread of ``pid`` waits for which client now; None where the judge cannot see."""
    waits = _thread_waits(pid)
    if waits is None:
        return None
    return _Served(waits, _client_fds(pid, inodes))


def wait_threads_at_most(handle: Running, most: int) -> bool:
    return holds_within(lambda: handle.finished() or handle.threads() <= most, REPLY_TIMEOUT)


def wait_peak_threads(handle: Running, least: int) -> int:
    """The most threads the judge has seen the server run at once, once it is ``least``."""
    holds_within(lambda: handle.timeline().peak_threads >= least, REPLY_TIMEOUT)
    return handle.timeline().peak_threads


# -- the tests --------------------------------------------------------------------------------

PROTOCOL = [
    ("PING", "PONG", "PING is answered with PONG", "PING 的回复是 PONG"),
    ("ECHO hello", "hello", "ECHO answers with its text", "ECHO 原样回复它的文本"),
    (
        "ECHO  two  spaces ",
        " two  spaces ",
        "ECHO answers with everything after 'ECHO ', unchanged (spaces too: do not strip)",
        "ECHO 回复 'ECHO ' 之后的全部内容，原封不动（空格也要保留：不要 strip）",
    ),
    ("ECHO 你好，世界", "你好，世界", "lines are UTF-8 both ways", "收发的行都是 UTF-8"),
    ("ECHO 🐍 é ∑", "🐍 é ∑", "lines are UTF-8 both ways", "收发的行都是 UTF-8"),
    ("ECHO", "", "ECHO with no text answers with an empty line", "不带文本的 ECHO 回复一个空行"),
    ("ECHO ", "", "ECHO with an empty text answers with an empty line", "文本为空的 ECHO 回复空行"),
    ("ADD 2 3", "5", "ADD answers with the sum of its two integers", "ADD 回复两个整数之和"),
    ("ADD -7 -8", "-15", "integers may be negative", "整数可以是负数"),
    (
        "ADD -7 100000000000000000000",
        "99999999999999999993",
        "integers may be negative and big",
        "整数可以是负数，也可以很大",
    ),
    ("ADD 007 1", "8", "an integer may start with zeros", "整数可以有前导零"),
    ("ADD 2", "ERR bad arguments", "ADD needs exactly two integers", "ADD 需要恰好两个整数"),
    ("ADD 1 2 3", "ERR bad arguments", "ADD needs exactly two integers", "ADD 需要恰好两个整数"),
    ("ADD two 3", "ERR bad arguments", "ADD needs exactly two integers", "ADD 需要恰好两个整数"),
    (
        "ADD 1  2",
        "ERR bad arguments",
        "the two integers are separated by exactly one space",
        "两个整数之间恰好是一个空格",
    ),
    (
        "ADD +1 2",
        "ERR bad arguments",
        "an integer is an optional '-' and ASCII digits: no '+'",
        "整数是可选的 '-' 加上 ASCII 数字：不能有 '+'",
    ),
    (
        "ADD 1_000 2",
        "ERR bad arguments",
        "an integer is an optional '-' and ASCII digits: no '_' (int() would accept it)",
        "整数是可选的 '-' 加上 ASCII 数字：不能有 '_'（int() 却会接受它）",
    ),
    (
        "ADD ١٢ 3",
        "ERR bad arguments",
        "an integer is made of ASCII digits 0-9 only (int() accepts other digits too)",
        "整数只能由 ASCII 数字 0-9 组成（int() 也接受别的文字里的数字）",
    ),
    ("ADD", "ERR bad arguments", "ADD needs exactly two integers", "ADD 需要恰好两个整数"),
    (
        "PING now",
        "ERR bad arguments",
        "PING and QUIT take no argument",
        "PING 和 QUIT 不带参数",
    ),
    (
        "PING ",
        "ERR bad arguments",
        "a space after the command starts an argument, even an empty one",
        "命令后面的空格就开始了一个参数，即使参数是空的",
    ),
    (
        "QUIT now",
        "ERR bad arguments",
        "PING and QUIT take no argument (and the connection stays open)",
        "PING 和 QUIT 不带参数（连接保持打开）",
    ),
    ("ping", "ERR unknown command", "commands are upper case", "命令是大写的"),
    ("Echo x", "ERR unknown command", "commands are upper case", "命令是大写的"),
    (
        "ＰＩＮＧ",
        "ERR unknown command",
        "full-width letters are another command",
        "全角字母是另一个命令",
    ),
    (
        "PING\r",
        "ERR unknown command",
        "'\\r' is an ordinary byte of the line, not part of its end",
        "'\\r' 只是行里的一个普通字节，不是行尾的一部分",
    ),
    (
        " PING",
        "ERR unknown command",
        "the command starts at the first byte of the line",
        "命令从行的第一个字节开始",
    ),
    (
        "HELLO",
        "ERR unknown command",
        "an unknown command gets an error reply",
        "未知命令得到错误回复",
    ),
    ("", "ERR unknown command", "an empty line is not a command", "空行不是命令"),
    ("PING", "PONG", "the connection stays usable after errors", "出错之后连接仍然可用"),
]


@pytest.mark.points(2)
def test_commands_get_the_documented_replies(student):
    port = free_port()
    with serving(student, port):
        client = Client(port)
        try:
            for request, want, rule_en, rule_zh in PROTOCOL:
                reply = client.ask(request)
                ck(
                    reply == want,
                    f"sent {request!r}, expected the reply {want!r}, got {reply!r}: {rule_en}",
                    f"发送 {request!r}，应当回复 {want!r}，实际回复 {reply!r}：{rule_zh}",
                    "protocol",
                )
            bye = client.ask("QUIT")
            ck(
                bye == "BYE",
                f"sent 'QUIT', expected the reply 'BYE', got {bye!r}",
                f"发送 'QUIT'，应当回复 'BYE'，实际回复 {bye!r}",
                "protocol",
            )
            ck(
                client.at_eof(),
                f"after replying BYE to QUIT the server kept the connection open for "
                f"{REPLY_TIMEOUT:g} s (or sent more): close the client's socket after BYE",
                f"回复 QUIT 的 BYE 之后，服务器在 {REPLY_TIMEOUT:g} 秒内没有关闭连接（或者又发了"
                "别的内容）：发送 BYE 之后要关闭这个客户端的套接字",
                "protocol",
            )
        finally:
            client.close()


SPLIT_REQUESTS = [
    ([b"AD", b"D 4", b"0 2\n"], "42", "arrived in three pieces", "分三段到达"),
    (
        [b"ECHO \xe4\xb8", b"\xad\xe6\x96\x87\n"],
        "中文",
        "arrived in two pieces that cut the UTF-8 character 中 in half; decode whole lines, "
        "not chunks",
        "分两段到达，而且正好把 UTF-8 字符「中」切成了两半；要解码完整的行，不要解码每一块",
    ),
    (
        [b"ECHO \xf0\x9f", b"\x90", b"\x8d!\n"],
        "🐍!",
        "arrived in three pieces that cut the 4-byte character 🐍; decode whole lines",
        "分三段到达，把 4 字节的字符 🐍 切开了；要解码完整的行",
    ),
    (
        [b"PING", b"\n"],
        "PONG",
        "arrived without its '\\n', then the '\\n' alone",
        "先到了没有 '\\n' 的内容，然后单独到了 '\\n'",
    ),
]


@pytest.mark.points(1)
def test_a_line_split_across_sends_is_one_command(student):
    port = free_port()
    with serving(student, port) as handle:
        client = Client(port)
        try:
            for pieces, want, how_en, how_zh in SPLIT_REQUESTS:
                for index, piece in enumerate(pieces[:-1]):
                    client.send(piece)
                    # The server has read this piece (and only it) before the next one leaves.
                    wait_server_read(port, client, f"sending {piece!r} (piece {index + 1})")
                client.send(pieces[-1])
                whole = b"".join(pieces)
                reply = client.read_line(f"{whole!r} in pieces {pieces!r}")
                ck(
                    reply == want,
                    f"the request {whole!r} {how_en}. The server read each piece before the next "
                    f"was sent, and answered {reply!r} instead of {want!r}: it took what one "
                    "recv() returned for a whole line. TCP is a byte stream without message "
                    "boundaries: keep the bytes in a buffer and take a line out only when its "
                    "b'\\n' has arrived",
                    f"请求 {whole!r} {how_zh}。服务器在下一段发出之前已经读走了上一段，"
                    f"却回复了 {reply!r}，而不是 {want!r}：它把一次 recv() 的结果当成了完整的一行。"
                    "TCP 是没有消息边界的字节流：把字节存进缓冲区，等 b'\\n' 到了才取出一行",
                    "framing",
                )
            ck(
                handle.alive(),
                "the server process ended during the test",
                "测试过程中服务器进程结束了",
                "errors",
            )
        finally:
            client.close()


@pytest.mark.points(1)
def test_two_lines_in_one_send_get_two_replies(student):
    port = free_port()
    requests = ["PING", "ECHO one", "ADD 1 2", "", "ECHO two"]
    wants = ["PONG", "one", "3", "ERR unknown command", "two"]
    with serving(student, port):
        client = Client(port)
        try:
            client.send("".join(r + "\n" for r in requests).encode())  # one send(), one segment
            for index, want in enumerate(wants):
                try:
                    reply = client.read_line(f"{len(requests)} request lines in one send()")
                except NoReply:
                    raise fl(
                        f"{len(requests)} request lines {requests!r} arrived in one send(); the "
                        f"server sent {index} reply line(s) and then nothing for "
                        f"{REPLY_TIMEOUT:g} s. One recv() can hold several lines (粘包): after "
                        "each recv(), answer every complete line in the buffer, in order",
                        f"{len(requests)} 个请求行 {requests!r} 在一次 send() 里到达；服务器回复了 "
                        f"{index} 行，然后 {REPLY_TIMEOUT:g} 秒内再没有回复。一次 recv() 可能收到"
                        "好几行（粘包）：每次 recv() 之后，要按顺序回复缓冲区里所有完整的行",
                        "framing",
                    ) from None
                ck(
                    reply == want,
                    f"{len(requests)} request lines {requests!r} arrived in one send(); reply "
                    f"{index + 1} was {reply!r}, expected {want!r}. A recv() can hold several "
                    "lines (粘包): split the buffer at every b'\\n' and answer each line in order",
                    f"{len(requests)} 个请求行 {requests!r} 在一次 send() 里到达；第 {index + 1} "
                    f"个回复是 {reply!r}，应当是 {want!r}。一次 recv() 可能收到好几行（粘包）："
                    "在每个 b'\\n' 处切开缓冲区，按顺序逐行回复",
                    "framing",
                )
        finally:
            client.close()


@pytest.mark.points(1)
def test_a_partial_line_at_eof_is_dropped(student):
    port = free_port()
    with serving(student, port):
        client = Client(port)
        try:
            client.send(b"PING\nECHO one\nECHO never answered")
            client.sock.shutdown(socket.SHUT_WR)  # EOF for the server: no more requests
            got = []
            for _ in range(2):
                got.append(client.read_line("'PING\\nECHO one\\n' and then EOF"))
            ck(
                got == ["PONG", "one"],
                f"sent 'PING\\nECHO one\\n', a partial line, then closed the sending side; the "
                f"replies were {got!r}, expected ['PONG', 'one']: answer every complete line "
                "before ending the client",
                f"发送了 'PING\\nECHO one\\n' 和半行，然后关闭了发送方向；回复是 {got!r}，"
                "应当是 ['PONG', 'one']：结束这个客户端之前，要回复所有完整的行",
                "framing",
            )
            ck(
                client.at_eof(),
                "after the client closed its sending side with 'ECHO never answered' (no '\\n') "
                f"left over, the server sent {bytes(client.pending)[:60]!r} or kept the "
                f"connection open for {REPLY_TIMEOUT:g} s. recv() returning b'' means the client "
                "is done: a partial line at EOF is dropped without a reply, and the server closes "
                "the connection",
                "客户端关闭发送方向时还剩下没有 '\\n' 的 'ECHO never answered'，服务器却发来了 "
                f"{bytes(client.pending)[:60]!r}，或者 {REPLY_TIMEOUT:g} 秒内没有关闭连接。"
                "recv() 返回 b'' 表示客户端已经结束：EOF 时剩下的半行直接丢弃、不回复，"
                "然后服务器关闭连接",
                "framing",
            )
        finally:
            client.close()


@pytest.mark.points(2)
def test_idle_client_does_not_delay_another(student):
    port = free_port()
    with serving(student, port):
        silent = Client(port)  # connects and says nothing at all
        idle = Client(port)
        busy: Client | None = None
        try:
            idle.send(b"ECHO still ")  # half a line, and then nothing for a while
            wait_server_read(port, idle, "sending half a line")
            busy = Client(port)
            try:
                reply = busy.ask("PING")
            except NoReply:
                raise fl(
                    "a client connected and said nothing, another sent half a line and waited; "
                    f"a third client sent PING and got no reply within {REPLY_TIMEOUT:g} s. The "
                    "server serves one client at a time: an iterative server (循环服务器), or a "
                    "thread that is started and then joined at once. Start the client's thread "
                    "and go straight back to accept(); never join it in the accept loop",
                    "一个客户端连上后什么也不发，另一个发了半行后等待；第三个客户端发送 PING，"
                    f"{REPLY_TIMEOUT:g} 秒内没有收到回复。服务器一次只服务一个客户端：这是循环"
                    "服务器，或者线程刚 start() 就被 join() 了。启动客户端线程后要立刻回到 "
                    "accept()；不要在 accept 循环里 join 它",
                    "threads",
                ) from None
            ck(
                reply == "PONG",
                f"sent 'PING' on the third connection, got {reply!r}",
                f"在第三个连接上发送 'PING'，收到的是 {reply!r}",
                "protocol",
            )
            fast = busy.ask("ECHO fast")
            ck(
                fast == "fast",
                f"the third client's 'ECHO fast' got {fast!r}",
                f"第三个客户端的 'ECHO fast' 收到的是 {fast!r}",
                "protocol",
            )
            idle.send(b"here\n")
            late = idle.read_line("the rest of the second client's line")
            ck(
                late == "still here",
                f"the second client finished its line 'ECHO still here' and got {late!r}: each "
                "client's half line must wait in that client's own buffer",
                f"第二个客户端补完了它的那一行 'ECHO still here'，收到的却是 {late!r}："
                "每个客户端的半行要留在这个客户端自己的缓冲区里",
                "framing",
            )
            hello = silent.ask("ECHO at last")
            ck(
                hello == "at last",
                f"the first client, silent until now, sent 'ECHO at last' and got {hello!r}",
                f"一直没说话的第一个客户端发送 'ECHO at last'，收到的是 {hello!r}",
                "threads",
            )
        finally:
            for c in (silent, idle, busy):
                if c is not None:
                    c.close()


def _twenty_clients(port: int, problems: list[str], together: list[int]) -> None:
    """Run CLIENTS client threads that hold their connections open until all got replies.

    ``together`` gets the clients that were answered while all CLIENTS were connected.
    """
    all_answered = threading.Barrier(CLIENTS)

    def one(i: int) -> None:
        client: Client | None = None
        request = f"ECHO client {i}"
        try:
            client = Client(port)
            reply = client.ask(request)
            if reply != f"client {i}":
                raise AssertionError(f"sent {request!r}, got {reply!r}")
            try:
                all_answered.wait(timeout=2 * REPLY_TIMEOUT)  # everybody connected AND answered
            except threading.BrokenBarrierError:
                return  # another client failed and said why
            together.append(i)
            for request, want in ((f"ADD {i} {i}", str(2 * i)), ("QUIT", "BYE")):
                reply = client.ask(request)
                if reply != want:
                    raise AssertionError(f"sent {request!r}, got {reply!r}")
        except NoReply:
            problems.append(f"client {i}: no reply to {request!r} within {REPLY_TIMEOUT:g} s")
            all_answered.abort()
        except Closed:
            problems.append(f"client {i}: the server closed the connection after {request!r}")
            all_answered.abort()
        except (AssertionError, OSError) as exc:
            problems.append(f"client {i}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            all_answered.abort()
        finally:
            if client is not None:
                client.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=4 * REPLY_TIMEOUT + CONNECT_TIMEOUT)  # each step is bounded by a timeout
    stuck = sum(t.is_alive() for t in threads)
    if stuck:
        problems.append(f"{stuck} client thread(s) of the test did not finish")


@pytest.mark.points(2)
def test_twenty_clients_at_once_are_all_served(student):
    port = free_port()
    with serving(student, port):
        problems: list[str] = []
        together: list[int] = []
        _twenty_clients(port, problems, together)  # every test thread is joined inside
        first = "; ".join(problems[:3])
        ck(
            not problems,
            f"{CLIENTS} clients connected at once, each holding its connection open until all "
            f"had a reply; {len(together)} of them were answered while all were connected. "
            f"First problems: {first}. Every accepted connection needs its own thread, started "
            "at once, while the main thread goes back to accept(); and listen() needs room for "
            "clients that arrive together (listen(64), or listen() with no argument)",
            f"{CLIENTS} 个客户端同时连接，每个都保持连接，直到所有客户端都收到回复；其中只有 "
            f"{len(together)} 个在全部连接期间得到了回复。最先出现的问题：{first}。每个"
            "接受的连接都要立刻有自己的线程，主线程同时回到 accept()；listen() 也要给同时到达"
            "的客户端留够位置（listen(64)，或者不带参数的 listen()）",
            "threads",
        )


def _check_each_client_has_its_thread(handle: Running, port: int, clients: list[Client]) -> None:
    """With every client answered and idle, each has a thread of its own that waits to read
    that client's socket, and no thread waits for several clients at once.

    Read from outside: the system call each thread is blocked in and its arguments
    (``/proc/<pid>/task/<tid>/syscall``: ``recvfrom(fd, ...)``; with a socket timeout,
    ``poll()`` on that fd first), matched to the client's socket by its inode. Counting threads
    is not enough: idle threads can sit beside one select loop that serves everybody. Where the
    judge cannot read these files (another architecture, a kernel or policy that hides them),
    this part is not judged. Once each client's thread is seen waiting on it, that thread must
    also be the one that reads the client's bytes (``_check_each_client_is_read_by_its_thread``).
    """
    if not tcp_visible():
        return
    found = [connection(port, client.local_port) for client in clients]
    inodes = [sock.inode for sock in found if sock is not None]
    if len(inodes) < len(clients):
        return  # the kernel did not show every connection: not judged here
    last: list[_Served | None] = [None]
    hidden = [False]

    def settled() -> bool:
        if handle.finished():
            return True
        try:
            last[0] = _look_who_serves(handle.pid, inodes)
        except syscalls.Hidden:
            hidden[0] = True
            return True
        return last[0] is None or last[0].good

    holds_within(settled, REPLY_TIMEOUT)
    ck(
        handle.alive(),
        f"the server process ended while {len(clients)} idle clients were connected",
        f"{len(clients)} 个空闲客户端连着的时候，服务器进程结束了",
        "errors",
    )
    ck(
        not hidden[0],
        "the server process made itself non-dumpable (prctl PR_SET_DUMPABLE), so the judge "
        "could not see which thread waits for which client. A server has no reason to hide "
        "its threads: leave the process as it was started",
        "服务器进程把自己设成了不可转储（prctl PR_SET_DUMPABLE），评测程序因此看不到哪个线程"
        "在等哪个客户端。服务器没有理由隐藏它的线程：保持进程启动时的样子",
        "threads",
    )
    look = last[0]
    if look is not None and look.good:
        _check_each_client_is_read_by_its_thread(handle, clients, inodes, look)
        return
    if look is None or look.unknown:
        return
    seen_en, seen_zh = look.describe()
    numbers = [str(k + 1) for k in look.unserved]
    why_en = why_zh = ""
    if numbers:
        why_en = (
            f" Client(s) {', '.join(numbers)} had no thread of their own waiting to read "
            "its socket."
        )
        why_zh = f"第 {'、'.join(numbers)} 个客户端没有自己的线程在等着读它的套接字。"
    if look.crowded:
        why_en += " One thread waited for several clients at once: that is a select loop."
        why_zh += "有一个线程同时在等好几个客户端：这是 select 循环。"
    fail(
        en=f"with {len(clients)} clients connected, each answered and now idle, the judge read "
        f"from /proc which system call each thread of the server was blocked in "
        f"(/proc/{handle.pid}/task/*/syscall), for {REPLY_TIMEOUT:g} s: {seen_en}.{why_en} A "
        "thread per client means that each client's own thread waits in recv() on that "
        "client's socket and answers it. Threads that only sleep beside one loop (select, "
        "selectors, epoll) that serves every client are not a thread per client"
        + see("threads")[0],
        zh=f"{len(clients)} 个客户端都已连接、都得到了回复、现在都空闲时，评测程序在 "
        f"{REPLY_TIMEOUT:g} 秒内从 /proc（/proc/{handle.pid}/task/*/syscall）读取了服务器每个线程"
        f"阻塞在哪个系统调用上：{seen_zh}。{why_zh}每个客户端一个线程，意思是每个客户端自己的"
        "线程在这个客户端的套接字上 recv() 等待并回复它。在一个服务所有客户端的循环（select、"
        "selectors、epoll）旁边只会睡觉的线程，不算每个客户端一个线程" + see("threads")[1],
    )


FEED = 16 * 1024 * 1024  # bytes of one refused line sent to each idle client in turn
FEED_TIMEOUT = 20.0  # seconds a loaded machine may take to read it


def _check_each_client_is_read_by_its_thread(
    handle: Running, clients: list[Client], inodes: list[int], look: _Served
) -> None:
    """The thread that waits on a client's socket is the one that reads what the client sends.

    A thread blocked in ``poll()`` on one client's socket looks the same whether it will then
    ``recv()`` the bytes or only nap while another thread (one loop that serves everybody)
    takes them. Its CPU time tells them apart: the judge sends each idle client in turn one
    line of 16 MiB (refused, and the rest dropped as it arrives) and a PING, and reads every
    thread's CPU time (``/proc/<pid>/task/<tid>/schedstat``) before and after. Receiving
    16 MiB costs milliseconds of CPU, in the thread that calls ``recv()``: that client's
    own thread must have used more CPU than any other thread. Idle threads that wake now and
    then (a timeout on the listening socket, a stop flag checked every second) use
    microseconds each time.
    """
    for k, client in enumerate(clients):
        mine = {w.tid for w in look.waits if look.of(w) == [k]}  # its thread (a good look)
        before = probe.thread_cpu_ns(handle.pid)
        if before is None or not mine:
            return  # the kernel does not show CPU time per thread: not judged here
        client.sock.settimeout(FEED_TIMEOUT)
        try:
            client.send(b"y" * FEED + b"\nPING\n")
        except TimeoutError:
            raise fl(
                f"an idle client sent one line of {FEED >> 20} MiB; the server had not read it "
                f"all after {FEED_TIMEOUT:g} s",
                f"一个空闲的客户端发送了一行 {FEED >> 20} MiB 的数据；{FEED_TIMEOUT:g} 秒后"
                "服务器还没有把它读完",
                "long",
            ) from None
        finally:
            client.sock.settimeout(client.timeout)
        replies = [
            client.read_line(f"a {FEED >> 20} MiB line"),
            client.read_line("'PING' after the long line"),
        ]
        ck(
            replies == ["ERR line too long", "PONG"],
            f"one {FEED >> 20} MiB line and then PING got the replies {replies!r}, expected "
            "['ERR line too long', 'PONG']",
            f"一行 {FEED >> 20} MiB 的数据再加一个 PING，收到的回复是 {replies!r}，应当是 "
            "['ERR line too long', 'PONG']",
            "long",
        )

        def back(mine: set[int] = mine, k: int = k) -> bool:
            """Its thread waits again: its CPU time is exact now."""
            if handle.finished():
                return True
            now = _look_who_serves(handle.pid, inodes)
            return now is None or any(w.tid in mine and now.of(w) == [k] for w in now.waits)

        with contextlib.suppress(syscalls.Hidden):
            holds_within(back, REPLY_TIMEOUT)
        after = probe.thread_cpu_ns(handle.pid)
        if after is None or handle.finished():
            return
        used = {tid: ns - before.get(tid, 0) for tid, ns in after.items()}
        own = max((used.get(tid, 0) for tid in mine), default=0)
        others = {tid: ns for tid, ns in used.items() if tid not in mine}
        busiest = max(others, key=others.__getitem__, default=None)
        if busiest is None or own >= others[busiest]:
            continue
        waiter = min(mine)
        fail(
            en=f"with {len(clients)} idle clients connected, thread {waiter} of the server "
            f"waited on the socket of client {k + 1} alone. Then client {k + 1} sent one line "
            f"of {FEED >> 20} MiB and a PING, and got its replies; meanwhile thread {waiter} "
            f"used {own / 1e6:.1f} ms of CPU and thread {busiest} used "
            f"{others[busiest] / 1e6:.1f} ms (/proc/{handle.pid}/task/*/schedstat). Receiving "
            "that many bytes costs CPU in the thread that calls recv(): another thread read "
            f"client {k + 1}'s bytes, and thread {waiter} only waited beside it. A thread per "
            "client means that each client's own thread reads its socket (recv), answers it "
            "and waits for it again; a loop that serves every client, beside threads that only "
            "wait (poll) on the sockets, is not" + see("threads")[0],
            zh=f"{len(clients)} 个空闲客户端连着时，服务器的线程 {waiter} 只在第 {k + 1} 个"
            f"客户端的套接字上等待。接着第 {k + 1} 个客户端发送了一行 {FEED >> 20} MiB 的数据"
            f"和一个 PING，并收到了回复；这期间线程 {waiter} 只用了 {own / 1e6:.1f} 毫秒 CPU，"
            f"而线程 {busiest} 用了 {others[busiest] / 1e6:.1f} 毫秒"
            f"（/proc/{handle.pid}/task/*/schedstat）。接收这么多字节的 CPU 花在调用 recv() "
            f"的线程上：是另一个线程读走了第 {k + 1} 个客户端的字节，线程 {waiter} 只是在旁边"
            "等着。每个客户端一个线程，意思是每个客户端自己的线程读它的套接字（recv）、回复它、"
            "再等它；一个服务所有客户端的循环，加上只在套接字上等待（poll）的线程，不算"
            + see("threads")[1],
        )


@pytest.mark.points(2)
def test_one_thread_per_client_and_no_fork(student):
    port = free_port()
    connected = 5
    with serving(student, port) as handle:
        ck(
            wait_threads_at_most(handle, 1),
            f"before any client connected (only the probe of wait_listening had come and gone), "
            f"the server already had {handle.threads()} threads; a thread per client means "
            "one thread (the main one) while nobody is connected",
            f"还没有客户端连接时（只有检测端口的连接来过又走了），服务器就已经有 "
            f"{handle.threads()} 个线程；每个客户端一个线程，意味着没人连接时只有一个主线程",
            "threads",
        )
        clients: list[Client] = []
        try:
            clients = [Client(port) for _ in range(connected)]
            for index, client in enumerate(clients):
                reply = client.ask("PING")  # answered: whoever serves this client exists now
                ck(
                    reply == "PONG",
                    f"client {index + 1} sent 'PING' and got {reply!r}",
                    f"第 {index + 1} 个客户端发送 'PING'，收到的是 {reply!r}",
                    "protocol",
                )
            peak = wait_peak_threads(handle, 1 + connected)
            timeline = handle.timeline()
            ck(
                not timeline.lives and not handle.children(),
                f"with {connected} clients connected, the server process started "
                f"{len(timeline.lives)} process(es) (seen from outside): "
                f"{', '.join(life.describe() for life in timeline.lives[:5])}. That is the fork "
                "server of exercise 20; here each client gets a threading.Thread in the same "
                "process",
                f"{connected} 个客户端连接时，从外部观察到服务器进程创建了 "
                f"{len(timeline.lives)} 个进程："
                f"{', '.join(life.describe() for life in timeline.lives[:5])}。那是练习 20 的"
                "多进程服务器；这里每个客户端在同一个进程里有一个 threading.Thread",
                "threads",
            )
            ck(
                peak >= 1 + connected,
                f"with {connected} clients connected and each answered, the judge saw the server "
                f"process run at most {peak} thread(s) at once (from /proc); expected at least "
                f"{1 + connected}: the main thread that accepts, plus one per client. An "
                "iterative server, a thread joined right after start(), or a small pool serves "
                "some clients and leaves the others waiting",
                f"{connected} 个客户端都已连接并得到回复时，评测程序从 /proc 看到服务器进程同时"
                f"最多只有 {peak} 个线程；至少应当有 {1 + connected} 个：负责 accept 的主线程，"
                "加上每个客户端一个线程。循环服务器、start() 之后立刻 join()，"
                "或者一个很小的线程池，"
                "都会让一部分客户端一直等待",
                "threads",
            )
            _check_each_client_has_its_thread(handle, port, clients)
        finally:
            for client in clients:
                client.close()
        ck(
            wait_threads_at_most(handle, 1),
            f"all {connected} clients disconnected, yet {REPLY_TIMEOUT:g} s later the server "
            f"still had {handle.threads()} threads (the main thread is the only one needed). "
            "When recv() returns b'' the client is gone: leave the loop, close the socket, and "
            "let the thread end (return from its function)",
            f"{connected} 个客户端都断开了，{REPLY_TIMEOUT:g} 秒后服务器仍然有 "
            f"{handle.threads()} 个线程（只需要主线程）。recv() 返回 b'' 表示客户端已经离开："
            "退出循环，关闭套接字，让线程结束（从线程函数返回）",
            "threads",
        )


def _leave(client: Client, how: str) -> None:
    """End one client's connection in one of the ways a client can."""
    if how == "quit":
        client.ask("QUIT")
    elif how == "half line, then close":
        client.send(b"ECHO half")
    elif how == "reset":
        client.send(b"ECHO half")
        client.reset()
        return
    elif how == "shutdown, then close":
        client.sock.shutdown(socket.SHUT_WR)
    elif how == "too long, then close":
        client.send(b"z" * 3000)
    client.close()


LEAVINGS = [
    "quit",
    "close",
    "half line, then close",
    "reset",
    "shutdown, then close",
    "too long, then close",
]


@pytest.mark.points(2)
def test_clients_leave_no_thread_socket_or_descriptor_behind(student):
    port = free_port()
    with serving(student, port) as handle:
        wait_threads_at_most(handle, 1)
        base_fds = len(handle.open_fds())
        base_socks = len(probe.socket_inodes(handle.pid))
        for _round in range(2):
            clients = [Client(port) for _ in LEAVINGS]
            for index, client in enumerate(clients):
                reply = client.ask(f"ECHO {index}")
                ck(
                    reply == str(index),
                    f"sent 'ECHO {index}', got {reply!r}",
                    f"发送 'ECHO {index}'，收到的是 {reply!r}",
                    "protocol",
                )
            for client, how in zip(clients, LEAVINGS, strict=True):
                _leave(client, how)
        ways = ", ".join(LEAVINGS)
        ck(
            wait_threads_at_most(handle, 1),
            f"{2 * len(LEAVINGS)} clients came, were answered and left ({ways}); "
            f"{REPLY_TIMEOUT:g} s later the server still had {handle.threads()} threads. Every "
            "way a client leaves (EOF, QUIT, reset) must end its thread",
            f"{2 * len(LEAVINGS)} 个客户端连上、得到回复后离开了（{ways}）；{REPLY_TIMEOUT:g} "
            f"秒后服务器仍然有 {handle.threads()} 个线程。客户端无论以哪种方式离开"
            "（EOF、QUIT、重置连接），它的线程都要结束",
            "errors",
        )

        def settled() -> bool:
            return handle.finished() or (
                len(handle.open_fds()) <= base_fds
                and len(probe.socket_inodes(handle.pid)) <= base_socks
            )

        holds_within(settled, REPLY_TIMEOUT)
        fds = len(handle.open_fds())
        socks = len(probe.socket_inodes(handle.pid))
        ck(
            fds <= base_fds and socks <= base_socks,
            f"{2 * len(LEAVINGS)} clients came, were answered and left ({ways}); the server "
            f"held {socks} socket(s) and {fds} descriptor(s) afterwards, {base_socks} and "
            f"{base_fds} before they came. A client's socket that is never closed stays open "
            "as long as the server runs, until it runs out of descriptors: the client's thread "
            "closes its socket (with conn:) however the client leaves",
            f"{2 * len(LEAVINGS)} 个客户端连上、得到回复后离开了（{ways}）；之后服务器还占着 "
            f"{socks} 个套接字、{fds} 个文件描述符，而它们来之前是 {base_socks} 和 {base_fds} 个。"
            "不关闭的客户端套接字会在服务器运行期间一直占着，直到文件描述符耗尽："
            "不论客户端怎样离开，客户端线程都要关闭它的套接字（with conn:）",
            "errors",
        )
        ck(
            handle.alive(),
            "the server process ended while clients came and left",
            "客户端来来去去的时候，服务器进程结束了",
            "errors",
        )


def _other_loopback() -> str | None:
    """A loopback address other than 127.0.0.1 that this machine accepts, if any."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return None


def _accepts_at(host: str, family: int, port: int) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect((host, port))
            return True
    except OSError:
        return False


@pytest.mark.points(1)
def test_listens_on_127_0_0_1_only(student):
    port = free_port()
    with serving(student, port):
        reached = []
        other = _other_loopback()
        if other is not None and _accepts_at(other, socket.AF_INET, port):
            reached.append(other)
        if socket.has_ipv6 and _accepts_at("::1", socket.AF_INET6, port):
            reached.append("::1")
        listed = ", ".join(reached)
        ck(
            not reached,
            f"the server accepted connections on {listed}, not only on 127.0.0.1: it bound "
            "'' / '0.0.0.0' (every address of the machine, the network included) or '::'. "
            "bind(('127.0.0.1', port)): a practice server is reachable from this machine only",
            f"服务器在 {listed} 上也接受了连接，而不只是 127.0.0.1：它绑定的是 '' / '0.0.0.0'"
            "（本机的所有地址，包括对外的网络）或 '::'。要 bind(('127.0.0.1', port))："
            "练习用的服务器只能让本机访问",
            "api",
        )


@pytest.mark.points(1)
def test_client_reset_mid_line_does_not_stop_the_server(student):
    port = free_port()
    with serving(student, port) as handle:
        other = Client(port)
        try:
            ck(
                other.ask("PING") == "PONG",
                "a client's PING did not get 'PONG'",
                "客户端的 PING 没有收到 'PONG'",
                "protocol",
            )
            victim = Client(port)
            victim.send(b"ECHO half a li")
            inode = wait_server_read(port, victim, "sending half a line")
            victim.reset()  # RST: the server's recv() on this connection fails with ECONNRESET
            if inode is not None:
                # Until the client's thread has met the error and closed its socket, the server
                # process still holds that socket: wait for it to go (or for the server to end).
                holds_within(
                    lambda: handle.finished() or inode not in probe.socket_inodes(handle.pid),
                    REPLY_TIMEOUT,
                )
            ck(
                handle.alive(),
                "a client sent half a line and then reset its connection (RST); the server "
                "process ended. recv() raises ConnectionResetError when a client resets: catch "
                "OSError in the client's thread, close that socket and end that thread; never "
                "end the process (os._exit, sys.exit) for one client's error",
                "一个客户端发了半行后重置了连接（RST），服务器进程就结束了。客户端重置连接时 "
                "recv() 会抛出 ConnectionResetError：在客户端线程里捕获 OSError，关闭这个套接字，"
                "结束这个线程；不要因为一个客户端出错就结束整个进程（os._exit、sys.exit）",
                "errors",
            )
            try:
                still = other.ask("ECHO still here")
            except (NoReply, Closed):
                still = None
            ck(
                still == "still here",
                "after one client reset its connection mid-line, another client that was "
                f"connected all along sent 'ECHO still here' and got {still!r}: one client's "
                "error ends that client's thread only",
                "一个客户端在行中间重置了连接之后，另一个一直连着的客户端发送 'ECHO still here'，"
                f"收到的是 {still!r}：一个客户端出错，只应结束这个客户端自己的线程",
                "errors",
            )
            after = Client(port)
            try:
                try:
                    reply = after.ask("PING")
                except (NoReply, Closed):
                    reply = None
                ck(
                    reply == "PONG",
                    "after one client reset its connection mid-line, a new client's PING got "
                    f"{reply!r}, not 'PONG'. One client's error must not stop the accept loop",
                    f"一个客户端在行中间重置连接之后，新客户端的 PING 收到的是 {reply!r}，"
                    "而不是 'PONG'。一个客户端出错不能让 accept 循环停下来",
                    "errors",
                )
            finally:
                after.close()
        finally:
            other.close()


@pytest.mark.points(1)
def test_non_utf8_line_gets_an_error_reply(student):
    port = free_port()
    cases = (
        b"ECHO caf\xe9",  # Latin-1
        b"\xff\xfe\xfd",  # bytes UTF-8 never uses
        b"ECHO \xe4\xb8",  # a character cut short at the end of the line
        b"ECHO \xed\xa0\x80",  # a surrogate, which UTF-8 forbids
        b"ECHO \xc0\xaf",  # an overlong encoding of '/'
    )
    with serving(student, port):
        client = Client(port)
        try:
            for raw in cases:
                client.send(raw + b"\n")
                try:
                    reply = client.read_line(f"{raw!r} (not UTF-8)")
                except Closed:
                    raise fl(
                        f"sent the line {raw!r}, which is not valid UTF-8, and the server closed "
                        "the connection: decode() raised UnicodeDecodeError and ended the "
                        "client's thread. Catch it and reply 'ERR not utf-8'; the connection "
                        "stays usable",
                        f"发送了不是合法 UTF-8 的一行 {raw!r}，服务器关闭了连接：decode() 抛出了 "
                        "UnicodeDecodeError，结束了客户端线程。要捕获它并回复 'ERR not utf-8'；"
                        "连接仍然可用",
                        "errors",
                    ) from None
                ck(
                    reply == "ERR not utf-8",
                    f"sent the line {raw!r}, which is not valid UTF-8; expected the reply "
                    f"'ERR not utf-8', got {reply!r} (decode strictly: no errors='ignore' or "
                    "'replace')",
                    f"发送了不是合法 UTF-8 的一行 {raw!r}；应当回复 'ERR not utf-8'，实际回复 "
                    f"{reply!r}（要严格解码：不要用 errors='ignore' 或 'replace'）",
                    "errors",
                )
            reply = client.ask("PING")
            ck(
                reply == "PONG",
                f"after lines that were not UTF-8, PING got {reply!r}: the connection must stay "
                "usable after an error reply",
                f"发送了几行非 UTF-8 内容之后，PING 收到的是 {reply!r}："
                "错误回复之后连接必须仍然可用",
                "errors",
            )
        finally:
            client.close()


def _echo_of(n_bytes: int, char: str) -> str:
    """An ECHO request of exactly ``n_bytes`` UTF-8 bytes, its text made of ``char``."""
    width = len(char.encode("utf-8"))
    body = n_bytes - 5
    text = char * (body // width) + "z" * (body % width)
    line = "ECHO " + text
    assert len(line.encode("utf-8")) == n_bytes
    return line


@pytest.mark.points(1)
def test_overlong_line_is_refused(student):
    port = free_port()
    limit = 63  # odd, not a power of two: a limit read from the argument, not assumed
    with serving(student, port, max_line=limit):
        client = Client(port)
        try:
            for char in ("z", "中", "🐍"):
                exact = _echo_of(limit, char)
                reply = client.ask(exact)
                ck(
                    reply == exact[5:],
                    f"with max_line={limit}, a line of exactly {limit} bytes ({len(exact)} "
                    f"characters) is allowed; its ECHO got {reply[:40]!r}. max_line counts "
                    "bytes, not characters",
                    f"max_line={limit} 时，正好 {limit} 字节（{len(exact)} 个字符）的行是允许的；"
                    f"它的 ECHO 收到的是 {reply[:40]!r}。max_line 数的是字节，不是字符",
                    "long",
                )
                over = _echo_of(limit + 1, char)
                reply = client.ask(over)
                ck(
                    reply == "ERR line too long",
                    f"with max_line={limit}, a line of {limit + 1} bytes ({len(over)} "
                    f"characters) must get 'ERR line too long', got {reply[:40]!r}. max_line "
                    "counts bytes, not characters",
                    f"max_line={limit} 时，{limit + 1} 字节（{len(over)} 个字符）的行应当得到 "
                    f"'ERR line too long'，实际是 {reply[:40]!r}。max_line 数的是字节，不是字符",
                    "long",
                )
            # Exactly max_line bytes and no "\n" yet: not too long (yet); then the "\n" comes.
            exact = _echo_of(limit, "y")
            client.send(exact.encode())
            wait_server_read(port, client, f"{limit} bytes without a newline")
            client.send(b"\n")
            reply = client.read_line(f"{limit} bytes, then their '\\n' alone")
            ck(
                reply == exact[5:],
                f"with max_line={limit}, {limit} bytes arrived, then their '\\n' alone; the "
                f"reply was {reply[:40]!r}, expected the ECHO. A buffer of max_line bytes "
                "without '\\n' is not too long yet: only more than max_line is",
                f"max_line={limit} 时，先到了 {limit} 个字节，然后单独到了 '\\n'；回复是 "
                f"{reply[:40]!r}，应当是 ECHO 的内容。缓冲区里有 max_line 个字节而没有 '\\n' "
                "还不算太长：超过 max_line 才算",
                "long",
            )
            client.send(b"ECHO " + b"x" * 195)  # 200 bytes and no "\n" yet
            try:
                reply = client.read_line(f"200 bytes without a newline (max_line={limit})")
            except NoReply:
                raise fl(
                    f"with max_line={limit}, a client sent 200 bytes without a newline and got "
                    f"no reply within {REPLY_TIMEOUT:g} s. The server waits for the end of the "
                    "line, buffering everything: a client that never sends '\\n' makes it "
                    "buffer forever. As soon as the buffer holds more than max_line bytes "
                    "without a '\\n', reply 'ERR line too long' and drop the rest of that line",
                    f"max_line={limit} 时，客户端发了 200 个字节、没有换行，{REPLY_TIMEOUT:g} 秒"
                    "内没有收到回复。服务器在等这一行结束，把收到的全部缓存起来：一个永远不发 "
                    "'\\n' 的客户端会让它无限缓存下去。缓冲区里一旦超过 max_line 个字节还没有 "
                    "'\\n'，就立即回复 'ERR line too long'，并丢弃这一行剩下的部分",
                    "long",
                ) from None
            except Closed:
                raise fl(
                    f"with max_line={limit}, a client sent 200 bytes without a newline and the "
                    "server closed the connection. Reply 'ERR line too long', drop the rest of "
                    "the line as it arrives and keep serving this client",
                    f"max_line={limit} 时，客户端发了 200 个字节、没有换行，服务器就关闭了连接。"
                    "应当回复 'ERR line too long'，丢弃这一行之后到达的部分，并继续服务这个客户端",
                    "long",
                ) from None
            ck(
                reply == "ERR line too long",
                f"200 bytes without a newline (max_line={limit}) got {reply!r}, expected "
                "'ERR line too long'",
                f"200 个字节、没有换行（max_line={limit}），收到的是 {reply!r}，应当是 "
                "'ERR line too long'",
                "long",
            )
            for _ in range(3):  # the rest of the refused line, well past max_line again
                client.send(b"x" * (3 * limit))
                wait_server_read(port, client, "more of the refused line")
            client.send(b"x" * 10 + b"\nPING\n")  # the refused line ends; then a good one
            reply = client.read_line("the end of the refused line, then 'PING'")
            ck(
                reply == "PONG",
                "after 'ERR line too long' the client sent the rest of that line "
                f"({9 * limit + 10} more bytes, in pieces), its '\\n', and then PING; the next "
                f"reply was {reply!r}, expected 'PONG'. The rest of a refused line, up to and "
                "including its '\\n', is dropped without another reply",
                "收到 'ERR line too long' 之后，客户端分几段发来了这一行剩下的部分"
                f"（又是 {9 * limit + 10} 个字节）、它的 '\\n'，然后是 PING；下一个回复是 "
                f"{reply!r}，应当是 'PONG'。被拒绝的行剩下的部分，直到并包括它的 '\\n'，"
                "都要丢弃，不再回复",
                "long",
            )
        finally:
            client.close()


@pytest.mark.points(1)
def test_line_buffer_stays_bounded(student):
    port = free_port()
    with serving(student, port) as handle:  # the default max_line, 1024
        client = Client(port)
        try:
            allowed = _echo_of(1024, "a")
            reply = client.ask(allowed)
            ck(
                reply == allowed[5:],
                f"serve(port) without max_line must allow lines of 1024 bytes; got {reply[:40]!r}",
                f"serve(port) 不传 max_line 时，应当允许 1024 字节的行；收到的是 {reply[:40]!r}",
                "api",
            )
            reply = client.ask(_echo_of(1025, "a"))
            ck(
                reply == "ERR line too long",
                f"serve(port) without max_line must refuse lines of 1025 bytes; got {reply[:40]!r}",
                f"serve(port) 不传 max_line 时，应当拒绝 1025 字节的行；收到的是 {reply[:40]!r}",
                "api",
            )
            before = probe.peak_memory_kib(handle.pid)
            try:
                client.send(b"y" * BIG_LINE + b"\nPING\n")
            except TimeoutError:
                raise fl(
                    f"a client sending one {BIG_LINE >> 20} MiB line could not get it through in "
                    f"{REPLY_TIMEOUT:g} s: the server stopped reading, or copies its whole "
                    "buffer on every recv(). Keep at most max_line bytes",
                    f"客户端发送一行 {BIG_LINE >> 20} MiB 的数据，{REPLY_TIMEOUT:g} 秒内没有发完："
                    "服务器不再读取了，或者每次 recv() 都复制整个缓冲区。缓冲区最多保留 max_line "
                    "个字节",
                    "long",
                ) from None
            replies = []
            with contextlib.suppress(NoReply, Closed):
                replies.append(client.read_line(f"a {BIG_LINE >> 20} MiB line"))
                replies.append(client.read_line("'PING' after the long line"))
            growth = probe.peak_memory_kib(handle.pid) - before
            ck(
                growth < MEMORY_SLACK_KIB,
                f"while one client sent a single {BIG_LINE >> 20} MiB line, the server's peak "
                f"memory grew by {growth / 1024:.1f} MiB: it kept the line in its buffer. One "
                "client could exhaust the server's memory this way. Once the buffer holds more "
                "than max_line bytes without a '\\n', reply the error and throw away what "
                "arrives until the next '\\n'",
                f"一个客户端发送一行 {BIG_LINE >> 20} MiB 的数据时，服务器的内存峰值增长了 "
                f"{growth / 1024:.1f} MiB：它把这一行都留在了缓冲区里。一个客户端就能这样耗尽"
                "服务器的内存。缓冲区里一旦超过 max_line 个字节还没有 '\\n'，就回复错误，并丢弃"
                "之后到达的内容，直到下一个 '\\n'",
                "long",
            )
            ck(
                replies == ["ERR line too long", "PONG"],
                f"one {BIG_LINE >> 20} MiB line and then PING got the replies {replies!r}, "
                "expected ['ERR line too long', 'PONG']",
                f"一行 {BIG_LINE >> 20} MiB 的数据再加一个 PING，收到的回复是 {replies!r}，"
                "应当是 ['ERR line too long', 'PONG']",
                "long",
            )
        finally:
            client.close()


SLOW_RCVBUF = 65536
SLOW_SEND_TIMEOUT = 20.0


def _larger_than_send_buffers() -> int:
    """Bytes of a reply that cannot fit in the server's send buffer plus our receive window.

    The kernel grows a socket's send buffer up to the last value of tcp_wmem (4 MiB by
    default); a reply of 2 MiB more than that is sure to leave send() with bytes it could not
    write at once.
    """
    most = 4 << 20
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            most = int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        pass
    return min(max(most, 4 << 20), 16 << 20) + (2 << 20)


def _stuck_sending(server_port: int, client: Client) -> bool:
    """True when the server's side of ``client`` has unsent reply bytes and ours unread ones."""
    if not tcp_visible():
        return True
    mine = connection(client.local_port, server_port)
    theirs = connection(server_port, client.local_port)
    return mine is not None and theirs is not None and mine.rx_queue > 0 and theirs.tx_queue > 0


@pytest.mark.points(2)
def test_a_slow_reader_gets_every_byte_and_blocks_nobody(student):
    port = free_port()
    size = _larger_than_send_buffers()
    digits = b"".join(b"%07d," % i for i in range(size // 8 + 1))[:size]
    with serving(student, port, max_line=size + 5):
        slow = Client(port, rcvbuf=SLOW_RCVBUF)  # a small window: the server must wait to send
        other: Client | None = None
        try:
            slow.sock.settimeout(SLOW_SEND_TIMEOUT)  # a line-buffering server may rescan its buffer
            try:
                slow.send(b"ECHO " + digits + b"\n")  # queued: the server may still be reading
            except TimeoutError:
                raise fl(
                    f"a client sent ECHO with a {size} byte text (max_line={size + 5}); the "
                    f"server had not read it all after {SLOW_SEND_TIMEOUT:g} s",
                    f"客户端发送了文本长 {size} 字节的 ECHO（max_line={size + 5}）；"
                    f"{SLOW_SEND_TIMEOUT:g} 秒后服务器还没有把它读完",
                    "long",
                ) from None
            # Until the server has read the request and filled both buffers with its reply.
            holds_within(lambda: _stuck_sending(port, slow), SLOW_SEND_TIMEOUT)
            other = Client(port)
            try:
                reply = other.ask("PING")
            except NoReply:
                raise fl(
                    f"one client asked for a {size >> 20} MiB ECHO and did not read it yet, so "
                    "the server was waiting to send; meanwhile another client's PING got no "
                    f"reply within {REPLY_TIMEOUT:g} s. A client that reads slowly holds up only "
                    "its own thread, never the server: no lock around sending, no single loop",
                    f"一个客户端请求了 {size >> 20} MiB 的 ECHO，但还没有读取，服务器正在等待发送；"
                    f"这时另一个客户端的 PING 在 {REPLY_TIMEOUT:g} 秒内没有收到回复。读得慢的客户"
                    "端只能拖住它自己的线程，不能拖住整个服务器：发送时不要加全局锁，也不要只用一个循环",
                    "threads",
                ) from None
            ck(
                reply == "PONG",
                f"while a slow client's reply waited, another client's PING got {reply!r}",
                f"一个慢客户端的回复还在等待发送时，另一个客户端的 PING 收到的是 {reply!r}",
                "protocol",
            )
            got = bytearray()
            slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)  # read faster now
            slow.sock.settimeout(REPLY_TIMEOUT)
            while not got.endswith(b"\n") and len(got) <= size:
                try:
                    chunk = slow.sock.recv(1 << 16)
                except TimeoutError:
                    break
                if not chunk:
                    break
                got += chunk
            whole = bytes(got) == digits + b"\n"
            first_bad = 0 if whole else first_difference(bytes(got), digits + b"\n")
            ck(
                whole,
                f"a client sent ECHO with a {size} byte text and read the reply slowly; it got "
                f"{len(got)} bytes, the first wrong one at offset {first_bad}. With a slow "
                "reader, socket.send() may write only part of what it is given and returns how "
                "much: use conn.sendall(), which sends every byte",
                f"客户端发送了文本长 {size} 字节的 ECHO，并且读得很慢；它收到了 {len(got)} 个"
                f"字节，第一个错误出现在偏移 {first_bad}。对方读得慢时，socket.send() 可能只发出"
                "一部分数据，并返回发出了多少：要用 conn.sendall()，它会把每个字节都发出去",
                "errors",
            )
            slow.pending = bytearray()
            after = slow.ask("PING")
            ck(
                after == "PONG",
                f"after its large reply, the slow client's PING got {after!r}",
                f"收完大回复之后，慢客户端的 PING 收到的是 {after!r}",
                "protocol",
            )
        finally:
            slow.close()
            if other is not None:
                other.close()


@pytest.mark.points(2)
def test_sigterm_stops_it_and_the_port_is_free_again(student):
    port = free_port()
    for attempt in range(3):  # started, then stopped and started again at once, twice
        handle = start_server(student, port)
        try:
            handle.wait_listening(port)
        except StudentProblem as exc:
            if attempt == 0:
                raise
            first = str(exc).splitlines()[0]
            raise fl(
                f"the server stopped, and starting it again on port {port} right away failed: "
                f"{first}. The old server closed connections first, so the kernel keeps them "
                "in TIME_WAIT on that port for up to a minute, and bind() refuses the port "
                "meanwhile. Set SO_REUSEADDR on the listening socket before bind(): "
                f"sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n{exc}",
                f"服务器停止后，立刻在端口 {port} 上重新启动却失败了：{first}。旧服务器先关闭了"
                "连接，内核会让这些连接在这个端口上保持 TIME_WAIT 状态最多一分钟，这期间 bind() "
                "会拒绝这个端口。在 bind() 之前给监听套接字设置 SO_REUSEADDR："
                f"sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n{exc}",
                "stop",
            ) from None
        leaver = Client(port)
        idle: Client | None = None
        midline: Client | None = None
        try:
            try:
                bye = leaver.ask("QUIT")
                closed = leaver.at_eof()
                leaver.close()  # the server closed first: its side is in TIME_WAIT
                idle = Client(port)
                pong = idle.ask("PING")  # answered, so this client's thread waits in recv()
                midline = Client(port)
                midline.send(b"ECHO cut short by the stop")
                wait_server_read(port, midline, "sending half a line")
            except SpecFailure as exc:
                raise SpecFailure(exc.teaching + server_notes(handle)) from None
            if not (bye == "BYE" and closed and pong == "PONG"):
                notes = server_notes(handle)
                state_en = "closed" if closed else "stayed open"
                state_zh = "关闭了" if closed else "没有关闭"
                fail(
                    en=f"QUIT got {bye!r} (the connection then {state_en}) and PING got "
                    f"{pong!r}" + see("protocol")[0] + notes,
                    zh=f"QUIT 收到 {bye!r}（之后连接{state_zh}），PING 收到 {pong!r}"
                    + see("protocol")[1]
                    + notes,
                )
            outcome = handle.stop(grace=1.0)
        finally:
            for c in (leaver, idle, midline):
                if c is not None:
                    c.close()
        if outcome.stopped_by == "SIGKILL":
            fail(
                en="SIGTERM did not stop the server within 1 s (it had to be killed with "
                "SIGKILL) while two clients were connected. SIGTERM's default action ends the "
                "process at once; if you install a handler, raise SystemExit in it, and make "
                "client threads daemon threads (daemon=True) so an idle client cannot keep the "
                "process alive" + see("stop")[0],
                zh="有两个客户端连着时，SIGTERM 没能在 1 秒内停止服务器（只好用 SIGKILL 杀掉）。"
                "SIGTERM 的默认动作会立即结束进程；如果你安装了处理函数，就在里面 raise "
                "SystemExit，并把客户端线程设为守护线程（daemon=True），这样空闲的客户端就不会让"
                "进程一直活着" + see("stop")[1],
            )
        if outcome.stopped_by is None:
            fail(
                en="the server had ended before it was told to stop" + see("api")[0],
                zh="还没有让服务器停止，它就自己结束了" + see("api")[1],
            )


def _main_thread_in_accept(pid: int) -> bool:
    """True while the server's main thread is blocked in accept() (its kernel wait channel)."""
    return probe.wait_channel(pid) == "inet_csk_accept"


def _serve_then_exit_like_python(module: ModuleType, port: int) -> None:
    """Scenario (it only acts): run serve(port); if it ends with SystemExit (a SIGTERM handler),
    wait for the non-daemon threads as Python does before a process exits. The judge sends the
    SIGTERM and watches, from outside, whether the process ends.
    """
    try:
        module.serve(port)
    except SystemExit:
        main = threading.main_thread()
        for thread in threading.enumerate():
            if thread is not main and not thread.daemon:
                thread.join()
        raise


@pytest.mark.points(1)
def test_sigterm_is_not_held_up_by_client_threads(student):
    port = free_port()
    threading.excepthook = threading.__excepthook__
    handle = student.options(label=f"serve({port})").start_scenario(
        _serve_then_exit_like_python, port
    )
    handle.wait_listening(port)
    idle = Client(port)
    try:
        reply = idle.ask("PING")  # answered: this client's thread exists and waits in recv()
        ck(
            reply == "PONG",
            f"PING got {reply!r}",
            f"PING 收到的是 {reply!r}",
            "protocol",
        )
        # Signal only while the main thread sits in accept(): an exception raised by a handler
        # at an arbitrary bytecode can leave a lock of the threading module held (a CPython
        # hazard) and then the exit itself hangs.
        holds_within(lambda: _main_thread_in_accept(handle.pid), 2.0)
        ck(
            handle.alive(),
            "serve() ended before it was told to stop; it must keep accepting clients",
            "还没有让 serve() 停止，它就自己结束了；它应当一直接受客户端",
            "api",
        )
        handle.send_signal(signal.SIGTERM)
        ended = holds_within(handle.finished, 2 * REPLY_TIMEOUT)
    finally:
        idle.close()
    handle.stop(grace=0.5)
    ck(
        ended,
        f"the process was still alive {2 * REPLY_TIMEOUT:g} s after SIGTERM, with one idle "
        "client connected: serve() ended, but a non-daemon client thread waits in recv() for "
        "that client, and Python waits for every non-daemon thread before the process exits. "
        "Start client threads with daemon=True (or leave SIGTERM at its default action)",
        f"有一个空闲客户端连着时，进程收到 SIGTERM 后 {2 * REPLY_TIMEOUT:g} 秒仍然活着："
        "serve() 结束了，但有一个非守护的客户端线程还在 recv() 里等这个客户端，而 Python "
        "在进程退出前会等待所有非守护线程。启动客户端线程时用 daemon=True（或者让 SIGTERM "
        "保持默认动作）",
        "stop",
    )
