"""The pieces under the sandbox's isolation, each tried in a child process of its own.

The end-to-end attacks are in test_judge_unreachable.py; these pin the mechanisms: the
sandboxes' view of the files, the session's network, the leases and the stale-folder sweep.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import signal
import socket
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import fork_child

from grader import isolation, namespaces, polling, probe, session, users, workspace
from grader.isolation import Deadline, libc, wait_child

AS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not AS_ROOT, reason="the grader is not root here")


def in_child(body: Callable[[], object]) -> object:
    """Run ``body`` in a forked child and return what it returned (as JSON), or raise."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            answer = json.dumps({"value": body()})
        except BaseException as exc:
            answer = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        os.write(write_end, answer.encode())
        os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    data = json.loads(b"".join(chunks))
    if "error" in data:
        raise AssertionError(data["error"])
    return data["value"]


def _try(action: Callable[[], object]) -> str:
    try:
        action()
    except OSError as exc:
        return type(exc).__name__
    return "worked"


@root_only
def test_the_view_hides_folders_and_opens_a_way_through_closed_ones(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "keep").mkdir(parents=True)
    (closed / "keep" / "lib.txt").write_text("needed")
    (closed / "secret.txt").write_text("root's")
    closed.chmod(0o700)
    hidden = tmp_path / "solutions"
    hidden.mkdir()
    (hidden / "answer.py").write_text("42")
    tmp_path.chmod(0o755)

    with users.lease() as uid:
        assert uid is not None
        fd = namespaces.hidden_view([str(hidden)], expose=[str(closed / "keep")])
        try:

            def as_sandbox() -> dict[str, str]:
                namespaces.enter_view(fd)
                users.drop_to(uid)
                return {
                    "kept": (closed / "keep" / "lib.txt").read_text(),
                    "other": _try((closed / "secret.txt").read_text),
                    "hidden": _try(lambda: os.listdir(hidden)),
                    "answer": _try((hidden / "answer.py").read_text),
                    "write": _try(lambda: (closed / "keep" / "new.txt").write_text("x")),
                }

            seen = in_child(as_sandbox)
        finally:
            os.close(fd)
    assert seen == {
        "kept": "needed",
        "other": "FileNotFoundError",  # the stand-in holds only the way to what is needed
        "hidden": "PermissionError",
        "answer": "PermissionError",
        "write": "PermissionError",
    }
    assert (closed / "secret.txt").read_text() == "root's", "the host's view is unchanged"
    assert (hidden / "answer.py").read_text() == "42"


@root_only
def test_a_dropped_sandbox_has_no_way_back() -> None:
    with users.lease() as uid:
        assert uid is not None

        def as_sandbox() -> list[str]:
            users.drop_to(uid)
            return [
                _try(lambda: os.setuid(0)),
                _try(lambda: os.setgroups([0])),
                _try(lambda: os.kill(1, 0)),
            ]

        assert in_child(as_sandbox) == ["PermissionError"] * 3


@root_only
def test_the_kernel_refuses_fork_past_the_process_limit() -> None:
    with users.lease() as uid:
        assert uid is not None

        def flood() -> int:
            users.drop_to(uid)
            for started in range(2 * users.PROCESS_LIMIT):
                try:
                    if os.fork() == 0:
                        os.closerange(3, 4096)  # in_child's pipe must see EOF without us
                        signal.pause()
                except BlockingIOError:
                    return started
            return -1

        try:
            started = in_child(flood)
        finally:
            users.kill_all(uid)
            isolation.sweep_descendants()
    assert 0 < started < users.PROCESS_LIMIT, f"{started} forks before the kernel said no"


def _real_effective_saved(pid: int) -> tuple[int, ...]:
    with open(f"/proc/{pid}/status") as f:
        line = next(x for x in f if x.startswith("Uid:"))
    return tuple(int(x) for x in line.split()[1:4])


def _no_fork() -> int:
    raise AssertionError("kill_all forked a sender where a thread can send")


@root_only
@pytest.mark.parametrize("sender", ["thread", "fork"])
def test_kill_all_stops_a_forking_hopper(sender: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if sender == "fork":  # as on an architecture whose setresuid call number we do not know
        monkeypatch.setattr(users, "_SETRESUID_CALL", None)
    with users.lease() as uid:
        assert uid is not None
        if sender == "thread":  # (the lease itself forks to clear its killer uid)
            monkeypatch.setattr(users, "fork_in_use", _no_fork)

        def hop() -> None:  # pragma: no cover - the hopper
            users.drop_to(uid)
            while True:
                try:
                    if os.fork():
                        os._exit(0)
                except BlockingIOError:
                    continue  # at the process limit until the subreaper reaps: hop on

        os.waitpid(fork_child(hop), 0)
        users.kill_all(uid)

        def mine() -> list[int]:
            found = []
            for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
                try:
                    real_uid = _real_effective_saved(pid)[0]
                except (OSError, StopIteration):
                    continue  # gone meanwhile
                row = probe.read(pid)
                if real_uid == uid and row is not None and not row.zombie:
                    found.append(pid)
            return found

        # SIGKILL is delivered when each target next runs: on a loaded machine a killed hopper
        # can still be listed for a moment. One that outran the kill would stay listed.
        assert polling.holds_within(lambda: mine() == [], 10.0), (
            f"a hopper outran kill_all: {mine()}"
        )


def _linger_at_exit(seconds: float) -> None:
    """Make the calling thread take ``seconds`` to end after its Python code has returned (a
    thread-local destructor that sleeps, run by the C library as the thread exits)."""
    key = ctypes.c_uint()
    usleep = ctypes.cast(libc().usleep, ctypes.c_void_p)
    assert libc().pthread_key_create(ctypes.byref(key), usleep) == 0
    assert libc().pthread_setspecific(key, ctypes.c_void_p(int(seconds * 1_000_000))) == 0


@root_only
def test_kill_all_from_a_thread_returns_once_that_thread_has_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """join() returns while the thread is still exiting (CPython < 3.13): a fork right then
    copies a process with two threads, which 3.12 warns of (1 fork in 8 right after a join,
    here), and the session forks tests right after a kill_all while its launcher warms up.
    Here the sending thread takes 0.2 s to exit: kill_all must not return before."""
    with users.lease() as uid:
        assert uid is not None
        monkeypatch.setattr(users, "fork_in_use", _no_fork)  # the thread sends, or this fails
        send = users._kill_every_process_we_may

        def send_and_linger() -> None:
            send()
            _linger_at_exit(0.2)

        monkeypatch.setattr(users, "_kill_every_process_we_may", send_and_linger)
        tasks = sorted(os.listdir("/proc/self/task"))
        users.kill_all(uid)
        assert sorted(os.listdir("/proc/self/task")) == tasks, "kill_all's thread still exits"


@root_only
def test_kill_all_from_a_thread_leaves_us_and_root_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread that becomes the sandbox uid changes no other thread's uid, and its
    kill(-1) reaches that uid's processes only: not this process, not a root child."""
    seen: list[tuple[int, int, int]] = []
    stop = threading.Event()

    def bystander() -> None:  # another thread of ours, running all along
        while not stop.is_set():
            seen.append(os.getresuid())
            stop.wait(0.001)

    with users.lease() as uid:
        assert uid is not None
        victim = fork_child(lambda: users.drop_to(uid) or signal.pause())
        monkeypatch.setattr(users, "fork_in_use", _no_fork)  # (the lease forked to clear)
        root_child = fork_child(signal.pause)
        watcher = threading.Thread(target=bystander)
        watcher.start()
        try:
            assert polling.holds_within(lambda: _real_effective_saved(victim) == (uid,) * 3, 10.0)
            users.kill_all(uid)
            status = wait_child(victim, Deadline(10.0))
            assert status is not None, "kill_all left a process of the sandbox uid alive"
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
            assert os.waitpid(root_child, os.WNOHANG) == (0, 0), "a root process was killed"
        finally:
            stop.set()
            watcher.join()
            os.kill(root_child, signal.SIGKILL)
            os.waitpid(root_child, 0)
    assert os.getresuid() == (0, 0, 0)
    assert seen and set(seen) == {(0, 0, 0)}, set(seen)


_TGKILL_CALL = {"x86_64": 234, "aarch64": 131}.get(platform.machine())


@root_only
@pytest.mark.skipif(_TGKILL_CALL is None, reason="tgkill's call number is not known here")
def test_the_sandbox_uid_cannot_signal_the_thread_that_kills_it() -> None:
    """One SIGKILL or SIGSTOP to a thread ends or stops its whole process: a process of the
    sandbox uid must not be able to signal kill_all's sending thread, even during the moment
    it has the sandbox uid. The control: a thread that took the sandbox uid as all its uids
    can be signalled."""
    with users.lease() as uid:
        assert uid is not None
        killer = users.killer_of(uid)
        assert killer is not None and killer != uid, killer

        def may_signal(become: Callable[[], bool]) -> bool:
            """Whether a process of the sandbox uid may signal a thread of ours that made
            itself someone else with ``become`` (signal 0: the permission check alone)."""
            ready, release = threading.Event(), threading.Event()
            tid: list[int] = []

            def hold() -> None:
                if become():
                    tid.append(threading.get_native_id())
                ready.set()
                release.wait()

            thread = threading.Thread(target=hold)
            thread.start()
            me = os.getpid()
            try:
                assert ready.wait(10.0) and tid, "the thread could not change its uids"

                def knock() -> int:
                    users.drop_to(uid)
                    return 0 if libc().syscall(_TGKILL_CALL, me, tid[0], 0) == 0 else 1

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork, threads
                    status = wait_child(fork_child(knock), Deadline(10.0))
            finally:
                release.set()
                thread.join()
            assert status is not None
            return os.waitstatus_to_exitcode(status) == 0

        as_the_sandbox = (uid, uid, uid)
        assert may_signal(lambda: libc().syscall(users._SETRESUID_CALL, *as_the_sandbox) == 0)
        assert not may_signal(lambda: users.become_sender(uid, killer))


@root_only
def test_a_lease_holds_a_killer_uid_of_its_range_until_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cleared: list[int] = []
    real_kill_all = users.kill_all
    monkeypatch.setattr(users, "kill_all", lambda u: cleared.append(u) or real_kill_all(u))
    with users.lease() as uid, users.lease() as other:
        assert uid is not None and other is not None
        held = {uid, other, users.killer_of(uid), users.killer_of(other)}
        assert len(held) == 4 and all(u in users.uid_range() for u in held), held
        assert users.session_options(uid) == [
            "--grader-sandbox-uid", str(uid), "--grader-killer-uid", str(users.killer_of(uid))
        ]  # fmt: skip
        # What a crashed run left under the killer uid is cleared before it is used.
        assert users.killer_of(uid) in cleared and users.killer_of(other) in cleared
    assert users.killer_of(uid) is None and users.session_options(uid)[2:] == []


@pytest.mark.skipif(
    not namespaces.network_namespace_possible()[0], reason="no network namespace here"
)
def test_a_session_network_has_only_loopback() -> None:
    def isolated() -> dict[str, object]:
        why = namespaces.isolate_network()
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        with open("/proc/net/route") as f:
            routes = f.read().splitlines()[1:]
        return {"why": why, "names": [n for _, n in socket.if_nameindex()], "routes": routes}

    assert in_child(isolated) == {"why": "", "names": ["lo"], "routes": []}


@pytest.mark.parametrize("where", ["workspace", "scratch"])
def test_stale_session_folders_of_dead_supervisors_are_removed(where: str) -> None:
    """Where sessions are made, and where they were made before grader.workspace (the
    temporary folders), which may differ."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        os._exit(0)
    os.waitpid(pid, 0)  # now a pid with no process
    scratch = Path(workspace.base() if where == "workspace" else isolation.scratch())
    dead = scratch / f"{session.SESSION_PREFIX}{pid}-stale"
    alive = scratch / f"{session.SESSION_PREFIX}{os.getpid()}-live"
    for folder in (dead, alive):
        (folder / "tests").mkdir(parents=True)
    try:
        session.remove_stale_sessions()
        assert not dead.exists(), "the folder of a dead supervisor is removed"
        assert alive.exists(), "a running supervisor's folder is left alone"
    finally:
        for folder in (dead, alive):
            if folder.exists():
                for sub in sorted(folder.rglob("*"), reverse=True):
                    sub.rmdir()
                folder.rmdir()


def test_without_root_there_is_no_lease() -> None:
    if AS_ROOT:
        pytest.skip("root leases a uid")
    with users.lease() as uid:
        assert uid is None
