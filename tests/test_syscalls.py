"""grader.syscalls: what a thread is blocked in, checked against waits this test sets up.

Each wait runs in a thread of this process (a process may always read its own threads' calls)
or, where it cannot be ended from outside cleanly, in a forked child that the test kills.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import multiprocessing
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from conftest import fork_child

from grader import polling, probe, syscalls
from grader.isolation import Deadline, wait_child

LINUX_TABLE = pytest.mark.skipif(
    syscalls.NAMES is None, reason="the syscall table of this platform is not known"
)
pytestmark = pytest.mark.usefixtures("dumpable")  # as a sandbox is: see conftest.dumpable


def _call_of(pid: int, tid: int, wanted: Callable[[syscalls.Call], bool]) -> syscalls.Call:
    """Poll until thread ``tid`` of ``pid`` shows a call that ``wanted`` accepts."""
    found: list[syscalls.Call] = []

    def seen() -> bool:
        found[:] = [c for c in syscalls.threads(pid) or [] if c.tid == tid and wanted(c)]
        return bool(found)

    polling.wait_until(seen, 10.0, f"thread {tid} of {pid} in the wait")
    return found[0]


@contextlib.contextmanager
def _waiting_thread(wait: Callable[[], object]) -> Iterator[int]:
    """Run ``wait`` in a thread of this process; yield its thread id. The test ends the wait
    (it writes to or closes what the thread waits on); the thread is joined here."""
    tid: list[int] = []
    started = threading.Event()

    def body() -> None:
        tid.append(threading.get_native_id())
        started.set()
        wait()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    assert started.wait(10.0)
    try:
        yield tid[0]
    finally:
        thread.join(10.0)
        assert not thread.is_alive()


@contextlib.contextmanager
def _waiting_child(wait: Callable[[], object], dumpable: int = 1) -> Iterator[int]:
    """Run ``wait`` in a forked child with its dumpable flag set so (the grader may have made
    this process non-dumpable, and a child inherits it); yield its pid. The child is killed
    and reaped here."""

    def body() -> None:  # pragma: no cover - the child
        ctypes.CDLL(None).prctl(4, dumpable, 0, 0, 0)  # PR_SET_DUMPABLE
        wait()

    pid = fork_child(body)
    try:
        yield pid
    finally:
        os.kill(pid, signal.SIGKILL)
        wait_child(pid, Deadline(10.0))


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_a_line_is_parsed_into_the_call_and_its_arguments() -> None:
    running = syscalls.parse(7, "running\n")
    assert (running.name, running.blocked, running.args) == ("running", False, ())
    between = syscalls.parse(7, "-1 0x7ffd1000 0x401000\n")
    assert not between.blocked and not between.waits_for_input
    unknown = syscalls.parse(7, "999 0x1 0x2 0x3 0x4 0x5 0x6 0x7ffd1000 0x401000\n")
    assert unknown.name == "syscall 999" and unknown.args == (1, 2, 3, 4, 5, 6)
    assert unknown.blocked and not unknown.waits_for_input
    assert syscalls.input_fds(os.getpid(), unknown) is None


def test_a_process_that_is_gone_cannot_be_told() -> None:
    pid = fork_child(lambda: 0)
    wait_child(pid, Deadline(10.0))
    assert syscalls.threads(pid) is None


@LINUX_TABLE
def test_a_receive_waits_for_its_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    with _waiting_thread(lambda: a.recv(1)) as tid:
        call = _call_of(os.getpid(), tid, lambda c: c.name in syscalls.RECEIVES)
        assert call.waits_for_input and not call.peeks
        assert syscalls.input_fds(os.getpid(), call) == {a.fileno()}
        b.send(b"x")


@LINUX_TABLE
def test_a_peek_is_no_wait_for_input(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    with _waiting_thread(lambda: a.recv(1, socket.MSG_PEEK)) as tid:
        call = _call_of(os.getpid(), tid, lambda c: c.name in syscalls.RECEIVES)
        assert call.peeks and not call.waits_for_input
        assert syscalls.input_fds(os.getpid(), call) is None
        b.send(b"x")


@LINUX_TABLE
def test_a_select_waits_for_its_read_set(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    c, d = socket.socketpair()
    with c, d, _waiting_thread(lambda: select.select([a, c], [], [])) as tid:
        call = _call_of(os.getpid(), tid, lambda c: c.name in syscalls.SELECTS)
        assert syscalls.input_fds(os.getpid(), call) == {a.fileno(), c.fileno()}
        b.send(b"x")


@LINUX_TABLE
def test_a_poll_waits_for_its_input_entries(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    c, d = socket.socketpair()
    poller = select.poll()
    poller.register(a, select.POLLIN)
    poller.register(c, select.POLLPRI)  # watched, but not for input
    with c, d, _waiting_thread(lambda: poller.poll()) as tid:
        call = _call_of(os.getpid(), tid, lambda c: c.name in syscalls.POLLS)
        assert syscalls.input_fds(os.getpid(), call) == {a.fileno()}
        b.send(b"x")


@LINUX_TABLE
def test_an_epoll_waits_for_what_it_watches(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    c, d = socket.socketpair()
    epoll = select.epoll()
    epoll.register(a, select.EPOLLIN)
    epoll.register(c, select.EPOLLPRI)
    with c, d, epoll, _waiting_thread(lambda: epoll.poll()) as tid:
        call = _call_of(os.getpid(), tid, lambda c: c.name in syscalls.EPOLLS)
        assert syscalls.input_fds(os.getpid(), call) == {a.fileno()}
        b.send(b"x")


@LINUX_TABLE
def test_a_wait_for_a_signal_is_rt_sigtimedwait() -> None:
    def wait() -> None:  # pragma: no cover - the child
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
        signal.sigtimedwait({signal.SIGUSR2}, 60)

    with _waiting_child(wait) as pid:
        call = _call_of(pid, pid, lambda c: c.name in syscalls.SIGNAL_WAITS)
        assert call.name == "rt_sigtimedwait" and not call.waits_for_input


@LINUX_TABLE
def test_a_sleep_waits_on_nothing() -> None:
    """time.sleep() is clock_nanosleep since 3.11, a select() on no descriptor before."""
    with _waiting_child(lambda: time.sleep(60)) as pid:
        call = _call_of(pid, pid, lambda c: c.blocked and c.name != "futex")
        assert call.name in syscalls.SLEEPS or (
            call.name in syscalls.SELECTS and syscalls.input_fds(pid, call) == frozenset()
        ), call


@LINUX_TABLE
def test_a_process_that_hides_its_calls_is_named_hidden() -> None:
    """A non-dumpable process's syscall files are root's: a judge that is not root is told
    that the process hid them; root reads them all the same."""
    with _waiting_child(lambda: time.sleep(60), dumpable=0) as pid:
        if os.geteuid() == 0:
            _call_of(pid, pid, lambda c: c.blocked)
        else:
            polling.wait_until(lambda: probe.non_dumpable(pid), 10.0, "the child hides")
            with pytest.raises(syscalls.Hidden):
                syscalls.threads(pid)


@LINUX_TABLE
def test_a_wait_for_a_signal_shows_the_set_it_waits_for() -> None:
    def wait() -> None:  # pragma: no cover - the child
        wanted = {signal.SIGUSR1, signal.SIGWINCH, signal.SIGRTMIN + 3}
        signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
        signal.sigtimedwait(wanted, 60)

    with _waiting_child(wait) as pid:
        call = _call_of(pid, pid, lambda c: c.name == "rt_sigtimedwait")
        assert syscalls.signals_waited(pid, call) == {
            signal.SIGUSR1,
            signal.SIGWINCH,
            signal.SIGRTMIN + 3,
        }
    sleeping = syscalls.parse(pid, "35 0x1 0x2 0x3 0x4 0x5 0x6 0x7ffd1000 0x401000\n")
    assert syscalls.signals_waited(pid, sleeping) is None


@LINUX_TABLE
def test_a_multiprocessing_semaphore_wait_names_its_file() -> None:
    """Two processes blocked on one multiprocessing semaphore wait on the same file; a
    threading lock's futex lies on no semaphore."""
    shared = multiprocessing.get_context("fork").Semaphore(0)
    lock = threading.Lock()
    lock.acquire()
    with _waiting_child(shared.acquire) as first, _waiting_child(shared.acquire) as second:
        seen = set()
        for pid in (first, second):
            call = _call_of(pid, pid, lambda c: c.name == "futex" and c.blocked)
            seen.add(syscalls.Semaphores(pid).waited_on(call))
        assert len(seen) == 1 and None not in seen
        futex_wake = 1  # a release (sem_post) on its way through the same word: no wait
        waking = dataclasses.replace(call, args=(call.args[0], futex_wake, *call.args[2:]))
        assert syscalls.Semaphores(second).waited_on(waking) is None
        with _waiting_child(lock.acquire) as third:
            call = _call_of(third, third, lambda c: c.name == "futex" and c.blocked)
            assert syscalls.Semaphores(third).waited_on(call) is None
    with pytest.raises(ProcessLookupError):
        syscalls.Semaphores(first).waited_on(call)  # it was killed and reaped


@LINUX_TABLE
def test_a_timed_semaphore_wait_stopped_and_continued_is_still_on_its_file() -> None:
    """The kernel restarts a timed futex wait after SIGSTOP and SIGCONT as restart_syscall,
    with the futex word still its first argument."""
    shared = multiprocessing.get_context("fork").Semaphore(0)
    with _waiting_child(lambda: shared.acquire(timeout=60)) as pid:
        call = _call_of(pid, pid, lambda c: c.name == "futex" and c.blocked)
        semaphores = syscalls.Semaphores(pid)
        before = semaphores.waited_on(call)
        assert before is not None
        os.kill(pid, signal.SIGSTOP)
        polling.wait_until(lambda: probe.read(pid).state == "T", 10.0, "the child stopped")
        os.kill(pid, signal.SIGCONT)
        again = _call_of(pid, pid, lambda c: c.name == "restart_syscall")
        assert again.args[0] == call.args[0]
        assert semaphores.waited_on(again) == before
