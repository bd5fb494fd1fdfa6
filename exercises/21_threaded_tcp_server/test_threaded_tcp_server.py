"""Spec for exercise 21 — a threaded TCP server. Run it with `grader check 21`.

The student's ``serve(port)`` runs in a sandbox process (``student.start``). Every test talks
to it as a real TCP client on 127.0.0.1 and judges what comes back on the wire, plus what the
kernel shows about the server from outside: its threads and children, its sockets
(``/proc/net/tcp``: has it read what we sent?), and its peak memory. Every wait is bounded by a
socket timeout or a polled condition; no test sleeps.

PYTEST_DONT_REWRITE: every assert carries its own teaching message; pytest's introspection
would only append noise to it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest

from grader import free_port, net, probe, wait_until
from grader.net import accepts, connect
from grader.polling import WaitTimeout, holds_within
from grader.sandbox import Outcome, Running, StudentProblem

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
}


def see(key: str) -> str:
    en, zh = SECTIONS[key]
    return f"(README: '{en}' / README.zh-CN:「{zh}」)"


# -- a line client ----------------------------------------------------------------------------


class NoReply(AssertionError):
    """A reply line did not come within the client's timeout."""


class Closed(AssertionError):
    """The server closed (or reset) the connection where a reply line was expected."""


class Client:
    """One test-side connection that speaks lines. Owns its socket; ``close()`` closes it."""

    def __init__(self, port: int, timeout: float = REPLY_TIMEOUT) -> None:
        self.port = port
        self.timeout = timeout
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
                chunk = self.sock.recv(65536)
            except TimeoutError:
                raise NoReply(
                    f"sent {after} and waited {self.timeout:g} s: no reply line came"
                    + (
                        f" (only {bytes(self.pending)[:60]!r} without '\\n')"
                        if self.pending
                        else ""
                    )
                    + ". Every request line gets exactly one reply line ending in '\\n' "
                    + see("protocol")
                ) from None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed(
                    f"sent {after} and the server closed the connection instead of replying"
                    + (f" (it had sent {bytes(self.pending)[:60]!r})" if self.pending else "")
                    + ". Usually the client's thread died with an exception: its traceback is in "
                    f"the server's stderr below {see('errors')}"
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
            return self.sock.recv(1) == b""
        except TimeoutError:
            return False
        except ConnectionResetError:
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
    unread ones. Where /proc/net is missing, give the server a moment by waiting for a reply
    that must not come (a socket timeout); anything that does arrive stays in ``pending``.
    """
    me = client.local_port
    if net.tcp_sockets() is None:
        client.sock.settimeout(0.3)
        try:
            chunk = client.sock.recv(65536)
            client.pending += chunk
        except TimeoutError:
            pass
        finally:
            client.sock.settimeout(client.timeout)
        return None

    def drained() -> int | None:
        theirs = net.delivered(me, port)  # the server's socket, once it has read everything
        return (theirs and theirs.inode) or None

    try:
        return wait_until(drained, REPLY_TIMEOUT, "")
    except WaitTimeout:
        raise AssertionError(
            f"after {what}, the server did not read those bytes within {REPLY_TIMEOUT:g} s: "
            f"is anybody calling recv() on this client's socket? {see('threads')}"
        ) from None


def server_notes(outcome: Outcome) -> str:
    """How the server ended and the tail of its stderr, for a failure message."""
    notes = ""
    if outcome.stopped_by is None:  # it ended by itself, before we stopped it
        if outcome.error is not None:
            notes += f"\n--- serve() raised ---\n{outcome.error.traceback}"
        elif outcome.exit:
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
    return student.start("serve", port, **kwargs)


@contextlib.contextmanager
def serving(student, port: int, **kwargs: object) -> Iterator[Running]:
    """Start ``serve(port, **kwargs)``, wait until it accepts; on a failure add its stderr."""
    handle = start_server(student, port, **kwargs)
    handle.wait_listening(port)  # a stub or a crash fails here with the server's own error
    try:
        yield handle
    except StudentProblem:
        raise
    except AssertionError as exc:
        # Our clients are closed by now: give client threads a moment to end, so a thread that
        # died has printed its traceback before the server is stopped.
        holds_within(lambda: handle.threads() <= 1, 1.0)
        notes = server_notes(handle.stop(grace=0.5))
        raise AssertionError(f"{exc}{notes}") from None


# -- the tests --------------------------------------------------------------------------------

PROTOCOL = [
    ("PING", "PONG", "PING is answered with PONG"),
    ("ECHO hello", "hello", "ECHO answers with its text"),
    ("ECHO a  b", "a  b", "ECHO answers with everything after 'ECHO ', unchanged (spaces too)"),
    ("ECHO 你好，世界", "你好，世界", "lines are UTF-8 both ways"),
    ("ECHO", "", "ECHO with no text answers with an empty line"),
    ("ADD 2 3", "5", "ADD answers with the sum of its two integers"),
    ("ADD -7 100000000000000000000", "99999999999999999993", "integers may be negative and big"),
    ("ADD 2", "ERR bad arguments", "ADD needs exactly two integers"),
    ("ADD two 3", "ERR bad arguments", "ADD needs exactly two integers"),
    ("PING now", "ERR bad arguments", "PING and QUIT take no argument"),
    ("ping", "ERR unknown command", "commands are upper case"),
    ("HELLO", "ERR unknown command", "an unknown command gets an error reply"),
    ("", "ERR unknown command", "an empty line is not a command"),
]


@pytest.mark.points(2)
def test_commands_get_the_documented_replies(student):
    port = free_port()
    with serving(student, port):
        client = Client(port)
        try:
            for request, want, rule in PROTOCOL:
                reply = client.ask(request)
                assert reply == want, (
                    f"sent {request!r}, expected the reply {want!r}, got {reply!r}: {rule} "
                    f"{see('protocol')}"
                )
            bye = client.ask("QUIT")
            assert bye == "BYE", (
                f"sent 'QUIT', expected the reply 'BYE', got {bye!r} {see('protocol')}"
            )
            assert client.at_eof(), (
                f"after replying BYE to QUIT the server kept the connection open for "
                f"{REPLY_TIMEOUT:g} s: close the client's socket after BYE {see('protocol')}"
            )
        finally:
            client.close()


SPLIT_REQUESTS = [
    ([b"AD", b"D 4", b"0 2\n"], "42", "arrived in three pieces"),
    (
        [b"ECHO \xe4\xb8", b"\xad\xe6\x96\x87\n"],
        "中文",
        "arrived in two pieces that cut the UTF-8 character 中 in half; decode whole lines, "
        "not chunks",
    ),
]


@pytest.mark.points(1)
def test_a_line_split_across_sends_is_one_command(student):
    port = free_port()
    with serving(student, port) as handle:
        client = Client(port)
        try:
            for pieces, want, how in SPLIT_REQUESTS:
                for index, piece in enumerate(pieces[:-1]):
                    client.send(piece)
                    # The server has read this piece (and only it) before the next one leaves.
                    wait_server_read(port, client, f"sending {piece!r} (piece {index + 1})")
                client.send(pieces[-1])
                whole = b"".join(pieces)
                reply = client.read_line(f"{whole!r} in pieces {pieces!r}")
                assert reply == want, (
                    f"the request {whole!r} {how}. The server read each piece before the next "
                    f"was sent, and answered {reply!r} instead of {want!r}: it took what one "
                    "recv() returned for a whole line. TCP is a byte stream without message "
                    "boundaries: keep the bytes in a buffer and take a line out only when its "
                    f"b'\\n' has arrived {see('framing')}"
                )
            assert handle.alive(), "the server process ended during the test"
        finally:
            client.close()


@pytest.mark.points(1)
def test_two_lines_in_one_send_get_two_replies(student):
    port = free_port()
    requests = ["PING", "ECHO one", "ADD 1 2", "ECHO two"]
    wants = ["PONG", "one", "3", "two"]
    with serving(student, port):
        client = Client(port)
        try:
            client.send("".join(r + "\n" for r in requests).encode())  # one send(), one segment
            for index, want in enumerate(wants):
                try:
                    reply = client.read_line(f"{len(requests)} request lines in one send()")
                except NoReply:
                    raise AssertionError(
                        f"{len(requests)} request lines arrived in one send(); the server sent "
                        f"{index} reply line(s) and then nothing for {REPLY_TIMEOUT:g} s. One "
                        "recv() can hold several lines (粘包): after each recv(), answer every "
                        f"complete line in the buffer, in order {see('framing')}"
                    ) from None
                assert reply == want, (
                    f"{len(requests)} request lines {requests!r} arrived in one send(); reply "
                    f"{index + 1} was {reply!r}, expected {want!r}. The server took what one "
                    "recv() returned for one line: a recv() can hold several lines (粘包). Split "
                    f"the buffer at every b'\\n' and answer each line in order {see('framing')}"
                )
        finally:
            client.close()


@pytest.mark.points(2)
def test_idle_client_does_not_delay_another(student):
    port = free_port()
    with serving(student, port):
        idle = Client(port)
        busy: Client | None = None
        try:
            idle.send(b"ECHO still ")  # half a line, and then nothing for a while
            busy = Client(port)
            try:
                reply = busy.ask("PING")
            except NoReply:
                raise AssertionError(
                    "a first client connected, sent half a line and waited; a second client "
                    f"sent PING and got no reply within {REPLY_TIMEOUT:g} s. The server serves "
                    "one client at a time: an iterative server (循环服务器), or a thread that is "
                    "started and then joined at once. Start the client's thread and go straight "
                    f"back to accept(); never join it in the accept loop {see('threads')}"
                ) from None
            assert reply == "PONG", f"sent 'PING' on the second connection, got {reply!r}"
            assert busy.ask("ECHO fast") == "fast", "the second client's ECHO got a wrong reply"
            idle.send(b"here\n")
            late = idle.read_line("the rest of the first client's line")
            assert late == "still here", (
                f"the first client finished its line 'ECHO still here' and got {late!r}: each "
                f"client's half line must wait in that client's own buffer {see('framing')}"
            )
        finally:
            idle.close()
            if busy is not None:
                busy.close()


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
        assert not problems, (
            f"{CLIENTS} clients connected at once, each holding its connection open until all "
            f"had a reply; {len(together)} of them were answered while all were connected. "
            "First problems: "
            + "; ".join(problems[:3])
            + ". Every accepted connection needs its own thread, started at once, while the main "
            "thread goes back to accept(); and listen() needs room for clients that arrive "
            f"together (listen(64), or listen() with no argument) {see('threads')}"
        )


@pytest.mark.points(2)
def test_one_thread_per_client_and_no_fork(student):
    port = free_port()
    connected = 5
    with serving(student, port) as handle:
        before = handle.threads()
        clients: list[Client] = []
        try:
            clients = [Client(port) for _ in range(connected)]
            holds_within(
                lambda: handle.threads() >= 1 + connected or handle.children(), REPLY_TIMEOUT
            )
            children = handle.children()
            assert not children, (
                f"with {connected} clients connected, the server process has {len(children)} "
                f"child process(es): {', '.join(p.describe() for p in children[:5])}. That is "
                "the fork server of exercise 20; here each client gets a threading.Thread in the "
                f"same process {see('threads')}"
            )
            threads = handle.threads()
            assert threads >= 1 + connected, (
                f"with {connected} clients connected (none of them sending anything), the server "
                f"process had {threads} thread(s), counted from /proc; expected at least "
                f"{1 + connected}: the main thread that accepts, plus one per client. An iterative "
                "server, or a thread joined right after start(), serves one client and leaves "
                f"the others waiting in the listen queue {see('threads')}"
            )
            for index, client in enumerate(clients):
                reply = client.ask("PING")
                assert reply == "PONG", f"client {index + 1} sent 'PING' and got {reply!r}"
        finally:
            for client in clients:
                client.close()
        assert holds_within(lambda: handle.threads() <= before, REPLY_TIMEOUT), (
            f"all {connected} clients disconnected, yet {REPLY_TIMEOUT:g} s later the server still "
            f"had {handle.threads()} threads (it had {before} before they came). When recv() "
            "returns b'' the client is gone: leave the loop, close the socket, and let the "
            f"thread end (return from its function) {see('threads')}"
        )


@pytest.mark.points(1)
def test_client_reset_mid_line_does_not_stop_the_server(student):
    port = free_port()
    with serving(student, port) as handle:
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
        assert handle.alive(), (
            "a client sent half a line and then reset its connection (RST); the server process "
            "ended. recv() raises ConnectionResetError when a client resets: catch OSError in "
            "the client's thread, close that socket and end that thread; never end the process "
            f"(os._exit, sys.exit in the main thread) for one client's error {see('errors')}"
        )
        after = Client(port)
        try:
            try:
                reply = after.ask("PING")
            except (NoReply, Closed) as exc:
                raise AssertionError(
                    "after one client reset its connection mid-line, a new client's PING got no "
                    f"PONG: {str(exc).splitlines()[0]}. One client's error must not stop the "
                    f"accept loop {see('errors')}"
                ) from None
            assert reply == "PONG", f"after a client reset, a new client's PING got {reply!r}"
        finally:
            after.close()


@pytest.mark.points(1)
def test_non_utf8_line_gets_an_error_reply(student):
    port = free_port()
    with serving(student, port):
        client = Client(port)
        try:
            for raw in (b"ECHO caf\xe9", b"\xff\xfe\xfd"):  # Latin-1, and bytes UTF-8 never uses
                client.send(raw + b"\n")
                try:
                    reply = client.read_line(f"{raw!r} (not UTF-8)")
                except Closed:
                    raise AssertionError(
                        f"sent the line {raw!r}, which is not valid UTF-8, and the server closed "
                        "the connection: decode() raised UnicodeDecodeError and ended the client's "
                        "thread. Catch it and reply 'ERR not utf-8'; the connection stays usable "
                        f"{see('errors')}"
                    ) from None
                assert reply == "ERR not utf-8", (
                    f"sent the line {raw!r}, which is not valid UTF-8; expected the reply "
                    f"'ERR not utf-8', got {reply!r} {see('errors')}"
                )
            reply = client.ask("PING")
            assert reply == "PONG", (
                f"after two lines that were not UTF-8, PING got {reply!r}: the connection must "
                f"stay usable after an error reply {see('errors')}"
            )
        finally:
            client.close()


@pytest.mark.points(1)
def test_overlong_line_is_refused(student):
    port = free_port()
    limit = 64
    with serving(student, port, max_line=limit):
        client = Client(port)
        try:
            exact = "ECHO " + "z" * (limit - 5)
            reply = client.ask(exact)
            assert reply == exact[5:], (
                f"with max_line={limit}, a line of exactly {limit} bytes is allowed; "
                f"its ECHO got {reply!r} {see('long')}"
            )
            reply = client.ask(exact + "z")
            assert reply == "ERR line too long", (
                f"with max_line={limit}, a line of {limit + 1} bytes must get 'ERR line too long', "
                f"got {reply!r} {see('long')}"
            )
            client.send(b"ECHO " + b"x" * 195)  # 200 bytes and no "\n" yet
            try:
                reply = client.read_line(f"200 bytes without a newline (max_line={limit})")
            except NoReply:
                raise AssertionError(
                    f"with max_line={limit}, a client sent 200 bytes without a newline and got "
                    f"no reply within {REPLY_TIMEOUT:g} s. The server waits for the end of the "
                    "line, buffering everything: a client that never sends '\\n' makes it buffer "
                    f"forever. As soon as the buffer holds more than max_line bytes without a "
                    f"'\\n', reply 'ERR line too long' and drop the rest of that line {see('long')}"
                ) from None
            except Closed:
                raise AssertionError(
                    f"with max_line={limit}, a client sent 200 bytes without a newline and the "
                    "server closed the connection. Reply 'ERR line too long', drop the rest of "
                    f"the line as it arrives and keep serving this client {see('long')}"
                ) from None
            assert reply == "ERR line too long", (
                f"200 bytes without a newline (max_line={limit}) got {reply!r}, expected "
                f"'ERR line too long' {see('long')}"
            )
            client.send(b"x" * 100 + b"\nPING\n")  # the refused line ends; then a good one
            reply = client.read_line("the end of the refused line, then 'PING'")
            assert reply == "PONG", (
                "after 'ERR line too long' the client sent the rest of that line, its '\\n', and "
                f"then PING; the next reply was {reply!r}, expected 'PONG'. The rest of a refused "
                f"line, up to and including its '\\n', is dropped without another reply "
                + see("long")
            )
        finally:
            client.close()


@pytest.mark.points(1)
def test_line_buffer_stays_bounded(student):
    port = free_port()
    with serving(student, port) as handle:  # the default max_line, 1024
        client = Client(port)
        try:
            allowed = "ECHO " + "a" * 1019
            reply = client.ask(allowed)
            assert reply == allowed[5:], (
                f"serve(port) without max_line must allow lines of 1024 bytes; got {reply[:40]!r}"
            )
            before = probe.peak_memory_kib(handle.pid)
            try:
                client.send(b"y" * BIG_LINE + b"\nPING\n")
            except TimeoutError:
                raise AssertionError(
                    f"a client sending one {BIG_LINE >> 20} MiB line could not get it through in "
                    f"{REPLY_TIMEOUT:g} s: the server stopped reading, or copies its whole "
                    f"buffer on every recv(). Keep at most max_line bytes {see('long')}"
                ) from None
            replies = []
            with contextlib.suppress(NoReply, Closed):
                replies.append(client.read_line(f"a {BIG_LINE >> 20} MiB line"))
                replies.append(client.read_line("'PING' after the long line"))
            growth = probe.peak_memory_kib(handle.pid) - before
            assert growth < MEMORY_SLACK_KIB, (
                f"while one client sent a single {BIG_LINE >> 20} MiB line, the server's peak "
                f"memory grew by {growth / 1024:.1f} MiB: it kept the line in its buffer. One "
                "client could exhaust the server's memory this way. Once the buffer holds more "
                "than max_line bytes without a '\\n', reply the error and throw away what "
                f"arrives until the next '\\n' {see('long')}"
            )
            assert replies == ["ERR line too long", "PONG"], (
                f"one {BIG_LINE >> 20} MiB line and then PING got the replies {replies!r}, "
                f"expected ['ERR line too long', 'PONG'] {see('long')}"
            )
        finally:
            client.close()


@pytest.mark.points(2)
def test_sigterm_stops_it_and_the_port_is_free_again(student):
    port = free_port()
    handle = start_server(student, port)
    handle.wait_listening(port)
    leaver = Client(port)
    idle: Client | None = None
    try:
        assert leaver.ask("QUIT") == "BYE", "QUIT did not get 'BYE'"
        assert leaver.at_eof(), "after BYE the server did not close the connection"
        leaver.close()  # the server closed first: its side of this connection is in TIME_WAIT
        idle = Client(port)
        # Answered, so this client's thread exists; now it waits in recv().
        assert idle.ask("PING") == "PONG", "PING did not get 'PONG'"
    except AssertionError as exc:
        if idle is not None:
            idle.close()
        raise AssertionError(f"{exc} {see('protocol')}{server_notes(handle.stop(0.5))}") from None
    finally:
        leaver.close()
    outcome = handle.stop(grace=1.0)
    idle.close()
    assert outcome.stopped_by == "SIGTERM", (
        f"SIGTERM did not stop the server within 1 s (it had to be killed with SIGKILL) while "
        "one client was connected and idle. SIGTERM's default action ends the process at once; "
        "if you install a handler, raise SystemExit in it, and make client threads daemon "
        f"threads (daemon=True) so an idle client cannot keep the process alive {see('stop')}"
        if outcome.stopped_by == "SIGKILL"
        else f"the server had ended before it was told to stop{server_notes(outcome)}"
    )
    again = start_server(student, port)  # a restart on the same port, at once
    try:
        again.wait_listening(port)
    except StudentProblem as exc:
        first = str(exc).splitlines()[0]
        raise AssertionError(
            f"the server stopped, and starting it again on port {port} right away failed: "
            f"{first}. The old server closed connections first, so the kernel keeps them in "
            "TIME_WAIT on that port for up to a minute, and bind() refuses the port meanwhile. "
            "Set SO_REUSEADDR on the listening socket before bind(): "
            f"sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1) {see('stop')}\n{exc}"
        ) from None
    client = Client(port)
    try:
        assert client.ask("PING") == "PONG", "the restarted server did not answer PING with PONG"
    finally:
        client.close()


def _main_thread_in_accept() -> bool:
    """True while this process's main thread is blocked in accept() (its kernel wait channel)."""
    try:
        with open(f"/proc/self/task/{os.getpid()}/wchan") as f:
            return f.read().strip() == "inet_csk_accept"
    except OSError:
        return True  # no /proc: nothing to wait for


def _serve_until_sigterm(module: ModuleType, port: int) -> dict[str, object]:
    """Scenario: run serve(port) here; a helper connects one client that stays idle, then sends
    SIGTERM to this process. Returns how serve() ended, whether the client had been answered
    before (a serve() that ends at once has no thread to hold it up, and proves nothing), and
    which non-daemon threads were still running then: at exit Python waits for each of them,
    so any one of those would keep a real server process alive. (A SIGTERM left at its default
    action kills this process instead.)
    """
    idle: list[socket.socket] = []
    answers: list[bytes] = []

    def client() -> None:
        try:
            wait_until(lambda: accepts(port), REPLY_TIMEOUT, "")
            sock = connect(port, timeout=REPLY_TIMEOUT)
            idle.append(sock)  # stays open and silent: its thread waits in recv()
            sock.sendall(b"PING\n")
            reply = b""
            while not reply.endswith(b"\n"):  # answered: the client's thread is there
                chunk = sock.recv(64)
                if not chunk:
                    break
                reply += chunk
            answers.append(reply)
            # Signal only while the main thread sits in accept(): an exception raised by a
            # handler at an arbitrary bytecode can leave a lock of the threading module held
            # (a CPython hazard), and this scenario then hangs in threading.enumerate().
            holds_within(_main_thread_in_accept, REPLY_TIMEOUT)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=client, name="test client", daemon=True).start()
    ended = "returned"
    try:
        module.serve(port)
    except SystemExit:
        ended = "raised SystemExit"
    main = threading.main_thread()
    blockers = [
        t.name for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()
    ]
    return {"ended": ended, "answered": answers == [b"PONG\n"], "blockers": blockers}


@pytest.mark.points(1)
def test_sigterm_is_not_held_up_by_client_threads(student):
    outcome = student.options(deadline=2 * REPLY_TIMEOUT).run_scenario(
        _serve_until_sigterm, free_port()
    )
    if not outcome.returned and outcome.exit is not None and outcome.exit.killed_by(signal.SIGTERM):
        return  # SIGTERM's default action: the process ended at once, threads and all
    assert not outcome.timed_out, (
        f"serve() was still running {2 * REPLY_TIMEOUT:g} s after the process got SIGTERM, with "
        "one idle client connected. Leave SIGTERM at its default action, or make your handler "
        f"raise SystemExit so the accept loop ends {see('stop')}{server_notes(outcome)}"
    )
    report = outcome.value_or_raise()
    assert isinstance(report, dict), f"the scenario returned {report!r}"
    assert report["answered"], (
        f"serve() {report['ended']} before it had answered a client. This test connects one "
        "client, sends PING, waits for PONG, and only then sends SIGTERM: serve() must keep "
        f"accepting and answering clients until the process is told to stop {see('stop')}"
    )
    blockers = report["blockers"]
    assert not blockers, (
        f"after SIGTERM, serve() {report['ended']}, but {len(blockers)} non-daemon thread(s) "
        f"({', '.join(map(str, blockers[:3]))}) were still running, waiting for an idle client. "
        "Python waits for every non-daemon thread before the process exits, so this server "
        "would hang on SIGTERM until the client leaves. Start client threads with daemon=True "
        f"{see('stop')}"
    )
