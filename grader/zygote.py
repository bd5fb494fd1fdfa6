"""A warm process that forks the grading sessions: pytest and the grader are imported once
per grader run instead of once per session (about 0.3 s of CPU each, most of a short
session's cost; a class of 100 students and 5 exercises has 500 sessions).

Who owns what:

* The supervisor (:mod:`grader.session`) starts one zygote per grader run, when the first
  session is due, owns our end of the socket pair to it, and ends it with :meth:`Zygote.close`
  (closing the socket makes it exit; so does the end of the supervisor's process, whichever
  of its threads started the zygote).
* For each session the supervisor sends the command line, folder and environment, and two
  descriptors (the output file and the results key's pipe), which the zygote closes once the
  session has its copies. The zygote forks a middle process, which forks the session and exits
  at once: the session is re-parented to the supervisor (a child subreaper), which then waits
  for it, sweeps below it and kills it exactly as a session it had started itself. The
  session starts running only once that has happened (it waits on a pipe the zygote closes
  after reaping the middle process), so it never sees another parent.

Linux only (the re-parenting needs a child subreaper); elsewhere sessions are started as
before, with exec.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import pathlib
import select
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from _pytest.stash import StashKey

from grader import heap, isolation

KEY_FD = 3  # where a session forked here finds the results key (--grader-key-fd)
_STARTED_IN = "/"  # the zygote's folder: where its module search path may start
_MESSAGE_MAX = 1 << 20  # a request: the command line and the environment
WARM = (  # imported once by the zygote: what every session would import for itself
    "pytest",
    "pytest.__main__",
    "_pytest.assertion.rewrite",
    "_pytest.python",
    "_pytest.runner",
    "_pytest.terminal",
    "_pytest._argcomplete",  # its command line parser's
    "pytest_timeout",
    "grader.plugin",
    "grader.spec",
    # What each session's pytest imports once it runs (besides its plugins, below): the
    # debugger and readline (configure), unittest (collection), JUnit XML, assertion diffs.
    # Without them every session imported these 45 modules again (three with C libraries).
    "pdb",
    "unittest",
    "xml.etree.ElementTree",
    "difflib",
)
OPTIONAL_WARM = ("readline",)  # not built into every Python
# pytest's plugins a grading session never uses: no cache between runs, no doctests,
# JUnit XML or pastebin (the grader writes its own reports), no --setup-show/--setup-plan
# or --stepwise (a session is only ever given -k and -x). Each would cost every session
# the fixture manager's scan of its module (about 1 ms) and some every test a hook call.
SESSION_BLOCKS = (
    "cacheprovider", "doctest", "junitxml", "pastebin", "setuponly", "setupplan", "stepwise",
)  # fmt: skip
# The plugins every session's command line loads and blocks (grader.session): pytest's
# configuration is made once here with them, before any session (see _premade_config).
_BLOCKED = tuple(arg for name in SESSION_BLOCKS for arg in ("-p", f"no:{name}"))
SESSION_PLUGINS = ("-p", "grader.plugin", "-p", "pytest_timeout", *_BLOCKED)


class ZygoteError(Exception):
    """The zygote is gone or answered nonsense: start the session another way."""


class Zygote:
    """The supervisor's handle: the zygote process and our end of the socket pair to it."""

    def __init__(
        self, proc: subprocess.Popen[bytes], sock: socket.socket, python: Sequence[str]
    ) -> None:
        self.proc = proc
        self.sock = sock
        self.python = tuple(python)  # the interpreter and flags it was started with
        self._lock = threading.Lock()  # one request at a time (grading runs sessions in threads)
        self._ready = False  # it said "ready": everything is imported

    @classmethod
    def start(cls, python: Sequence[str]) -> Zygote:
        """Start ``python -m grader.zygote`` (``python``: the interpreter and its flags) and
        wait until it has imported everything."""
        zygote = cls.launch(python)
        zygote.wait_ready()
        return zygote

    def wait_ready(self) -> None:
        """Return once the zygote has imported everything (at once after the first time);
        ZygoteError, the zygote ended, if it never will."""
        if self._ready:
            return
        try:
            self._answer()  # "ready"
        except ZygoteError:
            self.close()
            raise
        self._ready = True

    @classmethod
    def launch(cls, python: Sequence[str]) -> Zygote:
        """Start the zygote without waiting for it: see :meth:`start`."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            proc = subprocess.Popen(
                [*python, "-m", "grader.zygote", str(theirs.fileno()), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd=_STARTED_IN,  # each session puts its own folder in its place
                start_new_session=True,  # a Ctrl-C in the terminal reaches the grader only
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(proc, ours, python)

    def spawn(
        self, argv: Sequence[str], cwd: str, env: dict[str, str], output_fd: int, key_fd: int
    ) -> int:
        """Start a session (``argv`` after ``python -m pytest``); its pid, our child now.

        The session's stdout and stderr go to ``output_fd``, the key pipe is its KEY_FD.
        """
        request = json.dumps({"argv": list(argv), "cwd": cwd, "env": env}).encode()
        with self._lock:
            try:
                socket.send_fds(self.sock, [request], [output_fd, key_fd])
            except OSError as exc:
                raise ZygoteError(f"the zygote is gone: {exc}") from exc
            answer = self._answer()
        pid = answer.get("pid")
        if not isinstance(pid, int):
            raise ZygoteError(f"the zygote could not start a session: {answer.get('error')}")
        return pid

    def _answer(self) -> dict[str, object]:
        try:
            data = self.sock.recv(_MESSAGE_MAX)
            answer = json.loads(data) if data else None
        except (OSError, ValueError) as exc:
            raise ZygoteError(f"no answer from the zygote: {exc}") from exc
        if not isinstance(answer, dict):
            raise ZygoteError("the zygote ended")
        return answer

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """End the zygote (it reads the end of file and exits) and reap it. One still
        importing is killed: it would read the end of file only once done."""
        self.sock.close()
        if not self._ready:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_EARLY: list[Zygote] = []  # started by start_early(), not yet taken by the supervisor


def start_early(python: Sequence[str]) -> None:
    """Start a zygote now, before the grader command's own imports and work (see
    :mod:`grader.entry`); the supervisor takes it with :func:`take_early` when its first
    session is due, and :func:`end_early` ends it if none ever is. Linux only."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):  # then the supervisor starts one when it needs it
        _EARLY.append(Zygote.launch(python))


def take_early(python: Sequence[str]) -> Zygote | None:
    """The zygote :func:`start_early` started, if it runs ``python``; one that runs another
    command line (the sessions turned out to need other flags) is ended."""
    while _EARLY:
        early = _EARLY.pop()
        if early.python == tuple(python):
            return early
        early.close()
    return None


def end_early() -> None:
    """End a zygote :func:`start_early` started that no session took."""
    while _EARLY:
        _EARLY.pop().close()


# -- the zygote's side -----------------------------------------------------------------------


def serve(sock: socket.socket, supervisor: int) -> None:
    """Answer "ready", then fork one session per request until the supervisor hangs up or
    its process ends."""
    # Not a parent-death signal: that follows the *thread* that started us, and `grader
    # batch` starts each student's sessions from a new thread that soon ends. The socket
    # reads end of file when the supervisor's process dies; its pidfd says so even if a
    # short-lived fork of it still holds the socket. The pidfd is taken before "ready":
    # a supervisor that dies after it (on a loaded machine, before we got to it) is then
    # still seen, and one that died before it is no longer our parent.
    supervisor_ended = isolation.pidfd(supervisor)
    if os.getppid() != supervisor:
        return
    sock.send(json.dumps({"ready": True}).encode())
    watch = select.poll()
    watch.register(sock, select.POLLIN)
    if supervisor_ended is not None:
        watch.register(supervisor_ended, select.POLLIN)
    frozen = False
    while True:
        if any(fd == supervisor_ended for fd, _ in watch.poll()):
            return
        try:
            request, fds, _, _ = socket.recv_fds(sock, _MESSAGE_MAX, 2)
        except OSError:
            return
        if not request:
            return  # the supervisor closed its end
        try:
            if len(fds) != 2:
                raise ValueError(f"{len(fds)} descriptors instead of 2")
            answer: dict[str, object] = {"pid": _fork_session(json.loads(request), fds, sock)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        sock.send(json.dumps(answer).encode())
        if not frozen:
            # After the first fork, while that session runs: every later session starts
            # from a heap it never collects and whose reference counts it never writes,
            # and knows the statements of the grader's modules a failing test's report
            # looks up (grader.sources).
            from grader import sources  # pytest's internals: not in the supervisor's imports

            sources.learn(sources.traceback_modules())
            heap.freeze()
            frozen = True


def _fork_session(request: dict[str, object], fds: list[int], sock: socket.socket) -> int:
    """Fork a session through a middle process that exits; the session's pid."""
    gate_r, gate_w = os.pipe()
    pid_r, pid_w = os.pipe()
    middle = os.fork()
    if middle == 0:  # pragma: no cover - the middle process
        code = 1
        try:
            os.close(gate_w)
            os.close(pid_r)
            session = os.fork()
            if session == 0:
                os.close(pid_w)
                sock.close()
                _become_session(request, fds[0], fds[1], gate_r)
            os.write(pid_w, str(session).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(gate_r)
    os.close(pid_w)
    try:
        with os.fdopen(pid_r, "rb") as told:
            text = told.read()
        os.waitpid(middle, 0)  # gone: the session is the supervisor's child from now on
    finally:
        os.close(gate_w)  # the session may start
    return int(text)


def _become_session(request: dict[str, object], output_fd: int, key_fd: int, gate_r: int) -> None:
    """In the forked session: wait to be re-parented, take the descriptors, run pytest."""
    code = 1
    try:
        os.setsid()
        os.read(gate_r, 1)  # end of file once the middle process has been reaped
        os.close(gate_r)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.dup2(key_fd, KEY_FD)
        os.closerange(KEY_FD + 1, os.sysconf("SC_OPEN_MAX"))
        os.chdir(str(request["cwd"]))
        env, argv = request["env"], request["argv"]
        if not isinstance(env, dict) or not isinstance(argv, list):
            raise TypeError("env and argv")
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
        args = [str(a) for a in argv]
        # As under `python -m pytest` run in that folder: the module search path starts
        # there (when the interpreter's flags put a folder first at all), and __main__ is
        # pytest's (multiprocessing's spawn imports it again in its children).
        if sys.path and sys.path[0] == _STARTED_IN:
            sys.path[0] = os.getcwd()
        main_module = sys.modules["pytest.__main__"]
        sys.modules["__main__"] = main_module
        sys.argv = [main_module.__file__ or "pytest", *args]
        import pytest

        _use_premade_config(args)
        code = int(pytest.main(args))
    except SystemExit as exc:
        code = isolation.system_exit_code(exc)
    except BaseException:
        traceback.print_exc()
    finally:
        isolation.flush_and_exit(code)


def _warm() -> None:
    """Import what every session imports (pytest, its plugins, the grader's plugin)."""
    for name in WARM:
        importlib.import_module(name)
    for name in OPTIONAL_WARM:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    from _pytest.config import default_plugins, essential_plugins

    for name in {*essential_plugins, *default_plugins}:  # loaded by every session's config
        importlib.import_module(f"_pytest.{name}")


PREMADE = StashKey[bool]()  # set on the configuration a session got from its zygote


@dataclass
class _Premade:
    """pytest's configuration as its ``get_config`` begins every session's, made once here,
    and the arguments ``pytest.main`` passes to ``get_config`` besides the command line."""

    config: Any
    passes: dict[str, Any]


class _Asked(Exception):
    """Raised by the stand-in for get_config that learns how pytest.main calls it."""

    def __init__(self, plugins: Any, more: dict[str, Any]) -> None:
        super().__init__()
        self.plugins, self.more = plugins, more


_PREMADE: _Premade | None = None


def _premade_config() -> _Premade | None:
    """What pytest makes first in every session: a plugin manager with pytest's 34 default
    plugins and the session's own (``-p``) registered and their options declared, the same
    for every session. Each ``-p`` plugin also costs a search of every installed package's
    entry points. How ``pytest.main`` calls ``get_config`` (its ``prog``) is learnt by
    calling it once with a stand-in. None where this pytest does it differently: sessions
    then make their own."""
    try:
        import pytest
        from _pytest import config as pytest_config

        made_by_pytest = pytest_config.get_config

        def ask(args: Any = None, plugins: Any = None, **more: Any) -> Any:
            raise _Asked(plugins, more)

        pytest_config.get_config = ask
        try:
            pytest.main(list(SESSION_PLUGINS))
        except _Asked as asked:
            if asked.plugins:
                return None
            config = made_by_pytest(list(SESSION_PLUGINS), None, **asked.more)
            config.pluginmanager.consider_preparse(list(SESSION_PLUGINS), exclude_only=False)
            config.stash[PREMADE] = True
            return _Premade(config, asked.more)
        finally:
            pytest_config.get_config = made_by_pytest
    except Exception:
        pass
    return None


def _plugin_options(args: Sequence[str]) -> set[str]:
    """The plugins ``args`` load or block (``-p NAME``, ``-p no:NAME``, ``-pNAME``)."""
    names = {b for a, b in itertools.pairwise(args) if a == "-p"}
    return names | {a[2:] for a in args if a.startswith("-p") and len(a) > 2}


def _use_premade_config(args: list[str]) -> None:
    """Make pytest's next ``get_config`` return this session's copy of the zygote's, if the
    session loads and blocks the same plugins, debugs nothing and is called as the zygote's
    was (pytest then finds each ``-p`` plugin registered and searches no entry points)."""
    premade = _PREMADE
    if premade is None or _plugin_options(args) != _plugin_options(SESSION_PLUGINS):
        return
    if os.environ.get("PYTEST_DEBUG"):
        return  # its plugin manager would have traced from the start
    from _pytest import config as pytest_config

    made_by_pytest = pytest_config.get_config

    def get_config(args: Any = None, plugins: Any = None, **more: Any) -> Any:
        pytest_config.get_config = made_by_pytest  # once: a second main makes its own
        if plugins or more != premade.passes:
            return made_by_pytest(args, plugins, **more)
        premade.config.invocation_params = pytest_config.Config.InvocationParams(
            args=args or (), plugins=None, dir=pathlib.Path.cwd()
        )
        return premade.config

    pytest_config.get_config = get_config


def main(argv: list[str]) -> None:
    global _PREMADE
    sock_fd, supervisor = int(argv[0]), int(argv[1])
    if os.getppid() != supervisor:
        return  # it died before we could watch it
    sock = socket.socket(fileno=sock_fd)
    _warm()
    _PREMADE = _premade_config()
    serve(sock, supervisor)
    isolation.flush_and_exit(0)  # nothing to finalise (and its heap is immortal: grader.heap)


if __name__ == "__main__":
    # Run as grader.zygote, not as __main__: code in a session forked here that imports
    # grader.zygote (a test reading PREMADE) must find this module's state, not a copy.
    from grader import zygote

    zygote.main(sys.argv[1:])
