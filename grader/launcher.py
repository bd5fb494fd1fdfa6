"""The launcher: a copy of the session, made once after collection, that forks the test
processes one test ahead (Linux).

Forking the session for every test costs the session too: a fork write-protects all its
pages, so afterwards every page the session writes faults and is copied (about 750 per test
here), and the fork itself (about 2 ms) stands between two tests. The launcher is forked
from the session once, when the first test is due, and does nothing but fork: while one
test runs on one core, it forks the process for the next test on the other, and that
process waits until the session hands it a test. The session never forks again, so its
pages stay its own.

Who owns what:

* The session owns the launcher (its child), our end of the control socket, and the one
  prepared test process's hand-over socket until it hands a test over (then closes it).
  :meth:`Launcher.close` ends the launcher, which kills and reaps every test process it
  still has (an unused prepared one, the last one still exiting) and exits; the session
  reaps the launcher.
* The launcher owns and reaps the test processes it forks, and tells the session each one's
  wait status; the session decides when one is killed (it signals the test's process group).
* A prepared test process owns nothing of the session's: it closes the control socket at
  once, and on the hand-over receives the test's name and key, its report pipe's write end
  and its output file, as the session's direct fork would have had them. It answers on the
  hand-over socket once it has them: one that dies before that (a kill that was on its
  way) never took its test, and the session forks that test itself. What ``ready()``
  starts in it (a sandbox forked ahead) is its own: one that is not needed kills and reaps
  that before it exits.

Before its first fork the launcher *rehearses* (the session's ``rehearse()``: it learns
where the statements of the session's specs start, :mod:`grader.sources`, and runs two
made-up tests through a test process's path), makes one MAC
(:func:`grader.secret.warm_up`: OpenSSL sets it up lazily, and would in every test process)
and freezes its heap (:mod:`grader.heap`), so every test process starts from warm,
specialised code and, where CPython allows, objects whose reference counts it never
writes: fewer of its pages are copied during its test. That takes the launcher 0.1-0.5 s
(most of it learning sources and, on 3.12+, making the heap immortal); meanwhile the
session forks the tests that are due itself (:meth:`Launcher.warming_up`), on the other
core, rather than wait, and a launcher that never got ready is killed at the end.

Student code never runs in the launcher: it runs in sandboxes below a test process, which
run as another uid when the grader is root. The launcher holds no key (it scrubs the
results key at once) and is not dumpable, like the session. If it dies anyway (a student
of the same uid can kill it), the test that was running fails with an error that says so,
and the session forks the rest of its tests itself, as it did before.
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import select
import signal
import socket
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, NoReturn

from grader import heap, isolation, secret
from grader.isolation import Deadline

_MESSAGE_MAX = 1 << 16
_TAKEN = b"taken"  # what a prepared process answers once it has its test
PREPARE_WAIT = 3.0  # seconds to wait for a prepared process before forking the test here
SignalHandler = Callable[[int, FrameType | None], Any] | int | None  # what signal.signal returned


class LauncherGone(Exception):
    """The launcher died or broke its protocol: the session must fork tests itself."""


@dataclass(frozen=True)
class Handover:
    """What a prepared test process receives: the test and everything the session keeps."""

    nodeid: str
    key: bytearray  # never copied into an immutable object: sandboxes scrub this one
    workdir: str
    hangs: list[list[str]]  # [[key, label, function, test], ...] known to the session


@dataclass(frozen=True)
class _Roles:
    """What a test process runs: ``ready()`` before it waits for its test, then ``run_test``;
    and what the launcher runs once before its first fork: ``rehearse()``."""

    run_test: Callable[[Handover, int, int], NoReturn]
    ready: Callable[[], None]
    rehearse: Callable[[], None]


@dataclass
class _Prepared:
    pid: int
    sock: socket.socket


class Launcher:
    """The session's handle on its launcher (see the module's docstring for ownership)."""

    def __init__(self, pid: int, control: socket.socket) -> None:
        self.pid = pid
        self._control = control
        self._prepared: deque[_Prepared] = deque()
        self._statuses: dict[int, int] = {}
        self._forgotten: set[int] = set()  # test processes whose end nobody will ask for
        self._last_started = False  # the session's last test has its process: none is prepared
        self._warmed_up = False  # it has prepared a test process: its warm-up is over

    @classmethod
    def start(
        cls,
        run_test: Callable[[Handover, int, int], NoReturn],
        ready: Callable[[], None],
        rehearse: Callable[[], None] = lambda: None,
        sessions_own: Sequence[int] = (),
    ) -> Launcher:
        """Fork the launcher from this session. ``ready()`` runs in each test process before
        it waits for its test; ``run_test(handover, report_w, output_fd)`` once it has its
        test, and never returns. ``rehearse()`` runs in the launcher before its first fork,
        so that every test process inherits what it warmed. ``sessions_own``: descriptors
        the launcher closes at once, so that no test process inherits them."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        session = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the launcher never returns
            ours.close()
            for fd in sessions_own:
                os.close(fd)
            _serve(theirs, session, _Roles(run_test, ready, rehearse))
        theirs.close()
        return cls(pid, ours)

    def start_test(
        self,
        handover: Handover,
        report_w: int,
        output_fd: int,
        deadline: Deadline,
        last: bool = False,
    ) -> int:
        """Hand a test to the prepared process; its pid. The caller keeps its descriptors.
        ``last``: no test comes after it, so the launcher prepares no process for one (a
        process, and the sandbox it forks ahead, that the session's end would only kill)."""
        if self._last_started:
            raise LauncherGone("the launcher was told that the last test had started")
        prepared = self._next_prepared(deadline)
        if len(handover.key) != secret.MAC_BYTES:
            raise ValueError(f"a key of {len(handover.key)} bytes")
        payload = json.dumps(
            {"nodeid": handover.nodeid, "workdir": handover.workdir, "hangs": handover.hangs}
        ).encode()
        try:
            # The key goes first, as it is: the test process receives it straight into a
            # bytearray of its own that it can scrub (see _await_test).
            socket.send_fds(prepared.sock, [handover.key, payload], [report_w, output_fd])
            # It says when it has its test. Until then a kill already on its way (a
            # sibling's, say) may still end it, and a test it never took costs no test.
            taken = _taken(prepared.sock, Deadline(PREPARE_WAIT))
        except OSError as exc:
            raise LauncherGone(f"the prepared test process {prepared.pid} is gone: {exc}") from exc
        finally:
            prepared.sock.close()
        if not taken:
            try:
                os.kill(prepared.pid, signal.SIGKILL)  # stopped, perhaps: never to run it now
            except OSError:
                pass
            raise LauncherGone(f"the prepared test process {prepared.pid} did not take its test")
        self._last_started = last
        try:
            self._control.send(f"go {prepared.pid}{' last' if last else ''}".encode())
        except OSError:
            # The launcher is gone, but the test has begun: the process took it and runs it
            # (its own code may be what killed the launcher). It is never run a second time:
            # it dies with its launcher, and waiting for it (wait_exit) reads the launcher's
            # end, so the session fails this test with that.
            pass
        return prepared.pid

    def wait_exit(self, pid: int, deadline: Deadline, readable: int | None = None) -> int | None:
        """Like :func:`grader.isolation.wait_child` for a test process of the launcher's: its
        wait status once it has ended, or None when the deadline passed or ``readable`` has
        data first."""
        poller = select.poll()
        poller.register(self._control.fileno(), select.POLLIN)
        if readable is not None:
            poller.register(readable, select.POLLIN | select.POLLHUP)
        while True:
            if pid in self._statuses:
                return self._statuses.pop(pid)
            if deadline.expired():
                return None
            events = poller.poll(deadline.remaining() * 1000)
            if any(fd == self._control.fileno() for fd, _ in events):
                self._receive()
            elif readable is not None and events:
                return self._statuses.pop(pid, None)

    def warming_up(self) -> bool:
        """Whether the launcher is still warming up (it has not yet prepared its first test
        process), from what it has said so far; never waits. Raises LauncherGone."""
        while not self._warmed_up and select.select([self._control], [], [], 0)[0]:
            self._receive()
        return not self._warmed_up

    def close_in_child(self) -> None:
        """In a test process the session forked itself: let go of our copies of the
        launcher's descriptors (it must not be able to speak for the session)."""
        for prepared in self._prepared:
            prepared.sock.close()
        self._control.close()

    def forget(self, pid: int) -> None:
        """Nobody will ask for this test process's wait status (it reported and swept)."""
        if self._statuses.pop(pid, None) is None:
            self._forgotten.add(pid)

    def _next_prepared(self, deadline: Deadline) -> _Prepared:
        if not self._prepared and deadline.remaining() > PREPARE_WAIT:
            deadline = Deadline(PREPARE_WAIT)  # a fork takes milliseconds: it is stuck
        while not self._prepared:
            if deadline.expired():
                raise LauncherGone("the launcher did not prepare a test process in time")
            ready, _, _ = select.select([self._control], [], [], deadline.remaining())
            if ready:
                self._receive()
        return self._prepared.popleft()

    def _receive(self) -> None:
        """Read one message of the launcher's: a prepared process or a test process's end."""
        try:
            data, fds, _, _ = socket.recv_fds(self._control, _MESSAGE_MAX, 1)
        except OSError as exc:
            raise LauncherGone(f"the launcher is gone: {exc}") from exc
        words = data.decode(errors="replace").split()
        if words[:1] == ["ready"] and len(words) == 2 and len(fds) == 1:
            self._warmed_up = True
            self._prepared.append(_Prepared(int(words[1]), socket.socket(fileno=fds[0])))
            return
        for fd in fds:
            os.close(fd)
        if words[:1] == ["exit"] and len(words) == 3:
            pid = int(words[1])
            if pid in self._forgotten:
                self._forgotten.discard(pid)
            else:
                self._statuses[pid] = int(words[2])
            return
        if not data:
            raise LauncherGone("the launcher ended")
        raise LauncherGone(f"the launcher said {data[:200]!r}")

    def close(self, broken: bool = False) -> None:
        """End the launcher: it kills and reaps its test processes and exits. One
        that is ``broken`` (stopped, say), or still warming up (it would answer only once
        done, and no test is left to gain from it), is SIGKILLed at once; its prepared
        process dies with it."""
        broken = broken or not self._warmed_up
        for prepared in self._prepared:
            prepared.sock.close()
        self._prepared.clear()
        self._control.close()
        status = None if broken else isolation.wait_child(self.pid, Deadline(5.0))
        if status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            isolation.wait_child(self.pid, Deadline(5.0))


# -- the launcher's side -----------------------------------------------------------------------


def _serve(control: socket.socket, session: int, roles: _Roles) -> NoReturn:
    """Keep one test process prepared; when the session starts it, prepare the next (unless
    the session said it starts its last test) and wait for the started one to end. Ends
    when the session closes the control socket."""
    try:
        isolation.die_with_parent(session)
        secret.scrub_all()  # the results key stays with the session
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the session's
        roles.rehearse()
        secret.warm_up()  # where nothing was rehearsed, this at least is set up once here
        heap.freeze()  # what every test process inherits: never collected or counted there
        prepared: int | None = _prepare(control, roles, interrupt)
        while True:
            message = control.recv(_MESSAGE_MAX)
            words = message.decode(errors="replace").split()
            if prepared is None:
                break  # its last test has ended: nothing is left to start
            go = ["go", str(prepared)]
            if words not in (go, [*go, "last"]):
                break  # the session hung up (or is confused): we are done
            started = prepared
            prepared = _prepare(control, roles, interrupt) if words == go else None
            _, status = os.waitpid(started, 0)
            control.send(f"exit {started} {status}".encode())
    except BaseException:
        pass  # the session sees the control socket close and says so
    finally:
        # Every process of ours ends before we do, not only the prepared one: the test the
        # session started may still be exiting, and a session that hung up while we were
        # preparing never learnt of that process. Left to our parent-death signal they would
        # still be dying after the session ended, and the grader would count them as left
        # behind by the student's tests.
        with contextlib.suppress(BaseException):
            isolation.kill_tree(os.getpid())
        os._exit(0)


def _prepare(control: socket.socket, roles: _Roles, interrupt: SignalHandler) -> int:
    """Fork a test process that waits for its test; tell the session. Its pid."""
    launcher = os.getpid()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the test process never returns
        control.close()
        ours.close()
        _await_test(theirs, launcher, roles, interrupt)
    theirs.close()
    try:
        socket.send_fds(control, [f"ready {pid}".encode()], [ours.fileno()])
    finally:
        ours.close()
    return pid


def _await_test(
    sock: socket.socket, launcher: int, roles: _Roles, interrupt: SignalHandler
) -> NoReturn:
    """In a prepared test process: get ready, wait for the test, then run it (never returns)."""
    try:
        isolation.die_with_parent(launcher)
        roles.ready()
        _rehearse_taking()
        key, body = bytearray(secret.MAC_BYTES), bytearray(_MESSAGE_MAX)
        size, fds = _receive_into(sock, [key, body], 2)
        if size == 0 or len(fds) != 2:
            _exit_unneeded(0)  # not needed after all
        handover = _handover(body[: size - secret.MAC_BYTES], secret.adopt(key))
        signal.signal(signal.SIGINT, interrupt if interrupt is not None else signal.SIG_DFL)
        sock.send(_TAKEN)
        sock.close()
    except BaseException:
        _exit_unneeded(1)  # the session sees no report and names the exit
    roles.run_test(handover, fds[0], fds[1])


def _handover(request: bytes | bytearray, key: bytearray) -> Handover:
    """The test a prepared process is handed, from the session's JSON request and key."""
    fields = json.loads(request)
    return Handover(
        nodeid=str(fields["nodeid"]),
        key=key,
        workdir=str(fields["workdir"]),
        hangs=[[str(part) for part in hang] for hang in fields["hangs"]],
    )


_MADE_UP_REQUEST = json.dumps(
    {"nodeid": "t.py::t", "workdir": "/", "hangs": [["k", "f"]]}
).encode()  # as the session sends it: bytes, read from a bytearray


def _rehearse_taking() -> None:
    """In a prepared process, before it waits: take a made-up test the way it will take its
    own (read the request, set SIGINT's handler), so that the pages those first calls write
    (the JSON decoder's, the signal module's) are copied while the previous test runs, not
    between the session's hand-over and the test: that step took 0.41 ms on 3.11 and 0.25 ms
    on 3.13 before, 0.24 and 0.17 ms after (benchmarks/cycle.py). SIGINT stays ignored
    here until the real test is taken."""
    _handover(bytearray(_MADE_UP_REQUEST), bytearray(secret.MAC_BYTES))
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_unneeded(code: int) -> NoReturn:
    """End a prepared process that runs no test, and first what ``ready()`` started in it (a
    sandbox forked ahead): left to end on its own, it would be re-parented to the session and
    could outlive it, and the grader would count it as left behind by the student's tests."""
    with contextlib.suppress(BaseException):
        isolation.sweep_descendants()
    os._exit(code)


def _taken(sock: socket.socket, deadline: Deadline) -> bool:
    """Whether the prepared process at the other end of ``sock`` says it took its test
    before ``deadline``; False at end of file (it died) or when the deadline passes."""
    ready, _, _ = select.select([sock], [], [], deadline.remaining())
    return bool(ready) and sock.recv(len(_TAKEN)) == _TAKEN


def _receive_into(
    sock: socket.socket, buffers: list[bytearray], max_fds: int
) -> tuple[int, list[int]]:
    """One message straight into ``buffers`` (no copy made on the way), and the descriptors
    that came with it: (bytes received, descriptors)."""
    fds = array.array("i")
    size, ancillary, _, _ = sock.recvmsg_into(buffers, socket.CMSG_SPACE(max_fds * fds.itemsize))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    return size, list(fds)


def supported() -> bool:
    """The launcher needs Linux: a child subreaper session and descriptor passing."""
    return sys.platform.startswith("linux")
