"""grader.zygote: sessions forked from a warm process see what executed sessions see."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from grader import catalog, heap, isolation, probe, session, zygote
from grader.isolation import Deadline, OutputFile
from grader.polling import holds_within

FIXTURE = Path(__file__).parent / "fixtures" / "repo"
LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="the zygote needs a child subreaper (Linux)")

FACTS_TEST = textwrap.dedent(
    """
    import gc, json, os, sys
    from pathlib import Path
    from grader import sandbox, sources, zygote

    def test_facts(pytestconfig):
        fds = os.listdir("/proc/self/fd")
        invoked = pytestconfig.invocation_params
        plugins = pytestconfig.pluginmanager.list_name_plugin()
        facts = {
            "ppid": os.getppid(),
            "own_session": os.getsid(0) == os.getpid(),
            "cwd": os.getcwd(),
            "path": sys.path,
            "main": sys.modules["__main__"].__spec__.name,
            "argv0": os.path.basename(sys.argv[0]),
            "flags": [sys.flags.isolated, sys.flags.ignore_environment, sys.flags.no_user_site],
            "key": os.read(int(os.environ["KEY_FD"]), 100).decode(),
            "mark": os.environ.get("ZYGOTE_TEST_MARK"),
            "stdin": os.readlink("/proc/self/fd/0"),
            "descriptors": len(fds),
            "invoked": [list(invoked.args), str(invoked.dir) == os.getcwd(), invoked.plugins],
            "plugins": sorted(n for n, p in plugins if p is not None and not n.isdigit()),
            "options": sorted(vars(pytestconfig.option)),
            "premade": pytestconfig.stash.get(zygote.PREMADE, False),
            "frozen": gc.get_freeze_count(),  # 3.12 starts with a few hundred
            "immortal": sys.getrefcount(sys.modules["pytest"]) == 0xFFFFFFFF,
            "learnt": sources.learnt(Path(os.path.abspath(sandbox.__file__))),
        }
        with open(os.environ["FACTS_OUT"], "w") as out:
            json.dump(facts, out)
    """
)


def _facts(
    tmp_path: Path, how: str, warm: zygote.Zygote | None, blocks: tuple[str, ...]
) -> dict[str, Any]:
    """Run the facts test in a session started ``how`` ("exec" or "zygote") with ``blocks``
    (-p no:NAME options) on its command line; its facts."""
    folder = tmp_path / how
    folder.mkdir()
    spec = folder / "test_facts.py"
    spec.write_text(FACTS_TEST)
    out = folder / "facts.json"
    key_r, key_w = os.pipe()
    os.write(key_w, b"the key")
    os.close(key_w)
    args = ["-q", "-s", *blocks, "--grader-no-fork", str(spec)]
    key_fd = zygote.KEY_FD if warm is not None else key_r
    env = dict(os.environ, ZYGOTE_TEST_MARK="m", FACTS_OUT=str(out), KEY_FD=str(key_fd))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as in sessions: only the plugins named
    log = OutputFile()
    try:
        if warm is not None:
            pid = warm.spawn(args, str(folder), env, log.fd, key_r)
        else:
            pid = subprocess.Popen(
                [sys.executable, *session.isolation_flags(), "-m", "pytest", *args],
                stdin=subprocess.DEVNULL,
                stdout=log.fd,
                stderr=subprocess.STDOUT,
                pass_fds=(key_r,),
                cwd=folder,
                env=env,
                start_new_session=True,
            ).pid
        os.close(key_r)
        status = isolation.wait_child(pid, Deadline(120.0))  # only a child can be waited for
        assert status is not None and os.waitstatus_to_exitcode(status) == 0, log.read().text
        facts: dict[str, Any] = json.loads(out.read_text())
    finally:
        log.close()
    facts["cwd_is_folder"] = facts.pop("cwd") == str(folder)
    facts["path"] = [p if p != str(folder) else "<folder>" for p in facts["path"]]
    facts["invoked"][0] = [a if a != str(spec) else "<spec>" for a in facts["invoked"][0]]
    return facts


@pytest.mark.parametrize(
    "blocks",
    [zygote.SESSION_PLUGINS, (*zygote.SESSION_PLUGINS, "-p", "no:recwarn")],
    ids=["as-sessions", "blocking-more"],
)
def test_a_forked_session_sees_what_an_executed_one_sees(
    tmp_path: Path, blocks: tuple[str, ...]
) -> None:
    """Down to pytest's configuration: made once in the zygote for sessions that load and
    block what every session does, afresh for one that blocks more, the same as executed."""
    isolation.become_subreaper()  # as the supervisor is: the session is re-parented to us
    warm = zygote.Zygote.start([sys.executable, *session.isolation_flags()])
    try:
        forked = _facts(tmp_path, "zygote", warm, blocks)
    finally:
        warm.close()
    executed = _facts(tmp_path, "exec", None, blocks)
    assert forked.pop("premade") == (blocks == zygote.SESSION_PLUGINS)
    assert executed.pop("premade") is False
    assert forked == executed
    assert ("recwarn" in forked["plugins"]) == ("no:recwarn" not in blocks)
    assert not set(zygote.SESSION_BLOCKS) & set(forked["plugins"])
    assert forked["invoked"] == [["-q", "-s", *blocks, "--grader-no-fork", "<spec>"], True, None]
    assert {"grader.plugin", "pytest_timeout"} <= set(forked["plugins"])
    assert forked["ppid"] == os.getpid() and forked["own_session"] and forked["cwd_is_folder"]
    assert forked["key"] == "the key" and forked["mark"] == "m"
    assert forked["main"] == "pytest.__main__" and forked["stdin"] == "/dev/null"


def test_sessions_after_the_first_start_from_the_zygotes_frozen_heap(tmp_path: Path) -> None:
    """The zygote freezes its heap once it has forked its first session (grader.heap): the
    sessions forked after that never collect its objects, and where CPython allows it never
    count references to them either. Before that it learns the statements of the grader's
    modules (grader.sources), so no session parses them again."""
    isolation.become_subreaper()
    warm = zygote.Zygote.start([sys.executable, *session.isolation_flags()])
    try:
        first = _facts(tmp_path, "first", warm, zygote.SESSION_PLUGINS)
        second = _facts(tmp_path, "second", warm, zygote.SESSION_PLUGINS)
    finally:
        warm.close()
    assert first["frozen"] < 1000 and not first["immortal"]
    assert second["frozen"] > 10_000, "pytest, the grader and their modules"
    assert second["immortal"] == heap.immortals_supported()
    # and where a failing test's report finds the statements of the grader's modules
    assert not first["learnt"] and second["learnt"], (first, second)


def test_a_session_forked_by_the_zygote_imports_only_its_spec(tmp_path: Path) -> None:
    """What a session would import, the zygote imported once: its own start is only pytest's
    work. (Forty-five modules each session imported were found this way: the debugger,
    readline, unittest, JUnit XML and twelve of pytest's own plugins.)"""
    spec = tmp_path / "test_alone.py"
    spec.write_text("def test_one():\n    assert True\n")
    script = textwrap.dedent(
        f"""
        import json, sys
        from grader import zygote
        zygote._warm()
        before = set(sys.modules)
        import pytest
        code = pytest.main(["-q", "-s", "-p", "grader.plugin", "-p", "pytest_timeout",
                            "-p", "no:cacheprovider", "--noconftest",
                            "-c", {str(session.SESSION_INI)!r},
                            "--rootdir", {str(tmp_path)!r}, {str(spec)!r}])
        print(json.dumps([int(code), sorted(set(sys.modules) - before)]))
        """
    )
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    code, imported = json.loads(done.stdout.splitlines()[-1])
    assert code == 0, done.stdout
    assert imported == ["test_alone"]


def test_the_premade_configuration_goes_only_to_the_call_it_was_made_for() -> None:
    """pytest.main's first get_config, once, and only as pytest.main called it in the zygote."""
    script = textwrap.dedent(
        """
        import json
        import inspect
        from _pytest import config as pytest_config
        from grader import zygote
        zygote._warm()
        premade = zygote._premade_config()
        zygote._PREMADE = premade
        args, passes = [*zygote.SESSION_PLUGINS, "x.py"], premade.passes
        calls = [(None, passes), (["p"], passes)]
        if "prog" in inspect.signature(pytest_config.get_config).parameters:  # pytest 9.1+
            calls.insert(1, (None, {"prog": "another"}))
        got = []
        for plugins, more in calls:
            zygote._use_premade_config(args)
            config = pytest_config.get_config(args, plugins, **more)
            got.append(config is premade.config)
        got.append(pytest_config.get_config(args, None, **passes) is premade.config)
        print(json.dumps([got, list(premade.config.invocation_params.args), len(calls) == 3]))
        """
    )
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    got, invoked, with_prog = json.loads(done.stdout.splitlines()[-1])
    # As made, then (where pytest's get_config takes a prog) another prog, other plugins, a
    # second pytest.main.
    assert got == [True, *[False] * (3 if with_prog else 2)], got
    assert invoked == [*zygote.SESSION_PLUGINS, "x.py"]


def _run_echo() -> str:
    exercise = catalog.load_exercise(FIXTURE / "exercises" / "03_echo")
    target = session.Target(FIXTURE / "solutions", FIXTURE)
    result = session.run_exercise(exercise, target)
    assert result.tests and not result.error, result.error
    return " ".join(t.status for t in result.tests)


def test_sessions_of_a_warm_block_share_one_zygote_which_ends_with_the_block() -> None:
    with session.warm_sessions():
        first = _run_echo()
        (warm,) = session._ZYGOTE
        assert _run_echo() == first and session._ZYGOTE[0] is warm and len(session._ZYGOTE) == 1
    assert not session._ZYGOTE and warm.proc.returncode is not None
    assert "failed" not in first


def test_the_zygote_outlives_the_thread_that_started_it() -> None:
    """`grader batch` grades each student from a new worker thread: the zygote one of them
    started must serve the next student too (a parent-death signal is tied to a thread)."""
    with session.warm_sessions():
        seen: list[str] = []
        worker = threading.Thread(target=lambda: seen.append(_run_echo()))
        worker.start()
        worker.join()
        (warm,) = session._ZYGOTE
        # A signal the thread's end sent would land within microseconds; a second session
        # started from this thread must find the same zygote, alive.
        assert _run_echo() == seen[0] and session._ZYGOTE[0] is warm and warm.alive()


def test_a_warm_block_rewrites_each_spec_once_and_never_beside_it(fixture_repo: Path) -> None:
    exercise = catalog.load_exercise(fixture_repo / "exercises" / "03_echo")
    target = session.Target(fixture_repo / "solutions", fixture_repo)
    with session.warm_sessions():
        (folder,) = session._COMPILED_SPECS
        first = session.run_exercise(exercise, target)
        (compiled,) = Path(folder).rglob("test_echo.*pytest*.pyc")
        before = compiled.stat()
        second = session.run_exercise(exercise, target)
        after = compiled.stat()
    statuses = [[t.status for t in r.tests] for r in (first, second)]
    assert statuses[0] == statuses[1] and set(statuses[0]) == {"passed"}, statuses
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "rewritten"
    assert not list(fixture_repo.rglob("__pycache__")), "written beside the specs"
    assert not Path(folder).exists(), "the folder outlived its block"


def test_the_first_session_comes_from_the_zygote_started_before_the_command() -> None:
    python = [sys.executable, *session.isolation_flags()]
    zygote.start_early(python)
    (early,) = zygote._EARLY
    with session.warm_sessions():
        statuses = _run_echo()
        (warm,) = session._ZYGOTE
        assert warm is early and warm.alive() and not zygote._EARLY
    assert "failed" not in statuses and early.proc.returncode is not None


def test_a_zygote_started_early_for_other_flags_is_ended_and_another_started() -> None:
    zygote.start_early([sys.executable, "-E", *session.isolation_flags()])
    (early,) = zygote._EARLY
    with session.warm_sessions():
        statuses = _run_echo()
        (warm,) = session._ZYGOTE
        assert warm is not early and early.proc.returncode is not None
    assert "failed" not in statuses


def test_a_zygote_started_early_that_no_session_took_is_killed_not_waited_for() -> None:
    """A grading command that ends before its first session (a usage error) must not wait
    the 0.3 s its zygote takes to import everything, and read the end of file then."""
    zygote.start_early([sys.executable, *session.isolation_flags()])
    (early,) = zygote._EARLY
    zygote.end_early()
    assert early.proc.returncode == -signal.SIGKILL and not zygote._EARLY


def test_the_grader_command_starts_its_zygote_before_its_own_imports(tmp_path: Path) -> None:
    """What grader.entry is for: the zygote's imports and the command's side by side. Here
    the command ends at once (an exercise that does not exist), ending its zygote too."""
    script = textwrap.dedent(
        """
        import json, sys
        from grader import entry, zygote

        seen = []
        start = zygote.start_early
        zygote.start_early = lambda python: (
            seen.append(sorted({"grader.cli", "rich", "grader.session"} & set(sys.modules))),
            start(python),
        )
        end = zygote.end_early
        zygote.end_early = lambda: (seen.append([e.proc.pid for e in zygote._EARLY]), end())
        sys.argv = ["grader", "--root", sys.argv[1], "check", "99_nothing"]
        try:
            entry.main()
        except SystemExit as exc:
            print("RESULT", json.dumps([exc.code, *seen]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(FIXTURE)], capture_output=True, text=True, timeout=60
    )
    (result,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    code, imported, (pid,) = json.loads(result.removeprefix("RESULT "))
    assert imported == [], f"imported before the zygote started: {imported}"
    assert code == 2, done.stdout + done.stderr
    assert not os.path.exists(f"/proc/{pid}"), "the zygote outlived the command"


def test_outside_a_warm_block_sessions_are_executed() -> None:
    _run_echo()
    assert not session._ZYGOTE


def test_a_killed_zygote_is_replaced_and_a_failed_spawn_falls_back_to_exec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with session.warm_sessions():
        expected = _run_echo()
        (first,) = session._ZYGOTE
        os.kill(first.proc.pid, signal.SIGKILL)  # as a careless sweep of the caller's would
        # kill() only queues the signal: the next session must find the zygote dead, not dying
        assert holds_within(lambda: not first.alive(), 20.0)
        assert _run_echo() == expected
        (second,) = session._ZYGOTE
        assert second is not first

        def gone(*args: object, **kwargs: object) -> int:
            raise zygote.ZygoteError("gone")

        monkeypatch.setattr(zygote.Zygote, "spawn", gone)
        assert _run_echo() == expected
        # a zygote that failed a spawn (dying while asked, say) is never asked again
        assert not session._ZYGOTE and second.proc.returncode is not None


def test_a_zygote_whose_supervisor_is_gone_before_it_is_ready_ends_without_a_word() -> None:
    """Its pidfd of the supervisor is taken before it says "ready", then the supervisor must
    still be its parent: on a loaded machine a supervisor could die after "ready" and before
    a later pidfd, which then failed, and a fork holding the socket kept the zygote alive."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child = os.fork()
    if child == 0:  # pragma: no cover - a stand-in zygote whose "supervisor" is not its parent
        ours.close()
        try:
            zygote.serve(theirs, supervisor=1)
        finally:
            os._exit(0)
    theirs.close()
    ended = False
    try:
        ended = isolation.wait_child(child, Deadline(10.0)) is not None
        assert ended, "it waited for requests from a supervisor that was not its parent"
        assert ours.recv(100) == b"", "it said ready"
    finally:
        ours.close()
        if not ended:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)


@pytest.mark.parametrize("socket_held", [False, True], ids=["alone", "socket-held-by-a-fork"])
def test_the_zygote_dies_with_its_supervisor(socket_held: bool) -> None:
    """Its end of the socket reads end of file, or (while a fork of the supervisor still
    holds the socket) its pidfd of the supervisor says that process has ended."""
    isolation.become_subreaper()  # the orphaned zygote comes back to us, to be reaped
    hold = (  # a fork of the supervisor that keeps a copy of its end of the socket
        "holder = os.fork()\nif holder == 0:\n    time.sleep(60)\n    os._exit(0)\n"
        if socket_held
        else "holder = 0\n"
    )
    script = (
        "import os, sys, time\n"
        "from grader import session, zygote\n"
        "z = zygote.Zygote.start([sys.executable, *session.isolation_flags()])\n"
        f"{hold}"
        "print(z.proc.pid, holder, flush=True)\n"
        "time.sleep(60)\n"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert supervisor.stdout is not None
    pid, holder = (int(word) for word in supervisor.stdout.readline().split())
    supervisor.kill()
    supervisor.wait()

    def ended() -> bool:
        row = probe.read(pid)
        return row is None or row.zombie

    try:
        assert holds_within(ended, 20.0), f"the zygote {pid} outlived its supervisor"
    finally:
        if holder:  # re-parented to us with the supervisor gone
            os.kill(holder, signal.SIGKILL)
            os.waitpid(holder, 0)
    row = probe.read(pid)
    if row is not None:
        os.waitpid(pid, 0)
