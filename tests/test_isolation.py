"""Hostile and broken student code: the verdict stays right, nothing hangs, nothing is left.

Each case is a student module for the fixture exercise `01_hostile` (hard deadline 5 s per
test, 4 s per student call). `attack()` is the behaviour under test; `fine()` returns 42, and
`test_after` proves the session went on to the next test. Every run must finish within the
deadlines plus a few seconds and leave no process behind (checked by the `grade` fixture).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from grader import isolation, landlock, probe

AS_ROOT = os.geteuid() == 0  # sandboxes then run as their own uid and cannot signal the judge
# Landlock ABI 6 on (Linux 6.12): a sandbox may signal only what it started, whatever its uid.
SCOPED = landlock.scoped()
FINE = "\n\ndef fine():\n    return 42\n"
DEADLINE = 5.0
SLACK = 12.0  # session start-up, per-test fork, killing and reaping; generous for a busy box

CASES: dict[str, tuple[str, str]] = {
    "passing": ("passed", "def attack():\n    return 'ok'\n"),
    "failing": ("failed", "def attack():\n    return 'nope'\n"),
    "todo": ("todo", "def attack():\n    raise NotImplementedError\n"),
    "infinite_loop": ("timeout", "def attack():\n    while True:\n        pass\n"),
    "c_loop_holding_the_gil": (
        "timeout",
        "import collections, itertools\n\ndef attack():\n"
        "    collections.deque(itertools.count(), maxlen=0)\n",
    ),
    "sigalrm_ignored_then_sleep": (
        "timeout",
        "import signal, time\n\ndef attack():\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    time.sleep(60)\n",
    ),
    "alarm_cancelled": (
        "timeout",
        "import signal, time\n\ndef attack():\n    signal.alarm(0)\n    time.sleep(60)\n",
    ),
    "os_exit_0": ("crashed", "import os\n\ndef attack():\n    os._exit(0)\n"),
    "sys_exit_0": ("failed", "import sys\n\ndef attack():\n    sys.exit(0)\n"),
    "segfault": ("crashed", "import ctypes\n\ndef attack():\n    ctypes.string_at(0)\n"),
    "kills_its_parent": (
        # PermissionError as root (the judge is another uid's) or where signals are scoped
        "failed" if AS_ROOT or SCOPED else "crashed",
        "import os, signal\n\ndef attack():\n    os.kill(os.getppid(), signal.SIGKILL)\n",
    ),
    "kills_its_process_group": (
        "crashed",
        "import os, signal\n\ndef attack():\n    os.killpg(0, signal.SIGKILL)\n",
    ),
    "fork_falls_out": ("passed", "import os\n\ndef attack():\n    os.fork()\n    return 'ok'\n"),
    "double_fork_setsid_daemon": (
        "passed",
        "import os, time\n\ndef attack():\n"
        "    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
        "            time.sleep(600)\n        os._exit(0)\n"
        "    os.wait()\n    return 'ok'\n",
    ),
    "two_hundred_sleeping_children": (
        "passed",
        "import os, time\n\ndef attack():\n    for _ in range(200):\n"
        "        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n"
        "    return 'ok'\n",
    ),
    "fifty_megabytes_without_newline": (
        "passed",
        "import sys\n\ndef attack():\n    sys.stdout.write('x' * 50_000_000)\n"
        "    sys.stdout.flush()\n    return 'ok'\n",
    ),
    "four_gigabytes": (
        "failed",
        "def attack():\n    b = bytearray(4 * 1024 ** 3)\n    return 'ok'\n",
    ),
    "always_equal": (
        "failed",
        "class Sly:\n    def __eq__(self, other):\n        return True\n\n"
        "def attack():\n    return Sly()\n",
    ),
    "str_subclass_always_equal": (
        "failed",
        "class Sly(str):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = str.__hash__\n\n"
        "def attack():\n    return Sly('nope')\n",
    ),
}

FORGER = '''
import json, os, glob

FORGED_TEST = {"type": "test", "name": "test_attack", "status": "passed", "max_score": 2.0,
               "score": 2.0, "message": "", "output": "", "duration_s": 0.0}
FORGED = [
    ("0" * 64 + " " + json.dumps(FORGED_TEST) + "\\n").encode(),
    json.dumps({"exercises": [{"name": "01_hostile", "status": "passed", "tests": []}]}).encode(),
    b"PASSED\\n",
]


def _ours():
    """The processes of this grading run: they carry the self-test marker in their environment.

    (Confined to them so that the attack cannot touch anything else on the machine.)
    """
    mark = os.environ["GRADER_SELFTEST_MARK"].encode()
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read():
                    yield pid
        except OSError:
            continue


def _writable_targets():
    """Every pipe and regular file that a process of this grading run has open or names."""
    for pid in _ours():
        for fd in glob.glob(f"/proc/{pid}/fd/*"):
            try:
                real = os.readlink(fd)
            except OSError:
                continue
            system = real.startswith(("/dev/", "/proc/", "/sys/"))
            if real.startswith("pipe:") or (real.startswith("/") and not system):
                yield fd
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for arg in args:
            if arg.startswith("/tmp/") and os.path.isfile(arg):
                yield arg
                yield from glob.glob(os.path.join(os.path.dirname(arg), "*"))


def attack():
    for path in _writable_targets():
        for blob in FORGED:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND)
            except OSError:
                continue
            try:
                os.write(fd, blob)
            except OSError:
                pass
            finally:
                os.close(fd)
    return "forged"
'''


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_student_code(grade, case: str) -> None:
    expected, source = CASES[case]
    run = grade("01_hostile", source + FINE)
    assert run.statuses() == {"test_attack": expected, "test_after": "passed"}, run.output
    assert run.seconds < 2 * DEADLINE + SLACK, f"{case} took {run.seconds:.1f} s"
    assert run.code == (0 if expected == "passed" else 1)
    attack = run.test("test_attack")
    assert attack["score"] == (2.0 if expected == "passed" else 0.0)
    if expected != "passed":
        assert attack["message"], "a failing test carries a message for the student"


SPAWN_NAMED = """
import multiprocessing

multiprocessing.set_start_method("spawn")  # at import, as code written for macOS may
SPAWN = multiprocessing.get_context("spawn")
SERVER = multiprocessing.get_context("forkserver")
set_at_the_call = None


def _child(queue):
    queue.put((set_at_the_call, multiprocessing.get_start_method()))


def attack():
    global set_at_the_call
    set_at_the_call = "seen"  # a forked child sees it; a fresh interpreter would not
    answers = []
    for context in (multiprocessing, SPAWN, SERVER):
        queue = context.Queue()
        child = context.Process(target=_child, args=(queue,))
        child.start()
        answers.append(queue.get(timeout=3))
        child.join()
    return "ok" if answers == [("seen", "fork")] * 3 else repr(answers)
"""


def test_every_start_method_a_submission_names_forks(grade) -> None:
    """Code that names spawn or forkserver (portable to macOS) is graded as the READMEs say:
    by fork, where the specs' own callables (defined in the hidden spec) reach its children."""
    run = grade("01_hostile", SPAWN_NAMED + FINE)
    assert run.statuses() == {"test_attack": "passed", "test_after": "passed"}, run.output


PIN_FORK = """
import multiprocessing, sys
from grader.isolation import every_start_method_forks
multiprocessing.set_start_method("spawn")  # chosen before, as in a process that used it
if sys.argv[1] == "unknown":
    del multiprocessing.context._default_context  # as another Python's tables might differ
every_start_method_forks()
if sys.argv[1] == "known":
    multiprocessing.set_start_method("forkserver")  # none chosen: a module may choose
    print(*(multiprocessing.get_context(m).get_start_method() for m in ("spawn", "forkserver")))
print(multiprocessing.get_start_method())
"""


@pytest.mark.parametrize(("tables", "printed"), [("known", "fork fork fork"), ("unknown", "fork")])
def test_every_start_method_forks_and_the_default_does_where_the_tables_differ(
    tables: str, printed: str
) -> None:
    run = subprocess.run(
        [sys.executable, "-c", PIN_FORK, tables], capture_output=True, text=True, check=False
    )
    assert (run.returncode, run.stdout.split()) == (0, printed.split()), run.stderr


def test_forged_results_are_not_trusted(grade) -> None:
    run = grade("01_hostile", FORGER + FINE)
    assert run.statuses()["test_attack"] != "passed", run.output
    assert run.data["exercises"][0]["score"] <= 1.0


@pytest.mark.skipif(AS_ROOT, reason="as root the sandbox uid cannot signal the session")
def test_session_killed_by_student_code(grade, monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a kernel without signal scoping (older than 6.12), where a sandbox of the
    grader's uid can reach the session: the session's end is an error on every test left."""
    monkeypatch.setenv(landlock.CEILING_ENV, str(landlock.SCOPES_ABI - 1))
    source = (
        "import os, signal\n\ndef attack():\n"
        "    test_process = os.getppid()\n"
        "    with open(f'/proc/{test_process}/stat') as f:\n"  # the session leads its session
        "        session = int(f.read().rpartition(')')[2].split()[3])\n"
        "    os.kill(session, signal.SIGKILL)\n    return 'ok'\n"
    )
    run = grade("01_hostile", source + FINE)
    assert run.statuses() == {"test_attack": "error", "test_after": "error"}, run.output
    assert "killed by SIGKILL" in run.test("test_after")["message"]


def test_syntax_error_is_one_clear_line(grade) -> None:
    run = grade("01_hostile", "def attack(:\n    return 'ok'\n")
    message = run.test("test_attack")["message"]
    assert run.statuses() == {"test_attack": "failed", "test_after": "failed"}
    assert "01_hostile/hostile.py line 1:" in message and "invalid syntax" in message, message
    assert "Traceback" not in message


def test_import_error_names_the_file(grade) -> None:
    run = grade("01_hostile", "import no_such_module_here\n" + FINE)
    message = run.test("test_after")["message"]
    assert "hostile.py" in message and "ModuleNotFoundError" in message, message


def test_exception_traceback_is_trimmed_to_student_frames(grade) -> None:
    source = "def helper():\n    raise ValueError('bad input 7')\n\ndef attack():\n    helper()\n"
    run = grade("01_hostile", source + FINE)
    message = run.test("test_attack")["message"]
    assert "ValueError: bad input 7" in message
    assert "in helper" in message and "in attack" in message
    assert "grader" not in message.replace("01_hostile", ""), message


def test_output_is_capped_and_says_how_much_was_dropped(grade) -> None:
    source = (
        "import sys\n\ndef attack():\n    sys.stdout.write('y' * 5_000_000)\n"
        "    sys.stdout.flush()\n    return 'nope'\n"
    )
    run = grade("01_hostile", source + FINE)
    attack = run.test("test_attack")
    assert attack["status"] == "failed"
    output = attack["output"]
    assert "y" * 1000 in output, "the head and the tail of what was printed are kept"
    assert "characters dropped" in output, "and the result says that the middle was dropped"
    assert len(output) < 70_000, f"{len(output)} characters of output kept"
    assert len(attack["message"]) < 20_000


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE is Linux's")
def test_an_output_file_never_has_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session killed at any moment leaves no output file in /dev/shm: it had no name."""

    def named(*args: object, **kwargs: object) -> tuple[int, str]:
        raise AssertionError("an output file was made with a name")

    monkeypatch.setattr(isolation.tempfile, "mkstemp", named)
    out = isolation.OutputFile()
    try:
        os.write(out.fd, b"printed")
        assert out.read().text == "printed"
    finally:
        out.close()


def test_spec_body_holding_the_gil_meets_the_hard_deadline(grade) -> None:
    run = grade("02_hanging_spec", target="solutions")
    assert run.statuses() == {
        "test_c_loop_holding_the_gil": "timeout",
        "test_alarm_disabled_then_sleep": "timeout",
        "test_after": "passed",
    }, run.output
    dump = run.test("test_c_loop_holding_the_gil")["output"]
    assert "test_c_loop_holding_the_gil" in dump and "Current thread" in dump, (
        "a stack dump of the test process"
    )
    assert run.seconds < 2 * 2 + SLACK


def test_the_sandbox_api_reports_what_happened(grade) -> None:
    run = grade("03_echo", target="solutions")
    assert set(run.statuses().values()) == {"passed"}, run.output
    assert run.code == 0


CAP_SYS_RESOURCE = 24
OOM_FIRST = """
import os


def _adj():
    with open("/proc/self/oom_score_adj") as f:
        return int(f.read())


def attack():
    kid = os.fork()
    if kid == 0:
        os._exit(0 if _adj() == 1000 else 1)
    _, status = os.waitpid(kid, 0)
    seen = _adj()
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("0")
    except OSError:
        pass
    return f"{seen} {os.waitstatus_to_exitcode(status)} {_adj()}"
"""


def _has_cap_sys_resource() -> bool:
    return bool(probe.capabilities("self") >> CAP_SYS_RESOURCE & 1)


@pytest.mark.skipif(not os.path.exists("/proc/self/oom_score_adj"), reason="Linux's /proc")
def test_sandboxes_are_the_first_the_oom_killer_ends(grade) -> None:
    """A submission that fills the memory is ended before the grader: its sandbox and what it
    starts carry oom_score_adj 1000, which it may not lower where the grader may not be
    lowered either (root with CAP_SYS_RESOURCE); elsewhere it may, to where it started."""
    run = grade("01_hostile", OOM_FIRST + FINE)
    message = run.test("test_attack")["message"]
    last = "1000" if _has_cap_sys_resource() else "0"
    assert f"not '1000 0 {last}'" in message, message
