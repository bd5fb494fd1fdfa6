"""grader.channel: the judge learns from the kernel which process said what, and when it ended."""

from __future__ import annotations

import contextlib
import os
import socket
import time

import pytest
from conftest import fork_child

from grader import channel, users
from grader.isolation import Deadline, wait_child


def _status(pid: int) -> int:
    status = wait_child(pid, Deadline(20.0))
    assert status is not None, f"pid {pid} did not end"
    return os.waitstatus_to_exitcode(status)


def test_the_kernel_names_who_talked_and_the_answer_comes_back() -> None:
    with channel.Channel("test") as judge:
        address = judge.address
        kid = fork_child(
            lambda: 7 if channel.talk(address, f"hello from {os.getpid()}") == "go" else 3
        )
        peer = judge.wait_for(lambda: next((p for p in judge.peers if p.lines), None), 20.0)
        assert peer is not None
        assert peer.pid == kid and peer.line == f"hello from {kid}"
        assert peer.row is not None and peer.row.ppid == os.getpid()
        assert peer.answer("go")
        assert _status(kid) == 7
        assert judge.wait_for(lambda: peer.ended, 20.0)
    assert not os.path.exists(os.path.dirname(address))  # the folder went with the channel


# Two uids outside the sandboxes' default range (no grading session leases them).
SANDBOX_UID, CLASSMATE_UID = 60990, 60991


def test_the_folder_is_the_graders_own_when_sandboxes_run_as_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(channel, "_where", channel._where)
    channel.configure(None, None)
    with channel.Channel("test") as judge:
        folder = os.stat(os.path.dirname(judge.address))
        assert (folder.st_uid, folder.st_mode & 0o7777) == (os.geteuid(), 0o700)


@pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes have a uid of their own only as root")
def test_only_this_sessions_sandbox_uid_may_reach_the_judge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As root, the channel's folder lets the session's sandbox uid through and no other: a
    classmate's sandbox cannot reach this judge even where the two share a network."""
    monkeypatch.setattr(channel, "_where", channel._where)
    channel.configure(None, SANDBOX_UID)
    with channel.Channel("test") as judge:
        folder = os.stat(os.path.dirname(judge.address))
        assert (folder.st_uid, folder.st_gid, folder.st_mode & 0o7777) == (0, SANDBOX_UID, 0o710)
        classmate = fork_child(lambda: _talk_as(judge.address, CLASSMATE_UID))
        assert _status(classmate) == 13
        own = fork_child(lambda: _talk_as(judge.address, SANDBOX_UID))
        peer = judge.wait_for(lambda: next((p for p in judge.peers if p.lines), None), 20.0)
        assert peer is not None and peer.pid == own and peer.line == "hello"
        peer.answer("go")
        assert _status(own) == 0
        assert [p.pid for p in judge.peers] == [own]


def _talk_as(address: str, uid: int) -> int:
    """In a forked child: become ``uid`` and talk; 0 heard "go", 13 refused (EACCES)."""
    users.drop_to(uid)
    try:
        return 0 if channel.talk(address, "hello", timeout=20.0) == "go" else 5
    except PermissionError:
        return 13


def test_a_line_that_lies_about_its_sender_does_not_fool_the_judge() -> None:
    """A grandchild speaks with its parent's pid in the line: the kernel says who it is."""
    with channel.Channel("test") as judge:
        address = judge.address

        def parent() -> int:
            me = os.getpid()
            grandchild = fork_child(lambda: channel.talk(address, f"I am {me}") and 0)
            return _status(grandchild)

        kid = fork_child(parent)
        peer = judge.wait_for(lambda: next((p for p in judge.peers if p.lines), None), 20.0)
        assert peer is not None and peer.line == f"I am {kid}"
        assert peer.pid != kid and peer.row is not None and peer.row.ppid == kid
        peer.answer("ok")
        assert _status(kid) == 0


needs_writers = pytest.mark.skipif(
    not hasattr(socket, "SO_PASSCRED"), reason="only Linux names each writer"
)


@needs_writers
def test_a_child_that_writes_on_its_parents_connection_is_cut_off() -> None:
    """The connection's own process speaks, then a child it forks writes on the inherited
    socket: the first line stays, the child's is dropped, and the connection ends there."""
    with channel.Channel("test") as judge:
        address = judge.address

        def parent() -> int:
            conn = channel.connect(address, "mine")
            child = fork_child(lambda: conn.sendall(b"forged by the child\n"))
            code = _status(child)
            with contextlib.suppress(OSError):  # fails once the judge has cut it
                conn.sendall(b"mine again\n")  # after the child's write: never taken
            return code

        kid = fork_child(parent)
        peer = judge.wait_for(lambda: next((p for p in judge.peers if p.ended), None), 20.0)
        assert peer is not None and peer.pid == kid
        assert peer.lines == ["mine"]
        assert peer.stranger is not None and peer.stranger != kid
        assert _status(kid) == 0


@needs_writers
def test_a_decoy_that_connects_and_hands_its_socket_over_is_cut_off() -> None:
    """The red team's forgery: a decoy child connects (so SO_PEERCRED names the decoy) and
    sends the socket to its parent with SCM_RIGHTS; the parent writes. Nothing it writes is
    taken as the decoy's."""
    with channel.Channel("test") as judge:
        address = judge.address

        def parent() -> int:
            here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)

            def decoy() -> int:
                conn = channel.connect(address, "decoy here")
                socket.send_fds(there, [b"x"], [conn.fileno()])
                return 0 if there.recv(1) == b"k" else 3  # keep it open until it was used

            pid = fork_child(decoy)
            _, fds, _, _ = socket.recv_fds(here, 1, 1)
            taken = socket.socket(fileno=fds[0])
            taken.sendall(b"I am the worker\n")
            here.sendall(b"k")
            return _status(pid)

        kid = fork_child(parent)
        peer = judge.wait_for(lambda: next((p for p in judge.peers if p.ended), None), 20.0)
        assert peer is not None and peer.pid != kid  # the decoy connected
        assert peer.lines == ["decoy here"]
        assert peer.stranger == kid
        assert _status(kid) == 0


def test_many_at_once_each_line_whole_and_the_end_of_each_seen() -> None:
    with channel.Channel("test") as judge:
        address = judge.address

        def hold() -> int:
            conn = channel.connect(address, "x" * 100_000)  # longer than a line may be
            conn.sendall(b"second\nthird, cut by the end")
            return 0 if channel.read_line(conn) == "bye" else 5

        kids = [fork_child(hold) for _ in range(20)]
        assert judge.wait_for(lambda: sum(len(p.lines) >= 2 for p in judge.peers) == 20, 20.0)
        assert sorted(p.pid for p in judge.peers) == sorted(kids)
        for peer in judge.peers:
            assert peer.lines[0] == "x" * channel.LINE_MAX
            assert peer.lines[1] == "second"
            assert not peer.ended
            peer.answer("bye")
        assert [_status(k) for k in kids] == [0] * 20
        assert judge.wait_for(lambda: all(p.ended for p in judge.peers), 20.0)
        assert all(p.lines[2:] == ["third, cut by the end"] for p in judge.peers)


def test_an_answer_that_never_comes_is_a_timeout_in_the_sandbox() -> None:
    with channel.Channel("test") as judge:
        with pytest.raises(TimeoutError):
            channel.talk(judge.address, "anyone?", timeout=0.05)
        judge.poll()
        assert [p.line for p in judge.peers] == ["anyone?"]
        assert judge.wait_for(lambda: judge.peers[0].ended, 5.0)


def test_a_closed_channel_refuses_connections() -> None:
    judge = channel.Channel("test")
    address = judge.address
    judge.close()
    with pytest.raises(OSError):
        channel.connect(address, "late", timeout=1.0)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock, pytest.raises(OSError):
        sock.connect(address)


def _connected_then_gone(address: str) -> int:
    """A process that connects, says "in", and ends; its pid once it has been reaped."""
    kid = fork_child(lambda: channel.connect(address, "in").close())
    assert _status(kid) == 0
    return kid


def test_one_poll_sees_an_end_that_came_before_a_newer_connection() -> None:
    # Both wait in the backlog: the first peer's line and end are read at its accept.
    with channel.Channel("test") as judge:
        address = judge.address
        gone = _connected_then_gone(address)
        ready_r, ready_w = os.pipe()

        def newcomer() -> int:
            conn = channel.connect(address, "in")
            os.write(ready_w, b"!")  # connected: it is in the backlog now
            return 0 if channel.read_line(conn) == "out" else 5

        here = fork_child(newcomer)
        os.close(ready_w)
        with os.fdopen(ready_r, "rb", buffering=0) as ready:
            assert ready.read(1) == b"!"
        judge.poll(5.0)  # once
        first, second = judge.peers
        assert (first.pid, first.lines, first.ended) == (gone, ["in"], True)
        assert second.pid == here and not second.ended
        second.answer("out")
        assert _status(here) == 0


def test_an_older_peer_is_read_after_an_accept_even_if_select_said_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The end arrives between select() and accept(): select's answer is stale by then.
    with channel.Channel("test") as judge:
        address = judge.address
        held = channel.connect(address, "in")
        assert judge.wait_for(lambda: judge.peers and judge.peers[0].lines, 20.0)
        held.close()
        here = fork_child(lambda: 0 if channel.talk(address, "in") == "out" else 5)
        real_select = channel.select.select

        def stale(read, write, error, timeout):  # type: ignore[no-untyped-def]
            real_select([judge.listener], [], [], 20.0)  # wait for the newcomer only
            return [judge.listener], [], []

        monkeypatch.setattr(channel.select, "select", stale)
        changed = judge.poll()
        monkeypatch.undo()
        assert judge.peers[0].ended and judge.peers[0] in changed
        assert judge.peers[1].pid == here
        judge.peers[1].answer("out")
        assert _status(here) == 0


def test_new_lines_gives_each_line_once_in_order_with_the_time_it_was_read() -> None:
    with channel.Channel("test") as judge:
        address = judge.address

        def two_lines() -> int:
            conn = channel.connect(address, "one")
            conn.sendall(b"two\n")
            return 0 if channel.read_line(conn) == "bye" else 5

        kids = [fork_child(two_lines) for _ in range(3)]
        said: list[channel.Said] = []
        deadline = time.monotonic() + 20.0
        while len(said) < 6 and time.monotonic() < deadline:
            said.extend(judge.new_lines())
        assert sorted(s.peer.pid for s in said) == sorted(kids * 2)
        for peer in judge.peers:
            mine = [s for s in said if s.peer is peer]
            assert [s.text for s in mine] == ["one", "two"]
            assert 0 <= peer.at <= mine[0].at <= mine[1].at <= judge.now()
            peer.answer("bye")
        assert judge.new_lines(0) == []
        assert [_status(k) for k in kids] == [0, 0, 0]


def test_read_line_leaves_the_next_line_for_the_next_call() -> None:
    with channel.Channel("test") as judge:
        address = judge.address

        def two_answers() -> int:
            conn = channel.connect(address, "ask")
            answers = [channel.read_line(conn), channel.read_line(conn), channel.read_line(conn)]
            return 0 if answers == ["first", "second", ""] else 5

        kid = fork_child(two_answers)
        peer = judge.wait_for(lambda: next((p for p in judge.peers if p.lines), None), 20.0)
        assert peer is not None
        peer.conn.sendall(b"first\nsecond\n")  # one write: both lines arrive together
        peer.conn.shutdown(socket.SHUT_WR)
        assert _status(kid) == 0


def test_a_peer_that_ends_while_later_ones_are_accepted_is_seen_ended_in_that_poll() -> None:
    # Two connections wait in the backlog; the first ends between its accept and the next.
    with channel.Channel("test") as judge:
        first = channel.connect(judge.address, "in")
        second = channel.connect(judge.address, "in")
        listener = judge.listener

        class ClosingFirstOnSecondAccept:
            accepts = 0

            def fileno(self) -> int:
                return listener.fileno()

            def accept(self):  # type: ignore[no-untyped-def]
                self.accepts += 1
                if self.accepts == 2:
                    first.close()
                return listener.accept()

        judge.listener = ClosingFirstOnSecondAccept()  # type: ignore[assignment]
        try:
            judge.poll(5.0)  # once
        finally:
            judge.listener = listener
        assert [p.lines for p in judge.peers] == [["in"], ["in"]]
        assert judge.peers[0].ended and not judge.peers[1].ended
        second.close()


def test_said_tells_a_peers_first_line_from_a_repeat_of_it() -> None:
    with channel.Channel("test") as judge:
        conn = channel.connect(judge.address, "x")
        conn.sendall(b"x\nx\n")
        said: list[channel.Said] = []
        deadline = time.monotonic() + 20.0
        while len(said) < 3 and time.monotonic() < deadline:
            said.extend(judge.new_lines())
        assert [(s.text, s.position, s.first) for s in said] == [
            ("x", 0, True),
            ("x", 1, False),
            ("x", 2, False),
        ]
        conn.close()


def _judge_of(setup: str) -> int:
    """In a child of its own (the judge), open a channel that one other process talks to:
    ``sibling``, a process beside the judge (as a classmate's sandbox is: not below it);
    ``adopted``, the judge's grandchild, whose parent ends before it talks (the judge is a
    child subreaper, as a test process is). Exit code: 0 heard, 1 refused as an outsider."""
    from grader import isolation

    ready_r, ready_w = os.pipe()
    judge_pid = os.fork()
    if judge_pid == 0:  # pragma: no cover - the judge
        code = 2
        try:
            isolation.become_subreaper()
            with channel.Channel("test") as judge:
                if setup == "sibling":
                    os.write(ready_w, judge.address.encode())
                else:
                    middle = fork_child(
                        lambda: fork_child(lambda: channel.talk(judge.address, "hi"))
                    )
                    os.waitpid(middle, 0)  # the talker is an orphan now, adopted by the judge
                told = judge.wait_for(
                    lambda: judge.outsiders or [p for p in judge.peers if p.lines], 20.0
                )
                code = 0 if told and judge.peers else 1 if told else 3
            if setup == "adopted":  # the talker, our child since its parent ended, has its
                os.wait()  # answer (the channel closed): it ends
        finally:
            os._exit(code)
    os.close(ready_w)
    try:
        if setup == "sibling":
            address = os.read(ready_r, 4096).decode()
            _status(fork_child(lambda: 0 if channel.talk(address, "hi", 20.0) == "" else 1))
        return _status(judge_pid)
    finally:
        os.close(ready_r)


def test_only_processes_below_the_judge_are_heard() -> None:
    """A process that is not the judge's own nor below it (a classmate's sandbox in a grading
    beside this one, that found the socket file) is cut off before it says anything; an
    orphan of the judge's own tree, adopted by it, is heard."""
    assert _judge_of("sibling") == 1
    assert _judge_of("adopted") == 0
