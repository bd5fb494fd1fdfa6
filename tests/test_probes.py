"""The judge's eyes: process-table, socket and polling probes, checked against known states."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator

import pytest
from conftest import fork_child

from grader import isolation, net, polling, probe, timeline
from grader.isolation import Deadline, kill_tree, reap_own_children, wait_child


@pytest.fixture
def family() -> Iterator[dict[str, int]]:
    """A child that forks a grandchild and a zombie child of its own, then waits to be killed."""
    ready_r, ready_w = os.pipe()

    def child() -> None:  # pragma: no cover - the child
        os.close(ready_r)
        fork_child(lambda: 3)  # becomes a zombie: its parent never waits
        grandchild = fork_child(signal.pause)
        os.write(ready_w, f"{grandchild}\n".encode())
        signal.pause()

    pid = fork_child(child)
    os.close(ready_w)
    with os.fdopen(ready_r) as ready:
        grandchild = int(ready.readline())
    polling.wait_until(lambda: probe.zombies(pid), 5.0, "the zombie appears")
    yield {"child": pid, "grandchild": grandchild}
    kill_tree(pid, include_root=True)
    with contextlib.suppress(ChildProcessError):  # a test may have reaped it already
        wait_child(pid, Deadline(5.0))
    reap_own_children()  # the grandchild, re-parented to us when its parent died


def test_children_descendants_and_zombies(family: dict[str, int]) -> None:
    child = family["child"]
    kids = probe.children(child)
    assert len(kids) == 2 and family["grandchild"] in [k.pid for k in kids]
    (zombie,) = probe.zombies(child)
    assert zombie.zombie and zombie.ppid == child and not probe.alive(zombie.pid)
    assert {p.pid for p in probe.descendants(os.getpid())} >= {
        child,
        family["grandchild"],
        zombie.pid,
    }
    outside = {p.pid for p in probe.descendants(os.getpid(), skip=frozenset({child}))}
    assert not outside & {child, family["grandchild"], zombie.pid}, "skip leaves out the subtree"
    assert probe.alive(child) and probe.read(child).ppid == os.getpid()  # type: ignore[union-attr]
    assert "state Z" in probe.describe_all([zombie])
    # A zombie has no arguments left to read: unknown, not "no arguments"; a fork that has not
    # exec'd shows the arguments of the program it was forked from.
    assert probe.cmdline(zombie.pid) is None
    assert probe.cmdline(child) == probe.cmdline(os.getpid()) and probe.cmdline(child)


def test_cmdline_is_the_kernels_copy_of_argv() -> None:
    argv = [sys.executable, "-c", "import time; time.sleep(30)", "a b; $(x) 'q'", "naïve", ""]
    proc = subprocess.Popen(argv)
    try:
        assert polling.holds_within(lambda: probe.cmdline(proc.pid) == argv, 10.0)
    finally:
        proc.kill()
        proc.wait()
    assert probe.cmdline(proc.pid) is None  # gone


def test_subtree_walks_down_from_its_roots(family: dict[str, int]) -> None:
    child = family["child"]
    below = probe.subtree([child])
    (zombie,) = probe.zombies(child)
    assert set(below) == {child, family["grandchild"], zombie.pid}
    assert below[zombie.pid].zombie and below[family["grandchild"]].ppid == child
    mine = probe.subtree([os.getpid()], skip=frozenset({child}))
    assert os.getpid() in mine and not set(mine) & set(below), "skip leaves out the subtree"
    assert probe.subtree([child], skip=frozenset({child})) == {}


@pytest.mark.skipif(not probe.HAS_CHILDREN_FILES, reason="the kernel lists no children")
def test_a_walk_that_missed_a_moving_process_is_walked_again(
    family: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk misses a process re-parented while it went on; the next walk finds it, and
    settled_subtree returns only once two walks in a row agree."""
    child, grandchild = family["child"], family["grandchild"]
    full = probe.subtree([child])
    missed = {pid: row for pid, row in full.items() if pid != grandchild}
    walks = [missed, full, full]
    with monkeypatch.context() as patch:  # undone before `family` kills its processes
        patch.setattr(probe, "subtree", lambda roots, skip=frozenset(): walks.pop(0))
        assert set(probe.settled_subtree([child])) == set(full)
    assert not walks


@pytest.mark.skipif(not probe.HAS_CHILDREN_FILES, reason="the kernel lists no children")
def test_a_tree_that_keeps_changing_is_read_from_the_table(
    family: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    child = family["child"]
    full = probe.subtree([child])
    walks = iter(range(100))
    tables: list[int] = []
    real_table = probe.table
    with monkeypatch.context() as patch:  # undone before `family` kills its processes
        patch.setattr(
            probe,
            "subtree",
            lambda roots, skip=frozenset(): full if next(walks) % 2 else {child: full[child]},
        )
        patch.setattr(probe, "table", lambda: tables.append(1) or real_table())
        assert set(probe.settled_subtree([child])) == set(full)
    assert tables == [1], "read from the whole table once the walks disagreed every time"


def test_kill_tree_leaves_nothing_and_names_what_it_killed(family: dict[str, int]) -> None:
    child = family["child"]
    killed = kill_tree(child, include_root=True)
    assert {child, family["grandchild"]} <= {p.pid for p in killed}
    assert wait_child(child, Deadline(5.0)) is not None
    grandchild = family["grandchild"]  # SIGKILLed; re-parented to us (a subreaper) as it dies
    polling.wait_until(lambda: _dead(grandchild), 5.0, f"pid {grandchild} survived SIGKILL")


def _dead(pid: int) -> bool:
    """``pid`` is gone or a zombie."""
    row = probe.read(pid)
    return row is None or row.zombie


def _stat_letter(pid: int) -> str:
    """The state letter of /proc/<pid>/stat as it is: the first thread's."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        row = probe.parse_stat(pid, stat.read())
    return "" if row is None else row.state


# The exit system call ends only the calling thread (exit_group ends them all).
_SYS_EXIT = {"x86_64": 60, "aarch64": 93}.get(os.uname().machine)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or _SYS_EXIT is None, reason="Linux's exit(2)"
)
def test_a_process_whose_first_thread_exited_is_alive_and_swept_with_its_children() -> None:
    """Its stat says Z (the first thread's), yet another thread runs on and owns a child.
    Taken for a zombie, a sweep would not look below it: the child outlived the judge (CI
    saw a killed run's processes re-parented to the test runner after the grader exited)."""
    ready_r, ready_w = os.pipe()

    def child() -> None:  # pragma: no cover - the child
        def second_thread() -> None:
            grandchild = fork_child(signal.pause)
            os.write(ready_w, f"{grandchild}\n".encode())
            signal.pause()

        threading.Thread(target=second_thread).start()
        ctypes.CDLL(None).syscall(_SYS_EXIT, 0)  # this (the first) thread only

    pid = fork_child(child)
    os.close(ready_w)
    with os.fdopen(ready_r) as ready:
        grandchild = int(ready.readline())
    try:
        polling.wait_until(lambda: _stat_letter(pid) == "Z", 5.0, "the first thread exits")
        row = probe.read(pid)
        assert row is not None and row.threads == 2, row
        assert row.state != "Z" and not row.zombie and row.running_code and probe.alive(pid)
        assert grandchild in probe.settled_subtree([pid]), "its thread's child is below it"
        killed = {p.pid for p in kill_tree(pid, include_root=True)}
        assert {pid, grandchild} <= killed
    finally:
        kill_tree(pid, include_root=True)
        assert wait_child(pid, Deadline(5.0)) is not None
    polling.wait_until(lambda: _dead(grandchild), 5.0, f"pid {grandchild} survived the sweep")
    reap_own_children()


def test_threads_fds_and_memory_of_this_process() -> None:
    me = os.getpid()
    before = probe.thread_count(me)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert probe.thread_count(me) == before + 1
    finally:
        stop.set()
        worker.join()
    r, w = os.pipe()
    try:
        assert {r, w} <= set(probe.open_fds(me))
    finally:
        os.close(r)
        os.close(w)
    assert probe.peak_memory_kib(me) > 1000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/<pid>/fdinfo")
@pytest.mark.usefixtures("dumpable")
def test_descriptors_of_another_process_say_what_each_is_and_which_way_it_goes(
    tmp_path,
) -> None:
    r, w = os.pipe()
    pipe_inode = os.fstat(r).st_ino
    mine, theirs = socket.socketpair()
    sock_fd, sock_inode = mine.fileno(), os.fstat(mine.fileno()).st_ino
    log = open(tmp_path / "log.txt", "w")  # noqa: SIM115 - closed below, after the fork
    log_fd = log.fileno()
    child = fork_child(signal.pause)  # holds all four, as a child of the student's would
    for fd in (r, w):
        os.close(fd)
    mine.close()
    theirs.close()
    log.close()
    try:
        seen = {d.fd: d for d in probe.descriptors(child)}
        links = probe.fd_links(child)
    finally:
        kill_tree(child, include_root=True)
        wait_child(child, Deadline(5.0))
    assert links == {fd: d.target for fd, d in seen.items()}
    kinds = {fd: (seen[fd].kind, seen[fd].inode, seen[fd].mode) for fd in (r, w, sock_fd)}
    assert kinds == {
        r: ("pipe", pipe_inode, os.O_RDONLY),
        w: ("pipe", pipe_inode, os.O_WRONLY),
        sock_fd: ("socket", sock_inode, os.O_RDWR),
    }
    assert seen[log_fd].target == str(tmp_path / "log.txt")
    assert (seen[log_fd].kind, seen[log_fd].inode, seen[log_fd].mode) == ("file", None, os.O_WRONLY)
    assert probe.descriptors(child) == [] and probe.fd_links(child) == {}  # reaped: gone


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sock_diag is Linux's")
def test_unix_sockets_say_their_peer_and_what_waits_to_be_read() -> None:
    mine, theirs = socket.socketpair()
    lone = socket.socket(socket.AF_UNIX)  # never connected
    with mine, theirs, lone:
        a, b, c = (os.fstat(s.fileno()).st_ino for s in (mine, theirs, lone))
        mine.sendall(b"hello")
        seen = net.unix_sockets([a, b, c])
        assert seen == {
            a: net.UnixSocket(a, peer=b, unread=0),
            b: net.UnixSocket(b, peer=a, unread=5),
            c: net.UnixSocket(c, peer=None, unread=0),
        }
        theirs.close()
        assert net.unix_sockets([a]) == {a: net.UnixSocket(a, peer=0, unread=0)}
    assert net.unix_sockets([a, b]) == {}  # closed: the kernel knows them no more


def test_a_vanished_process_has_no_memory_to_read() -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os._exit(0)
    os.waitpid(pid, 0)
    with pytest.raises(ProcessLookupError):
        probe.peak_memory_kib(pid)
    assert probe.read(pid) is None and probe.thread_count(pid) == 0 and probe.open_fds(pid) == []


def test_tcp_probes_follow_one_loopback_connection() -> None:
    with _loopback_pair() as (port, client, server_side):
        assert net.accepts(port)
        theirs = _seen_delivered_once_read(port, client, server_side)
        assert theirs.inode in probe.socket_inodes(os.getpid())
        assert probe.holders([os.getpid(), 1], theirs.inode) == [os.getpid()]
    assert not net.accepts(port)


@contextlib.contextmanager
def _loopback_pair(
    family: int = socket.AF_INET,
) -> Iterator[tuple[int, socket.socket, socket.socket]]:
    """(the server's port, a client, the server's end), all on 127.0.0.1; closed after."""
    host = net.LOOPBACK if family == socket.AF_INET else "::ffff:" + net.LOOPBACK
    with socket.socket(family) as listener:
        if family == socket.AF_INET6:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind((host, 0))
        listener.listen()
        port = listener.getsockname()[1]
        with net.connect(port) as client:
            server_side, _ = listener.accept()
            with server_side:
                yield port, client, server_side


def _linux_only() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("sock_diag and /proc/net/tcp are Linux's")


def test_sock_diag_reads_each_end_as_the_kernel_table_does() -> None:
    _linux_only()
    assert net._sock_diag_works(), "this kernel answers sock_diag (ss uses it)"
    with _loopback_pair() as (port, client, server_side):
        mine = client.getsockname()[1]
        client.sendall(b"seven!!")

        def settled() -> bool:  # then nothing moves until the server reads
            theirs, ours = net.connection(port, mine), net.connection(mine, port)
            return bool(theirs and ours and theirs.rx_queue == 7 and ours.tx_queue == 0)

        polling.wait_until(settled, 5.0, "seven bytes arrived and were acknowledged")
        table = net.tcp_sockets(port)
        assert table is not None
        for local, remote in ((port, mine), (mine, port)):
            from_diag = net._sock_diag(local, remote)
            assert from_diag == net.connection(local, remote, table)
        theirs = net._sock_diag(port, mine)
        assert theirs is not None and theirs.rx_queue == 7
        assert theirs.inode == os.fstat(server_side.fileno()).st_ino
        listening = net._sock_diag(port, 0)  # no such connection: the kernel finds the listener
        assert listening is not None and listening.state == "0A"
        assert net.connection(port, mine + 1 if mine < 65535 else 1) is None
    after = net._sock_diag(port, mine)  # closed: gone, or on its way out
    assert after is None or not after.established


def _seen_delivered_once_read(
    port: int, client: socket.socket, server_side: socket.socket
) -> net.TcpSocket:
    """Five bytes sent to the server: not delivered until it reads them, then delivered, and
    the receiving socket named is the server's; that socket."""
    mine = client.getsockname()[1]
    client.sendall(b"five!")
    polling.wait_until(lambda: net.connection(port, mine), 5.0, "the server's end appears")
    assert net.delivered(mine, port) is None, "five bytes are waiting, unread"
    assert server_side.recv(5) == b"five!"
    theirs = polling.wait_until(lambda: net.delivered(mine, port), 5.0, "read")
    assert theirs is not None and theirs.inode == os.fstat(server_side.fileno()).st_ino
    return theirs


def _refused(*_: object) -> None:
    raise OSError(13, "sock_diag: refused")


@pytest.mark.parametrize("how", ["unusable", "refusing"])
def test_without_sock_diag_the_table_gives_the_same_answers(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    _linux_only()
    if how == "unusable":  # found so when first asked: never asked again
        monkeypatch.setattr(net, "_sock_diag_works", lambda: False)
        monkeypatch.setattr(net, "_sock_diag", lambda *_: pytest.fail("sock_diag was asked"))
    else:  # it worked, then a lookup fails
        monkeypatch.setattr(net, "_sock_diag_works", lambda: True)
        monkeypatch.setattr(net, "_sock_diag", _refused)
    with _loopback_pair() as pair:
        _seen_delivered_once_read(*pair)


def test_a_dual_stack_server_end_is_found_by_its_ipv4_addresses() -> None:
    _linux_only()
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    with _loopback_pair(socket.AF_INET6) as pair:
        _seen_delivered_once_read(*pair)


def test_free_port_is_bindable_and_waiting_fails_with_the_message() -> None:
    port = net.free_port()
    with socket.socket() as sock:
        sock.bind((net.LOOPBACK, port))
    with pytest.raises(polling.WaitTimeout, match="nothing accepted connections"):
        net.wait_listening(port, timeout=0.2)
    started = time.monotonic()
    assert polling.holds_within(lambda: time.monotonic() - started > 0.05, 2.0)
    assert not polling.holds_within(lambda: False, 0.05)


def test_exiting_is_read_from_the_flags_of_the_process() -> None:
    """PF_EXITING is set from the start of exit on, zombies included; a live process has it
    clear. (The window between closing the descriptors and becoming a zombie, which escapees
    are judged against, is too short to catch here reliably.)"""
    me = probe.read(os.getpid())
    assert me is not None and me.running_code and not me.exiting
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0)
    try:
        row = polling.wait_until(lambda: (r := probe.read(pid)) is not None and r.zombie and r)
        assert row.exiting and not row.running_code, row
    finally:
        assert wait_child(pid, Deadline(10.0)) is not None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's CPU-time clocks")
def test_cpu_seconds_are_exact_for_a_live_process_and_a_zombie() -> None:
    """A child burns 15 ms of CPU (one tick and a half: /proc's ticks would say 0.01 or 0) and
    tells its own count; the judge reads the same to within 3 ms. Once it is a zombie, the
    reading is what the kernel hands its parent on reaping (wait4's rusage, microseconds):
    its exit, unmapping a copy of this pytest, adds CPU of its own (5 ms on a busy CI runner),
    so the zombie is compared with the kernel's final count, not with the child's last word.
    Nothing is read once it is reaped; another user's process (pid 1) is readable too."""
    told_r, told_w = os.pipe()

    def child() -> None:  # pragma: no cover - the child
        while time.process_time() < 0.015:
            pass
        os.write(told_w, f"{time.process_time()}\n".encode())
        signal.pause()

    pid = fork_child(child)
    os.close(told_w)
    reaped = False
    try:
        with os.fdopen(told_r) as told:
            own = float(told.readline())
        seen = probe.cpu_seconds(pid)
        assert seen is not None and abs(seen - own) < 0.003, (seen, own)
        os.kill(pid, signal.SIGKILL)
        polling.wait_until(lambda: (r := probe.read(pid)) is not None and r.zombie, 5.0)
        dead = probe.cpu_seconds(pid)
        _, _, usage = os.wait4(pid, 0)
        reaped = True
        final = usage.ru_utime + usage.ru_stime
        assert dead is not None and dead >= seen and abs(dead - final) < 0.001, (dead, final)
    finally:
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            assert wait_child(pid, Deadline(10.0)) is not None
    assert probe.cpu_seconds(pid) is None
    assert probe.cpu_seconds(1) is not None


def _held_helper() -> tuple[int, int]:
    """A helper from fork_in_use that waits until its pipe closes; (pid, write end)."""
    hold_r, hold_w = os.pipe()
    pid = isolation.fork_in_use()
    if pid == 0:  # pragma: no cover - waits until the test lets go or kills it
        try:
            os.close(hold_w)
            os.read(hold_r, 1)
        finally:
            os._exit(0)
    os.close(hold_r)
    return pid, hold_w


def _let_go(pid: int, hold_w: int) -> None:
    os.close(hold_w)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    isolation.done_with(pid)


def test_a_helper_in_use_is_spared_by_every_sweep_until_released() -> None:
    """users.kill_all's sender is a fork of the supervisor that one thread waits for; a sweep
    by another thread (a session that just ended) must not kill it meanwhile."""
    pid, hold_w = _held_helper()
    others = frozenset(probe.child_pids(os.getpid())) - {pid}  # the runner's own, if any
    try:
        assert isolation.sweep_descendants(spare=others) == []
        assert probe.alive(pid)
        isolation.done_with(pid)
        assert [p.pid for p in isolation.sweep_descendants(spare=others)] == [pid]
    finally:
        _let_go(pid, hold_w)


def test_a_helper_forked_while_a_sweep_loops_is_spared(monkeypatch) -> None:
    """A sweep that keeps looking (it found something to kill) must spare a helper another
    thread forked after the sweep began: CI failed with "could not kill the processes of
    sandbox uid 61000" when one sweep's loop killed all five kill_all senders in a row."""
    victim = fork_child(signal.pause)  # left behind, for the sweep to kill
    others = frozenset(probe.child_pids(os.getpid())) - {victim}
    helper: list[tuple[int, int]] = []
    real_look = probe.settled_subtree

    def look(*args: object, **kwargs: object) -> dict[int, probe.Proc]:
        if not helper:  # between the sweep's start and its first look, as another thread can
            helper.append(_held_helper())
        return real_look(*args, **kwargs)  # type: ignore[arg-type]

    try:
        with monkeypatch.context() as patch:
            patch.setattr(probe, "settled_subtree", look)
            killed = isolation.sweep_descendants(spare=others)
        assert [p.pid for p in killed] == [victim], killed
        assert helper and probe.alive(helper[0][0]), "the sweep killed a helper in use"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(victim, 0)
        if helper:
            _let_go(*helper[0])


def test_a_watcher_closed_as_its_sampler_goes_idle_stops_at_once() -> None:
    # close() sets the sampler's stop flag and its event; landing just before the idle
    # sampler cleared that event, it was lost, and close() waited out its 2 s join.
    watcher = timeline.Watcher(os.getpid())

    class CloseBeforeClear(threading.Event):
        def clear(self) -> None:
            watcher._stop = True  # what close() does, just before the sampler's clear
            super().set()
            super().clear()

    watcher._wake = CloseBeforeClear()
    sampler = threading.Thread(target=watcher._run, daemon=True)
    sampler.start()  # nothing to watch: it goes idle at once
    try:
        assert polling.holds_within(lambda: not sampler.is_alive(), 1.0), "it waits on"
    finally:
        threading.Event.set(watcher._wake)
        polling.join_to_the_end(sampler)  # the next test forks: no thread still exiting


def _steps_of_a_wait(watcher: timeline.Watcher, seconds: float) -> list[float]:
    """Wait ``seconds`` in :meth:`Watcher.sample_while_waiting`, as the judge waits for a
    result that does not come (a pipe nobody writes to); the length of each step."""
    quiet_r, quiet_w = os.pipe()
    steps: list[float] = []

    def wait(step: Deadline) -> bool:
        steps.append(step.remaining())
        select.select([quiet_r], [], [], step.remaining())
        return False

    try:
        watcher.sample_while_waiting(wait, Deadline(seconds))
    finally:
        os.close(quiet_r)
        os.close(quiet_w)
    return steps


def test_a_call_is_sampled_between_the_judges_waits_without_a_thread(family) -> None:
    """A call's tree is sampled by the judge while it waits for the result, on the judge's
    own thread (starting a thread cost a call more than its samples), first after half
    the first interval, then on the sampler's schedule."""
    watcher = timeline.Watcher(os.getpid())
    watcher.watch(family["child"], frozenset(), on_thread=False)
    try:
        steps = _steps_of_a_wait(watcher, 0.2)
        assert watcher._thread is None, "a thread was started for a call"
        seen = watcher.timeline(family["child"])
        assert seen.samples == len(steps) - 1 >= 3, (seen.samples, steps)
        assert steps[0] <= timeline.FIRST_INTERVAL / 2, steps
        assert family["grandchild"] in {life.pid for life in seen.lives}, seen
    finally:
        watcher.close()


def test_a_wait_that_ends_takes_no_sample_after_it() -> None:
    watcher = timeline.Watcher(os.getpid())
    sleeper = fork_child(signal.pause)
    watcher.watch(sleeper, frozenset(), on_thread=False)
    try:
        watcher.sample_while_waiting(lambda step: True, Deadline(5.0))
        assert watcher.timeline(sleeper).samples == 0
    finally:
        watcher.close()
        kill_tree(sleeper, include_root=True)
        wait_child(sleeper, Deadline(5.0))


def test_while_a_started_run_is_sampled_on_the_thread_a_call_waits_in_one_step() -> None:
    """A started server's thread samples every recording, a call's too: the judge then
    waits for the call without sampling it a second time."""
    watcher = timeline.Watcher(os.getpid())
    server, call = fork_child(signal.pause), fork_child(signal.pause)
    watcher.watch(server, frozenset())  # the sampling thread starts
    watcher.watch(call, frozenset(), on_thread=False)
    try:
        steps = _steps_of_a_wait(watcher, 0.1)
        assert len(steps) == 1, steps
        polling.wait_until(lambda: watcher.timeline(call).samples > 0, 5.0, "the thread samples")
    finally:
        watcher.close()
        for pid in (server, call):
            kill_tree(pid, include_root=True)
            wait_child(pid, Deadline(5.0))


def test_a_spec_forks_between_samples_and_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the watcher samples, a fork waits for it to be between samples (holding its
    lock) and raises no warning (3.12+ warns about any fork with threads, and a spec's
    trusted server showed that warning in the student's output)."""
    watcher = timeline.Watcher(os.getpid())
    sleeper = fork_child(signal.pause)
    watcher.watch(sleeper, frozenset())  # its sampling thread now runs
    held_at_fork: list[bool] = []
    real_fork = os.fork

    def watched_fork() -> int:
        held_at_fork.append(watcher._lock.locked())
        return real_fork()

    try:
        with warnings.catch_warnings(record=True) as caught, monkeypatch.context() as patch:
            warnings.simplefilter("always")
            patch.setattr(os, "fork", watched_fork)
            pid = timeline.fork_between_samples()
            if pid == 0:  # pragma: no cover - the child
                os._exit(7)
        assert held_at_fork == [True], "the fork waited for the sampler to let go"
        assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]
        status = wait_child(pid, Deadline(10.0))
        assert status is not None and os.waitstatus_to_exitcode(status) == 7
    finally:
        watcher.close()
        kill_tree(sleeper, include_root=True)
        wait_child(sleeper, Deadline(5.0))


def test_a_fork_copied_mid_sample_forks_without_waiting_on_the_copied_lock() -> None:
    """A process forked without the guard (a student's, a spec's old code) while the
    sampler held its lock has a copy of the watcher whose lock no thread will ever free;
    its own forks between samples must not wait on it."""
    watcher = timeline.Watcher(os.getpid())
    sampling, forked = threading.Event(), threading.Event()

    def mid_sample() -> None:
        with watcher._lock:
            sampling.set()
            forked.wait(10.0)

    sampler = threading.Thread(target=mid_sample)
    sampler.start()
    sampling.wait(10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child, whose copy of the lock stays held
        code = 1
        try:
            grandchild = timeline.fork_between_samples()
            if grandchild == 0:
                os._exit(7)
            code = os.waitstatus_to_exitcode(os.waitpid(grandchild, 0)[1])
        finally:
            os._exit(code)
    forked.set()
    sampler.join()
    try:
        status = wait_child(pid, Deadline(10.0))
        assert status is not None, "the child waited on a lock no thread of it would free"
        assert os.waitstatus_to_exitcode(status) == 7
    finally:
        kill_tree(pid, include_root=True)
        with contextlib.suppress(ChildProcessError):
            wait_child(pid, Deadline(5.0))


def test_a_timeline_at_its_end_holds_only_what_its_last_sample_saw() -> None:
    # One sample can catch, as a zombie, a child the kernel reaps itself (SIGCHLD ignored):
    # a state that must last is judged from the last sample, where only a kept zombie is.
    def rows(*procs: probe.Proc) -> dict[int, probe.Proc]:
        return {p.pid: p for p in procs}

    root = probe.Proc(100, 1, "S", "caller", start=1)
    task = probe.Proc(101, 100, "S", "task", start=2)
    reaped = probe.Proc(102, 101, "Z", "reaped by the kernel", start=3)
    kept = probe.Proc(103, 101, "Z", "kept", start=4)
    recording = timeline._Recording(root.pid, began=0.0, spare=frozenset())
    recording.add(rows(root, task, reaped, kept), [], now=1.0)
    recording.add(rows(root, task, kept), [], now=2.0)
    seen = recording.timeline(now=3.0)

    assert sorted(life.pid for life in seen.lives if "Z" in life.states) == [102, 103]
    assert seen.last_sample == 2.0
    assert sorted(life.pid for life in seen.at_end()) == [101, 103]
    assert timeline.Timeline().at_end() == []


@pytest.mark.skipif(not probe._HAS_PROC, reason="compares psutil's view with /proc's")
def test_psutil_names_every_state_with_the_letter_proc_uses(monkeypatch) -> None:
    # Elsewhere (macOS) the states come from psutil: a stopped process must read "T" there too,
    # not "S" (the first letter of "stopped"), or a spec that continues stopped children waits.
    import psutil

    names = {getattr(psutil, n) for n in dir(psutil) if n.startswith("STATUS_")}
    assert names <= set(probe._PSUTIL_LETTERS), names - set(probe._PSUTIL_LETTERS)
    pid = fork_child(signal.pause)
    try:
        os.kill(pid, signal.SIGSTOP)
        polling.wait_until(lambda: probe.read(pid).state == "T", 5.0, "the child stops")
        monkeypatch.setattr(probe, "_HAS_PROC", False)
        assert probe.read(pid).state == "T"
        os.kill(pid, signal.SIGCONT)
        polling.wait_until(lambda: probe.read(pid).state == "S", 5.0, "the child sleeps again")
    finally:
        os.kill(pid, signal.SIGKILL)
        wait_child(pid, Deadline(5.0))


@pytest.mark.skipif(not probe._HAS_PROC, reason="makes psutil act as on macOS, beside /proc")
def test_a_zombie_is_seen_where_psutil_has_no_task_info_for_it(monkeypatch) -> None:
    # On macOS psutil reads a process's CPU times and threads from its task, which a zombie
    # no longer has (ZombieProcess); its state, parent and name it still reads. A probe that
    # gave up on the whole row would not see the zombies spec 04 is about.
    import psutil

    pid = fork_child(lambda: None)
    try:
        polling.wait_until(lambda: probe.read(pid).state == "Z", 5.0, "the child is a zombie")

        def no_task(self: object) -> object:
            raise psutil.ZombieProcess(pid)

        platform = psutil._psplatform.Process  # what psutil.Process asks, under its caches
        monkeypatch.setattr(platform, "cpu_times", no_task)
        monkeypatch.setattr(platform, "num_threads", no_task)
        monkeypatch.setattr(probe, "_HAS_PROC", False)
        row = probe.read(pid)
        assert row is not None and (row.state, row.ppid) == ("Z", os.getpid())
        assert pid in probe.table() and probe.table()[pid].state == "Z"
        assert probe.thread_count(pid) == 0
    finally:
        wait_child(pid, Deadline(5.0))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/<pid>/mem is Linux's")
def test_the_shared_heap_of_a_child_holds_its_values() -> None:
    """The judge reads a process's multiprocessing heap itself (/proc/<pid>/mem): a child's
    Value is there with the bytes the child wrote."""
    import multiprocessing
    import struct

    ctx = multiprocessing.get_context("fork")
    value = ctx.Value("q", 0)
    ready, done = ctx.Event(), ctx.Event()
    marker = int.from_bytes(os.urandom(7), "little")

    def child() -> None:
        # As a sandbox does: the grader may have made this test process non-dumpable (its
        # key), and a child inherits that.
        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE, 1
        value.value = marker
        ready.set()
        done.wait(30)

    proc = ctx.Process(target=child)
    proc.start()
    try:
        assert ready.wait(30)
        heap = probe.shared_heap(proc.pid)
        assert heap is not None and struct.pack("q", marker) in heap
        assert any("/pym-" in line for line in probe.maps(proc.pid))
    finally:
        done.set()
        proc.join(30)
    assert probe.shared_heap(proc.pid) is None or probe.shared_heap(proc.pid) == b""
    assert probe.maps(proc.pid) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_process_that_turns_itself_non_dumpable_is_named() -> None:
    """PR_SET_DUMPABLE 0 makes a process's /proc files root's: for a process that is not
    root, non_dumpable says so; root's own processes are never called hidden."""
    libc = ctypes.CDLL(None, use_errno=True)
    found = {}
    for dumpable in (0, 1):  # the grader may have made this process non-dumpable: set both
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: set its flag, say so, wait to be killed
            libc.prctl(4, dumpable, 0, 0, 0)  # PR_SET_DUMPABLE
            os.write(w, b"x")
            time.sleep(60)  # simulated life: the test kills it
            os._exit(0)
        try:
            assert os.read(r, 1) == b"x"
            found[dumpable] = probe.non_dumpable(pid)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(r)
            os.close(w)
    assert found == {0: os.geteuid() != 0, 1: False}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="wchan is Linux's")
@pytest.mark.usefixtures("dumpable")
def test_a_sleeping_thread_has_a_wait_channel_and_a_running_one_none() -> None:
    r, w = os.pipe()
    reader = fork_child(lambda: os.read(r, 1) and 0)
    stop = threading.Event()
    tids: list[int] = []

    def spin() -> None:
        tids.append(threading.get_native_id())
        while not stop.is_set():
            pass

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        polling.wait_until(lambda: probe.wait_channel(reader), 10.0, "the reader sleeps")
        polling.wait_until(lambda: tids, 10.0, "the spinner starts")
        assert "pipe" in probe.wait_channel(reader)  # anon_pipe_read, pipe_read, pipe_wait ...
        # A thread on the CPU, or queued for it, has none; a loaded machine may preempt the
        # spinner at any look, so one look of the few that says so is enough.
        assert polling.holds_within(lambda: probe.wait_channel(os.getpid(), tids[0]) == "", 10)
        assert probe.wait_channel(2**22 + 1) == ""  # no such process (above pid_max)
    finally:
        stop.set()
        spinner.join(10)
        os.write(w, b"x")
        wait_child(reader, Deadline(10.0))
        os.close(r)
        os.close(w)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/task")
def test_voluntary_switches_count_each_wait_of_a_thread() -> None:
    go, back, done = threading.Event(), threading.Event(), threading.Event()
    tids: list[int] = []
    rounds = 20

    def waiter() -> None:
        tids.append(threading.get_native_id())
        for _ in range(rounds):
            assert go.wait(10)
            go.clear()
            back.set()
        done.wait(10)  # alive until its counts are read

    before_all = probe.voluntary_switches(os.getpid())
    thread = threading.Thread(target=waiter)
    thread.start()
    polling.wait_until(lambda: tids, 10.0, "the waiter starts")
    before = probe.voluntary_switches(os.getpid(), tids[0])
    for _ in range(rounds):
        polling.wait_until(lambda: probe.wait_channel(os.getpid(), tids[0]), 10.0, "it waits")
        go.set()
        assert back.wait(10)
        back.clear()
    after = probe.voluntary_switches(os.getpid(), tids[0])
    after_all = probe.voluntary_switches(os.getpid())
    done.set()
    thread.join(10)
    assert before is not None and after is not None and before_all is not None
    assert after - before >= rounds - 1  # one wake-up a round (the first may find go set)
    assert after_all is not None and after_all - before_all >= after - before
    assert probe.voluntary_switches(2**22 + 1) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_signal_masks_and_dispositions_are_the_kernels() -> None:
    """A child that ignores SIGUSR1, catches SIGUSR2 and blocks SIGWINCH, with SIGWINCH sent
    to it: each set says so, and a process that is gone has none."""
    r, w = os.pipe()

    def child() -> None:  # pragma: no cover - the child
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        signal.signal(signal.SIGUSR2, lambda *_: None)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH})
        os.kill(os.getpid(), signal.SIGWINCH)  # pending, blocked
        os.read(r, 1)  # until the test has looked

    pid = fork_child(child)
    try:
        polling.wait_until(lambda: probe.disposition(pid, signal.SIGUSR2) == "handler", 10.0)
        polling.wait_until(lambda: probe.signal_masks(pid).get("ShdPnd"), 10.0)
        masks = probe.signal_masks(pid)
        assert probe.disposition(pid, signal.SIGUSR1) == "ignored"
        assert probe.disposition(pid, signal.SIGTERM) == "default"
        bit = 1 << (signal.SIGWINCH - 1)
        assert masks["SigBlk"] & bit and (masks["SigPnd"] | masks["ShdPnd"]) & bit
    finally:
        os.write(w, b"x")
        wait_child(pid, Deadline(10.0))
        os.close(r)
        os.close(w)
    assert probe.signal_masks(pid) == {} and probe.disposition(pid, signal.SIGUSR1) == "gone"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/task")
def test_thread_cpu_ns_names_the_thread_that_did_the_work() -> None:
    """A thread that spins 50 ms of CPU shows it; a thread that waits the while shows ~0."""
    tids: list[int] = []
    started, stop = threading.Event(), threading.Event()

    def waiter() -> None:
        tids.append(threading.get_native_id())
        started.set()
        stop.wait(10)

    thread = threading.Thread(target=waiter)
    thread.start()
    assert started.wait(10)
    try:
        polling.wait_until(lambda: probe.wait_channel(os.getpid(), tids[0]), 10.0, "it waits")
        before = probe.thread_cpu_ns(os.getpid())
        spin_until = time.thread_time() + 0.05
        while time.thread_time() < spin_until:
            pass
        after = probe.thread_cpu_ns(os.getpid())
    finally:
        stop.set()
        thread.join(10)
    assert before is not None and after is not None
    me, it = threading.get_native_id(), tids[0]
    assert after[me] - before[me] >= 40_000_000  # ns: this thread did the spinning
    assert after[it] - before[it] < 5_000_000  # the waiter did next to nothing
    assert probe.thread_cpu_ns(2**22 + 1) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/mem")
@pytest.mark.usefixtures("dumpable")  # a non-dumpable process's mem is root's: see conftest
def test_read_memory_reads_what_lies_at_an_address() -> None:
    buffer = ctypes.create_string_buffer(b"the judge reads this")
    address = ctypes.addressof(buffer)
    assert probe.read_memory(os.getpid(), address, 20) == b"the judge reads this"
    assert probe.read_memory(os.getpid(), address, 0) == b""
    assert probe.read_memory(os.getpid(), 0, 8) is None  # nothing is mapped at 0
    assert probe.read_memory(2**22 + 1, address, 8) is None


# Run as root without CAP_SYS_PTRACE, as in a default `docker run`: a process of another uid
# (a sandbox's, dumpable) holds a pipe, blocks reading it, and leaves a zombie child.
GUARDED_READS = """
import json, os, sys
from grader import polling, probe, syscalls, users

r, w = os.pipe()
ready_r, ready_w = os.pipe()
target = os.fork()
if target == 0:
    users.drop_to(int(sys.argv[1]))
    zombie = os.fork()
    if zombie == 0:
        os._exit(7)
    os.write(ready_w, f"{zombie}\\n".encode())
    os.read(r, 1)
    os._exit(0)
zombie = int(os.read(ready_r, 100))
def blocked_in_read():
    calls = syscalls.threads(target) or []
    return any(call.name == "read" for call in calls)
polling.holds_within(lambda: blocked_in_read() and probe.read(zombie).zombie, 20.0)
pipe = os.readlink(f"/proc/self/fd/{r}")
start = int(probe.maps(target)[0].split("-")[0], 16) if probe.maps(target) else 0
seen = {
    "its pipe": pipe in probe.fd_links(target).values(),
    "its maps": bool(probe.maps(target)),
    "its memory": probe.read_memory(target, start, 8) is not None,
    "its system call": blocked_in_read(),
    "its child's exit status": probe.exit_status(zombie) == 7 << 8,
    "its descriptors' modes": bool(probe.descriptors(target)),
}
seen["root's file-system ids back"] = all(
    probe.status_field("self", ids).split() == ["0"] * 4 for ids in ("Uid", "Gid")
)
os.write(w, b"x")
os.waitpid(target, 0)
print(json.dumps(seen))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes have a uid of their own only as root")
@pytest.mark.parametrize("cap_sys_ptrace", [True, False], ids=["with", "without"])
def test_root_reads_a_sandboxs_guarded_proc_files_with_or_without_cap_sys_ptrace(
    cap_sys_ptrace: bool,
) -> None:
    """Without CAP_SYS_PTRACE the kernel shows another uid's descriptors, maps, memory,
    system calls and a zombie's exit status only to a reader of that uid: the probes read
    them with the process's own uid (probe.owner_rights), and see what root sees."""
    prefix = [] if cap_sys_ptrace else ["setpriv", "--inh-caps=-sys_ptrace",
                                        "--bounding-set=-sys_ptrace"]  # fmt: skip
    if prefix and not shutil.which("setpriv"):
        pytest.skip("needs setpriv")
    done = subprocess.run(
        [*prefix, sys.executable, "-c", GUARDED_READS, "60993"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen == dict.fromkeys(seen, True) and len(seen) == 7, seen
