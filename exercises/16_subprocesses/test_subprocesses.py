"""Spec for exercise 16 — subprocess. Run it with `grader check subprocesses`.

The judge observes; the sandbox only acts. Every run is a started scenario in a sandbox
process, the *caller*, which calls the student's function; the judge holds the other end of
every conversation and reads the process table itself:

* the programs the student runs are small Python scripts this spec writes into a temporary
  folder (and, in Part 2, the real ``grep``). Each script says a line on the channel the
  judge holds (``grader.spec.channel``); the kernel tells the judge which process connected
  (``SO_PEERCRED``: ``peer.pid``), and the judge reads that process's parent (``peer.row``,
  at the accept) and command line from ``/proc`` while the script waits for its answer: a
  program started through a shell has the shell as its parent, and an argument split or
  mangled on the way shows in the kernel's own copy of ``argv``. A process that says the
  program's lines without running the program (its ``argv`` is not the program's) is not
  believed: the judge does not kill it for the program, and does not count it as the program;
* what the programs print, the exit code they end with and the signal that kills them are
  drawn at random by the judge, sent to the script only once it runs (or, for a signal, sent
  by the judge itself): a result nobody can know without running the program and waiting;
* Part 2's ``grep`` reads a FIFO the judge made: it blocks until the judge writes, so the
  judge sees which process opened the file, with which ``argv`` and which parent;
* Part 3: while the second stage is held (it waits for the judge's answer), the judge reads
  every descriptor of the caller and of its descendants (``/proc/<pid>/fd`` and ``fdinfo``)
  and sees who holds the read end and the write end of the pipe between the stages. The
  first stage's program gets a key from the judge when it starts (its argv read by the judge)
  and says it back when a write finds no reader, before it dies of SIGPIPE: a first stage
  ended any other way (a SIGKILL, and -13 returned for it) never says it;
* once the student's function has returned, the scenario tells the judge so and waits; the
  judge then looks for children still running or left as zombies below the caller.

What a scenario sends (the function's return value, the name of an exception it raised) is
the student's claim, compared with what the judge knows. Nothing waits with a sleep.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from grader.spec import Outcome, Running, channel, check, fail, probe

# README references (checked by `grader verify` against the headings of both READMEs).
API_EN = "(README: 'The API')"
API_ZH = "（README.zh-CN:「接口」）"
P1_EN = "(README: 'Part 1 — run a program and capture its output')"
P1_ZH = "（README.zh-CN:「第一部分：运行程序并捕获输出」）"
CODES_EN = "(README: 'Exit codes and signals')"
CODES_ZH = "（README.zh-CN:「退出码与信号」）"
TIMEOUT_EN = "(README: 'A timeout that really kills')"
TIMEOUT_ZH = "（README.zh-CN:「超时就要真正杀死子进程」）"
P2_EN = "(README: 'Part 2 — arguments without a shell')"
P2_ZH = "（README.zh-CN:「第二部分：不经过 shell 传参数」）"
P3_EN = "(README: 'Part 3 — a pipeline')"
P3_ZH = "（README.zh-CN:「第三部分：管道」）"

RUN_S = 8.0  # the longest the judge lets one call run before it gives up on it
TIMEOUT = 0.6  # the timeout given to run_captured in the test of timeouts
TALK_S = 5.0  # the timeout given to run_captured elsewhere (it is never reached)
READER_S = 4.0  # the longest the judge waits for grep to open the FIFO
POLL_S = 0.005
GIVE_UP_S = 20.0  # a script that hears nothing from the judge for this long ends itself
OUT_LINES = 9000  # Part 1: lines to stdout (about 200 KB: three pipes' worth)
ERR_LINES = 5000  # Part 1: lines to stderr (about 110 KB: more than a pipe holds)
HELD_LINES = 500  # Part 3: lines the second stage reads before it reports
KILL_SIGNALS = (
    signal.SIGTERM,
    signal.SIGKILL,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGHUP,
    signal.SIGALRM,
)

# -- the programs the student runs ------------------------------------------------------------

# The scripts run with -I -S (no site, no PYTHONPATH): they find the grader's channel here.
_GRADER_ROOT = str(Path(channel.__file__).resolve().parents[1])

_PREAMBLE = f"""\
import os, signal, sys
sys.path.append({_GRADER_ROOT!r})
from grader.channel import connect, read_line
def heard(conn):
    answer = read_line(conn)
    if not answer:
        os._exit(99)  # the judge closed: it is done with us
    return answer.split()
def judge(address, line):
    return connect(address, line, timeout={GIVE_UP_S!r})
def ask(conn, line):
    conn.sendall(line.encode() + b"\\n")
    return heard(conn)
"""

# talk: print what the judge says to stdout and stderr, then exit with its code.
# hold: print a line, tell the judge, then wait (the judge kills it with a signal).
# hang: tell the judge, then wait for ever (the student's timeout must kill it).
KID = (
    _PREAMBLE
    + """\
address, mode = sys.argv[1], sys.argv[2]
conn = judge(address, "hello " + mode)
answer = heard(conn)
if mode == "talk":
    nonce, outs, errs, code = answer[0], int(answer[1]), int(answer[2]), int(answer[3])
    out, err = sys.stdout.buffer, sys.stderr.buffer
    half = errs // 2
    err.write("".join(f"{nonce} err {i}\\n" for i in range(half)).encode()); err.flush()
    out.write("".join(f"{nonce} out {i}\\n" for i in range(outs)).encode()); out.flush()
    err.write("".join(f"{nonce} err {i}\\n" for i in range(half, errs)).encode()); err.flush()
    os._exit(code)
if mode == "hold":
    nonce = answer[0]
    sys.stdout.write(nonce + " out\\n"); sys.stdout.flush()
    sys.stderr.write(nonce + " err\\n"); sys.stderr.flush()
    ask(conn, "ready")
read_line(conn)
os._exit(98)
"""
)

# The first stage of Part 3: numbered lines for ever; SIGPIPE ends it, as it ends `yes`.
# It says "first" to the judge and gets a key (only a process whose argv the judge reads as
# this program's gets one). A write that finds no reader fails with EPIPE (SIGPIPE ignored
# until then): it says "sigpipe <key>" on that same connection, then dies of SIGPIPE itself,
# returncode -13. The judge alone then knows that the first stage really met a pipe without a
# reader: a first stage killed any other way never says it (and nobody else can say it for
# it: the key went to this process only, and the judge cuts a line another process writes).
STAGE1 = (
    _PREAMBLE
    + """\
address = sys.argv[1]
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
conn = judge(address, "first")
key = heard(conn)[0]
i = 0
try:
    while True:
        os.write(1, "".join(f"line {n}\\n" for n in range(i, i + 100)).encode())
        i += 100
except BrokenPipeError:
    ask(conn, "sigpipe " + key)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)
os._exit(97)
"""
)

# The second stage: read HELD_LINES lines, tell the judge their digest, print the judge's
# answer and exit with its code, without reading the rest.
STAGE2 = (
    _PREAMBLE
    + """\
import hashlib
address, count = sys.argv[1], int(sys.argv[2])
lines = [sys.stdin.buffer.readline() for _ in range(count)]
digest = hashlib.sha256(b"".join(lines)).hexdigest()
conn = judge(address, "held " + digest)
nonce, code = heard(conn)
sys.stdout.write(f"{nonce} {count} {digest}\\n"); sys.stdout.flush()
os._exit(int(code))
"""
)


def _stage1_lines(count: int) -> bytes:
    return "".join(f"line {n}\n" for n in range(count)).encode()


def _python(script: Path) -> list[str]:
    return [sys.executable, "-I", "-S", str(script)]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# -- the sandbox side: a trusted scenario that only acts --------------------------------------


def _scenario(module: ModuleType, address: str, calls: list[tuple[str, list, dict]]) -> object:
    """Scenario: each call in turn; after each, tell the judge and wait for its answer (the
    judge looks at the caller's children meanwhile). Exceptions of subprocess are results."""
    caller = os.getpid()
    results: list[object] = []
    for function, args, kwargs in calls:
        # What the call raised, kept until the judge has looked: its traceback holds the
        # function's frames, and dropping them would let a Popen's __del__ reap a child that
        # the function killed and never waited for (a zombie the judge must see).
        raised: BaseException | None = None
        try:
            value = getattr(module, function)(*args, **kwargs)
            result: dict[str, object] = {"value": value}
        except subprocess.TimeoutExpired as exc:
            result, raised = {"raised": "TimeoutExpired"}, exc
        except subprocess.CalledProcessError as exc:
            result = {"raised": "CalledProcessError", "returncode": exc.returncode}
            raised = exc
        if os.getpid() != caller:
            os._exit(0)  # a forked copy came back: it must not talk for the caller
        channel.talk(address, "returned", timeout=GIVE_UP_S)
        del raised
        if isinstance(result.get("value"), tuple):
            result["value"] = list(result["value"])
        results.append(result)
    return results


# -- the judge's side ---------------------------------------------------------------------------


@dataclass
class Kid:
    """A process that connected to the judge's channel: who it is (``peer.pid``, from the
    kernel), its parent as the judge read it at the accept, and its ``argv`` as the judge read
    it before answering it (it was waiting for the answer: still the same program)."""

    peer: channel.Peer
    argv: list[str] | None  # None: it had ended before the judge could read it

    @property
    def pid(self) -> int:
        return self.peer.pid

    @property
    def ppid(self) -> int | None:
        return self.peer.row.ppid if self.peer.row is not None else None

    @property
    def lines(self) -> list[str]:
        return self.peer.lines

    @property
    def ended(self) -> bool:
        """The judge has read its end: the process closed the connection, or ended."""
        return self.peer.ended

    def answer(self, text: str) -> None:
        self.peer.answer(text)

    def refuse(self) -> None:
        """Shut the connection without an answer: the judge does not talk to an impostor."""
        try:
            self.peer.conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@dataclass
class Look:
    """What the judge saw when the caller said a call had returned."""

    zombies: list[probe.Proc]
    running: list[probe.Proc]


class Judge:
    """The judge's channel, the run it watches, and what it saw."""

    def __init__(self, student, tmp_path: Path) -> None:
        self.student = student
        self.tmp = tmp_path
        self.channel = channel.Channel("16")
        self.peers: list[Kid] = []
        self.looks: list[Look] = []
        self.running: Running | None = None
        self.on_line = lambda peer, line: None  # the test's handler of a script's line
        self.on_tick = lambda: None  # the test's own look, every turn of the loop
        self.sigpiped: set[int] = set()  # Part 3: first stages whose write found no reader

    def script(self, name: str, text: str) -> Path:
        return _write(self.tmp, name, text)

    def kid(self, mode: str) -> list[str]:
        return [*_python(self.script("kid.py", KID)), self.channel.address, mode]

    def run(self, label: str, calls: list[tuple[str, list, dict]]) -> tuple[Outcome, list]:
        """Run the calls in one sandbox; serve the scripts until the last call has returned."""
        try:
            running = self.student.options(label=label).start_scenario(
                _scenario, self.channel.address, calls
            )
            self.running = running
            end = time.monotonic() + RUN_S * len(calls)
            hung = True
            while time.monotonic() < end:
                self._serve()
                self.on_tick()
                if len(self.looks) == len(calls) or running.finished():
                    hung = False
                    break
            if hung:
                outcome = running.time_out()
            else:
                self.channel.wait_for(  # the scenario returns at once: a busy machine
                    lambda: self._serve(0) or running.finished(), 5.0
                )
                outcome = running.stop(grace=0.5)
        finally:
            self.channel.close()
        results = outcome.value if outcome.returned and isinstance(outcome.value, list) else []
        return outcome, results

    def _serve(self, wait: float = POLL_S) -> None:
        """Poll the channel and hand each new line to its handler; the caller's "returned"
        (the kernel says it is the caller) is the judge's own look."""
        fresh = self.channel.new_lines(wait)
        for peer in self.channel.peers[len(self.peers) :]:
            # It waits for our answer, so this is its argv; a program already killed (the
            # timeout test, on a loaded machine) shows none: unknown, never "no arguments".
            self.peers.append(Kid(peer, probe.cmdline(peer.pid)))
        kids = {id(kid.peer): kid for kid in self.peers}
        for said in fresh:
            kid = kids[id(said.peer)]
            if said.text == "returned" and self.running and kid.pid == self.running.pid:
                self._look(kid)
            else:
                self.on_line(kid, said.text)

    def _look(self, peer: Kid) -> None:
        """The caller said a call returned; it waits while the judge reads what is below it.
        (A program that had ended before that was read ended by the same poll.)"""
        assert self.running is not None
        caller = self.running.pid
        # One reading of the process table for both lists: a killed child that turns into a
        # zombie between two readings would be in neither.
        rows = probe.table()
        self.looks.append(
            Look(
                zombies=probe.zombies(caller, rows),
                running=[p for p in probe.descendants(caller, rows) if not p.zombie],
            )
        )
        peer.answer("ok")

    def kids(self) -> list[Kid]:
        """The scripts that connected (not the caller's own 'returned' reports)."""
        caller = self.running.pid if self.running else -1
        return [p for p in self.peers if p.pid != caller]


def _names(lives) -> str:
    return ", ".join(f"pid {life.pid} ({life.name})" for life in lives) or "none"


def _check_no_shell(
    judge: Judge, peer: Kid | Holder, wanted: list[str], en_where: str, zh_where: str
) -> None:
    """The program ran as the caller's own child, with exactly the arguments it was given."""
    caller = judge.running.pid if judge.running else -1
    parent = probe.read(peer.ppid) if peer.ppid else None
    if peer.ppid != caller:
        via = probe.cmdline(peer.ppid) if peer.ppid else None
        fail(
            en=f"the program ran as pid {peer.pid}, whose parent was pid {peer.ppid} "
            f"({parent.name if parent else 'gone'}: {via}), not the caller (pid {caller}): "
            "something, most likely /bin/sh, stood between your function and the program. "
            "Pass the arguments as a list and no shell=True: subprocess then starts the "
            f"program itself {en_where}.",
            zh=f"程序是以 pid {peer.pid} 运行的，它的父进程是 pid {peer.ppid}"
            f"（{parent.name if parent else '已不存在'}：{via}），而不是调用者（pid {caller}）："
            "你的函数和程序之间隔了一层，多半是 /bin/sh。参数用列表传，不要 shell=True，"
            f"这样 subprocess 会直接启动这个程序{zh_where}。",
        )
    check(
        peer.argv == wanted,
        en=f"the program was started with argv {peer.argv!r} (the kernel's own copy, read by "
        f"the judge), not {wanted!r}. Pass the list as it is: each element is one argument, "
        f"spaces and quotes included {en_where}.",
        zh=f"程序启动时的 argv 是 {peer.argv!r}（这是评测程序从内核里读到的），而不是 "
        f"{wanted!r}。把列表原样传进去：每个元素就是一个参数，里面的空格、引号都原样保留"
        f"{zh_where}。",
    )


def _check_nothing_left(judge: Judge, label: str, en_where: str, zh_where: str) -> None:
    for look in judge.looks:
        check(
            not look.running,
            en=f"when {label} had returned, these processes were still running below the "
            f"caller: {probe.describe_all(look.running)}. Every child must have ended, and "
            f"been waited for, before your function returns {en_where}.",
            zh=f"{label} 返回时，调用者下面还有这些进程在运行：{probe.describe_all(look.running)}。"
            f"函数返回之前，每个子进程都必须已经结束，并且被等待回收{zh_where}。",
        )
        check(
            not look.zombies,
            en=f"when {label} had returned, the caller had zombie children: "
            f"{probe.describe_all(look.zombies)}. A child that was killed is still a zombie "
            "until someone waits for it: after kill(), call wait() (subprocess.run does both) "
            f"{en_where}.",
            zh=f"{label} 返回时，调用者还有僵尸子进程：{probe.describe_all(look.zombies)}。"
            "被杀死的子进程在有人等待它之前一直是僵尸：kill() 之后要调用 wait()"
            f"（subprocess.run 两件事都会做）{zh_where}。",
        )


def _value(outcome: Outcome, results: list, index: int, label: str) -> dict:
    """The scenario's record of call ``index``, or fail with why there is none."""
    if index >= len(results):
        if outcome.timed_out:
            fail(
                en=f"{label} did not return within {RUN_S:g} s. Is it waiting for a child "
                "whose output nobody reads (wait() before reading a full pipe), or reading one "
                "stream to its end while the child is blocked writing the other? Use "
                f"communicate() or subprocess.run(capture_output=True) {P1_EN}"
                f"{outcome.where('en')}",
                zh=f"{label} 在 {RUN_S:g} 秒内没有返回。是不是在等待一个输出没人读的子进程"
                "（管道已经写满，却先调用了 wait()），或者在把一个流读到底的时候，子进程正卡在"
                "写另一个流上？用 communicate() 或 subprocess.run(capture_output=True)"
                f"{P1_ZH}{outcome.where('zh')}",
            )
        outcome.value_or_raise()
        fail(
            en=f"{label} did not return {API_EN}",
            zh=f"{label} 没有返回{API_ZH}",
        )
    return results[index]


def _returned(record: dict, label: str) -> object:
    if "raised" in record:
        fail(
            en=f"{label} raised subprocess.{record['raised']} "
            f"(returncode {record.get('returncode')!r}) where it should have returned {API_EN}",
            zh=f"{label} 抛出了 subprocess.{record['raised']}"
            f"（returncode {record.get('returncode')!r}），这里应当正常返回{API_ZH}",
        )
    return record["value"]


# -- Part 1: run a program and capture its output ---------------------------------------------


@pytest.mark.points(3)
def test_output_and_exit_code_are_captured(student, tmp_path):
    judge = Judge(student, tmp_path)
    rng = random.Random()
    nonce = secrets.token_hex(6)
    code = rng.choice([3, 7, 42, 100, 201])

    def on_line(peer: Kid, line: str) -> None:
        if line == "hello talk":
            peer.answer(f"{nonce} {OUT_LINES} {ERR_LINES} {code}")

    judge.on_line = on_line
    args = judge.kid("talk")
    label = f"run_captured({args!r}, timeout={TALK_S})"
    outcome, results = judge.run(label, [("run_captured", [args, TALK_S], {})])
    record = _value(outcome, results, 0, label)
    kids = judge.kids()
    check(
        len(kids) == 1,
        en=f"{label}: the judge's program connected {len(kids)} time(s), not once: run it "
        f"exactly once, with subprocess.run(args, ...) {P1_EN}.",
        zh=f"{label}：评测程序提供的程序连接了 {len(kids)} 次，而不是 1 次：用 "
        f"subprocess.run(args, ...) 运行它，而且只运行一次{P1_ZH}。",
    )
    _check_no_shell(judge, kids[0], args, P1_EN, P1_ZH)
    if record.get("raised") == "TimeoutExpired":
        fail(
            en=f"{label} raised TimeoutExpired, yet the program ends as soon as its output is "
            f"read: it writes {ERR_LINES} lines to stderr and {OUT_LINES} to stdout, more than "
            "a pipe holds (64 KiB), and blocks in write until someone reads. Waiting for it "
            "(wait()) before reading, or reading stdout to its end before stderr, waits for "
            "a program that waits for you. Read both at once: communicate(), or "
            f"subprocess.run(capture_output=True) {P1_EN}.",
            zh=f"{label} 抛出了 TimeoutExpired，可这个程序只要输出被读走就会立刻结束：它向 stderr "
            f"写 {ERR_LINES} 行、向 stdout 写 {OUT_LINES} 行，超过了一个管道的容量（64 KiB），"
            "写满后就阻塞在 write 上，等有人来读。先 wait() 再读，或者先把 stdout 读到底再读 "
            "stderr，都是在等一个正在等你的程序。要同时读两个流：用 communicate()，或者 "
            f"subprocess.run(capture_output=True){P1_ZH}。",
        )
    got = _returned(record, label)
    want_out = "".join(f"{nonce} out {i}\n" for i in range(OUT_LINES))
    want_err = "".join(f"{nonce} err {i}\n" for i in range(ERR_LINES))
    if not (isinstance(got, list) and len(got) == 3):
        fail(
            en=f"{label} returned {str(got)[:200]}: return a tuple (returncode, stdout, "
            f"stderr) {P1_EN}.",
            zh=f"{label} 返回了 {str(got)[:200]}：要返回一个元组 (returncode, stdout, stderr)"
            f"{P1_ZH}。",
        )
    rc, out, err = got
    check(
        rc == code,
        en=f"the program exited with code {code} (the judge chose it at random), and "
        f"{label} returned returncode {rc!r}: return the child's returncode as "
        f"subprocess gives it {CODES_EN}.",
        zh=f"程序以退出码 {code} 结束（由评测程序随机选定），{label} 返回的 returncode 却是 "
        f"{rc!r}：要返回 subprocess 给出的子进程 returncode{CODES_ZH}。",
    )
    for stream, have, want in (("stdout", out, want_out), ("stderr", err, want_err)):
        if isinstance(have, bytes):
            fail(
                en=f"{label} returned its {stream} as bytes: decode it to str (text=True) {P1_EN}.",
                zh=f"{label} 返回的 {stream} 是 bytes：要解码成 str（text=True）{P1_ZH}。",
            )
        check(
            have == want,
            en=f"the program wrote {len(want)} characters to {stream} ({want[:40]!r}...), and "
            f"{label} returned {len(have) if isinstance(have, str) else have!r} character(s) "
            f"of it ({str(have)[:40]!r}...): capture stdout and stderr separately, "
            f"completely, as text {P1_EN}.",
            zh=f"程序向 {stream} 写了 {len(want)} 个字符（{want[:40]!r}...），{label} "
            f"返回的却是 {len(have) if isinstance(have, str) else have!r} 个字符"
            f"（{str(have)[:40]!r}...）：要分别、完整地以文本形式捕获 stdout 和 stderr"
            f"{P1_ZH}。",
        )
    _check_nothing_left(judge, label, P1_EN, P1_ZH)


@pytest.mark.points(2)
def test_a_signal_gives_a_negative_returncode(student, tmp_path):
    judge = Judge(student, tmp_path)
    nonce = secrets.token_hex(6)
    sig = random.choice(KILL_SIGNALS)

    def is_the_program(peer: Kid) -> bool:
        """A process below the caller running exactly args (the kernel's argv, the judge's
        look at the process tree): only the program is killed for the program."""
        caller = judge.running.pid if judge.running else -1
        below = {proc.pid for proc in probe.descendants(caller)}
        return peer.pid in below and peer.argv == args

    def on_line(peer: Kid, line: str) -> None:
        if line == "hello hold":
            peer.answer(nonce)
        elif line == "ready" and is_the_program(peer):
            os.kill(peer.pid, sig)  # the judge itself ends the program
        elif line == "ready":
            peer.refuse()

    judge.on_line = on_line
    args = judge.kid("hold")
    label = f"run_captured({args!r}, timeout={TALK_S})"
    outcome, results = judge.run(label, [("run_captured", [args, TALK_S], {})])
    record = _value(outcome, results, 0, label)
    ready = [p for p in judge.kids() if "ready" in p.lines]
    kids = [p for p in ready if p.argv == args]
    others_en = others_zh = ""
    if len(kids) != len(ready):
        others = ", ".join(
            f"pid {p.pid} (argv {str(p.argv)[:60]}...)" for p in ready if p.argv != args
        )
        others_en = (
            f". Another process said the program's lines in its place: {others}; the judge "
            "reads the argv of whoever connects from the kernel, and kills only the program"
        )
        others_zh = (
            f"。另有进程冒充这个程序说了它的话：{others}；评测程序从内核读取每个连接者的 argv，"
            "只会杀死真正的程序"
        )
    check(
        len(kids) == 1,
        en=f"{label}: the judge's program never got to run (it connected "
        f"{len(judge.kids())} time(s)): run args with subprocess.run{others_en} {P1_EN}.",
        zh=f"{label}：评测程序提供的程序根本没有运行起来（它连接了 {len(judge.kids())} 次）："
        f"用 subprocess.run 运行 args{others_zh}{P1_ZH}。",
    )
    got = _returned(record, label)
    name = signal.Signals(sig).name
    if not (isinstance(got, list) and len(got) == 3):
        fail(
            en=f"{label} returned {str(got)[:200]}: return a tuple (returncode, stdout, "
            f"stderr) {P1_EN}.",
            zh=f"{label} 返回了 {str(got)[:200]}：要返回一个元组 (returncode, stdout, stderr)"
            f"{P1_ZH}。",
        )
    rc, out, err = got
    if rc != -sig:
        how_en = how_zh = ""
        if rc == 128 + sig:
            how_en = f" {rc} is 128 + {int(sig)}: how a shell shows it in $?, not subprocess."
            how_zh = f"{rc} 是 128 + {int(sig)}：这是 shell 在 $? 里的写法，不是 subprocess 的。"
        elif rc == sig:
            how_en = " The sign carries the meaning: a positive code is an exit code."
            how_zh = "符号本身就有含义：正数是退出码。"
        fail(
            en=f"the judge killed the program with {name} (signal {int(sig)}), and {label} "
            f"returned returncode {rc!r}, not {-sig}.{how_en} A child killed by signal N has "
            f"no exit code: subprocess reports returncode -N; return it as it is {CODES_EN}.",
            zh=f"评测程序用 {name}（信号 {int(sig)}）杀死了这个程序，{label} 返回的 returncode "
            f"却是 {rc!r}，而不是 {-sig}。{how_zh}被信号 N 杀死的子进程没有退出码："
            f"subprocess 报告的 returncode 是 -N；原样返回它{CODES_ZH}。",
        )
    check(
        out == f"{nonce} out\n" and err == f"{nonce} err\n",
        en=f"before the judge killed it, the program wrote {nonce + ' out'!r} to stdout and "
        f"{nonce + ' err'!r} to stderr; {label} returned {out!r} and {err!r}: what a child "
        f"wrote before it was killed is still its output {P1_EN}.",
        zh=f"在被评测程序杀死之前，程序向 stdout 写了 {nonce + ' out'!r}，向 stderr 写了 "
        f"{nonce + ' err'!r}；{label} 返回的却是 {out!r} 和 {err!r}：子进程被杀死之前写出的"
        f"内容仍然是它的输出{P1_ZH}。",
    )
    _check_nothing_left(judge, label, P1_EN, P1_ZH)


@pytest.mark.points(3)
def test_the_timeout_kills_and_reaps_the_child(student, tmp_path):
    judge = Judge(student, tmp_path)

    def on_line(peer: Kid, line: str) -> None:
        if line == "hello hang":
            peer.answer("hang")

    judge.on_line = on_line
    args = judge.kid("hang")
    label = f"run_captured({args!r}, timeout={TIMEOUT})"
    outcome, results = judge.run(label, [("run_captured", [args, TIMEOUT], {})])
    if outcome.timed_out and not results:
        fail(
            en=f"{label} was still running {RUN_S:g} s later: the program never ends by itself, "
            f"so only the timeout can stop it. Pass timeout= to subprocess.run (or to "
            f"communicate / wait) {TIMEOUT_EN}{outcome.where('en')}",
            zh=f"{label} 过了 {RUN_S:g} 秒还在运行：这个程序自己永远不会结束，"
            "只有超时才能让它停下。给 subprocess.run（或 communicate / wait）"
            f"传 timeout={TIMEOUT_ZH}"
            f"{outcome.where('zh')}",
        )
    record = _value(outcome, results, 0, label)
    kids = judge.kids()
    # On a loaded machine the program may be killed before it has said hello: then the
    # judge's own samples of the caller's children are the evidence that it ran.
    children = [life for life in outcome.timeline.lives if life.ppid == outcome.pid]
    check(
        len(kids) == 1 or (not kids and children),
        en=f"{label}: the judge's program connected {len(kids)} time(s), not once, and the "
        f"judge saw these children of the caller: {_names(children)}. Run it, once, and let "
        f"the timeout end it {TIMEOUT_EN}.",
        zh=f"{label}：评测程序提供的程序连接了 {len(kids)} 次，而不是 1 次；评测程序看到调用者的"
        f"子进程有：{_names(children)}。运行它一次，让超时来结束它{TIMEOUT_ZH}。",
    )
    if kids and kids[0].argv is not None and kids[0].ppid is not None:
        _check_no_shell(judge, kids[0], args, P1_EN, P1_ZH)  # (else killed before the look)
    check(
        record.get("raised") == "TimeoutExpired",
        en=f"the program never ends by itself, and {label} returned "
        f"{str(record.get('value'))[:100]} instead of raising subprocess.TimeoutExpired "
        f"{TIMEOUT_EN}.",
        zh=f"这个程序自己永远不会结束，{label} 却返回了 {str(record.get('value'))[:100]}，"
        f"而没有抛出 subprocess.TimeoutExpired{TIMEOUT_ZH}。",
    )
    _check_nothing_left(judge, label, TIMEOUT_EN, TIMEOUT_ZH)
    still = ", ".join(f"pid {kid.pid}" for kid in kids if not kid.ended)
    check(
        not still,
        en=f"{label} raised TimeoutExpired, but the program ({still}) was still running: the "
        f"timeout must kill it {TIMEOUT_EN}.",
        zh=f"{label} 抛出了 TimeoutExpired，可程序（{still}）还在运行：超时以后必须杀死它"
        f"{TIMEOUT_ZH}。",
    )


# -- Part 2: arguments without a shell --------------------------------------------------------

PATTERN = "disk full: $HOME `id` $(touch {pwned}) ; 'it''s' \"x\" | *"
FILE_NAME = "app log; rm -rf $HOME & 'q' \"*\".txt"
OTHER = ["disk", "full", "disk full:", "$HOME", "DISK FULL: $HOME", "'it''s'"]


def _grep_lines(rng: random.Random, pattern: str, matches: int) -> tuple[bytes, int]:
    """Lines for grep: ``matches`` of them contain ``pattern``, the rest come close."""
    lines = [f"{rng.choice(OTHER)} {rng.randrange(10**6)}" for _ in range(rng.randrange(5, 15))]
    for _ in range(matches):
        at = rng.randrange(len(lines) + 1)
        lines.insert(at, f"{rng.randrange(100)} {pattern} {rng.choice(OTHER)}")
    return ("\n".join(lines) + "\n").encode(), matches


class Fifo:
    """A FIFO the judge writes into once grep has opened it (the judge sees who did)."""

    def __init__(self, judge: Judge, folder: Path, content: bytes) -> None:
        self.judge = judge
        folder.mkdir(exist_ok=True)
        self.path = folder / FILE_NAME
        os.mkfifo(self.path)
        os.chmod(self.path, 0o666)
        self.content = content
        self.readers: list[Holder] = []
        self.fed = False
        self.argvs: dict[int, list[str] | None] = {}

    def tick(self) -> None:
        if self.fed:
            return
        caller = self.judge.running.pid if self.judge.running else -1
        own = probe.cmdline(caller)
        for proc in probe.descendants(caller):  # what ran meanwhile, for the messages
            argv = None if proc.zombie else probe.cmdline(proc.pid)
            if argv and argv != own:  # a fork not yet exec'd still shows the caller's argv
                self.argvs[proc.pid] = argv
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return  # nobody has opened it for reading yet
        try:
            # The reader is still inside open() until a writer comes: its descriptor shows in
            # /proc only now that ours is open.
            end = time.monotonic() + READER_S
            while not self.readers and time.monotonic() < end:
                self.readers = self._who_reads()
                if not self.readers:
                    time.sleep(POLL_S)
            os.set_blocking(fd, True)
            os.write(fd, self.content)
        except OSError:
            pass
        finally:
            os.close(fd)
            self.fed = True

    def _who_reads(self) -> list[Holder]:
        caller = self.judge.running.pid if self.judge.running else -1
        found = []
        for proc in [probe.read(caller), *probe.descendants(caller)]:
            if proc is None:
                continue
            if str(self.path) in probe.fd_links(proc.pid).values():
                found.append(Holder(proc.pid, proc.ppid, probe.cmdline(proc.pid)))
        return found


def _grep(student, tmp_path: Path, matches: int) -> tuple[Judge, Fifo, dict, str, int, Path]:
    judge = Judge(student, tmp_path)
    pwned = tmp_path / "PWNED"
    pattern = PATTERN.format(pwned=pwned)
    content, want = _grep_lines(random.Random(), pattern, matches)
    fifo = Fifo(judge, tmp_path / "my logs", content)
    judge.on_tick = fifo.tick
    label = f"count_matches({pattern!r}, {str(fifo.path)!r})"
    outcome, results = judge.run(label, [("count_matches", [pattern, str(fifo.path)], {})])
    record = _value(outcome, results, 0, label)
    wanted = ["grep", "-c", "-F", "--", pattern, str(fifo.path)]
    if pwned.exists():
        fail(
            en=f"a shell ran part of the pattern as a command: `$(touch ...)` inside {pattern!r} "
            f"created {pwned}. With shell=True and a string built from the arguments, every $, "
            "`, ;, | and * in them is shell syntax: data became code. Pass the command as a "
            f"list, {wanted!r}, without a shell {P2_EN}.",
            zh=f"有个 shell 把模式里的一部分当成命令执行了：{pattern!r} 里的 `$(touch ...)` 创建了 "
            f"{pwned}。用 shell=True 再拿参数拼成字符串时，参数里的每个 $、`、;、| 和 * 都是 shell "
            f"语法：数据变成了代码。命令要写成列表 {wanted!r}，不经过 shell{P2_ZH}。",
        )
    if not fifo.readers:
        ran = "; ".join(
            f"pid {life.pid} ({life.name})"
            + (f" argv {fifo.argvs[life.pid]}" if life.pid in fifo.argvs else "")
            for life in outcome.timeline.lives
        )
        fail(
            en=f"{label}: grep never opened the file (the judge saw these processes below the "
            f"caller: {ran or 'none'}). The file name has spaces, quotes, ; and *: split into "
            "words, or read by a shell, it names other files. Run "
            f"{wanted!r} as a list, without a shell, and let grep read the file {P2_EN}.",
            zh=f"{label}：grep 始终没有打开这个文件（评测程序在调用者下面看到的进程有："
            f"{ran or '没有'}）。文件名里有空格、引号、; 和 *：按空白切开，或者交给 shell "
            f"解析，它指的就是别的文件了。把 {wanted!r} 作为列表运行，不经过 shell，"
            f"让 grep 自己去读这个文件{P2_ZH}。",
        )
    return judge, fifo, record, label, want, pwned


def _check_grep_ran(judge: Judge, fifo: Fifo, label: str, pattern: str) -> None:
    caller = judge.running.pid if judge.running else -1
    wanted = ["grep", "-c", "-F", "--", pattern, str(fifo.path)]
    reader = fifo.readers[0]
    if reader.pid == caller:
        fail(
            en=f"{label}: the caller itself (pid {caller}) opened the file and read it: the "
            f"count must be grep's, from a child process running {wanted!r} {P2_EN}.",
            zh=f"{label}：是调用者自己（pid {caller}）打开并读取了这个文件：计数必须来自 grep，"
            f"也就是运行 {wanted!r} 的子进程{P2_ZH}。",
        )
    argv = reader.argv
    if argv and os.path.basename(argv[0]) == "grep" and argv[1:] == wanted[1:]:
        argv = wanted  # "grep" or "/usr/bin/grep": either is the program
    _check_no_shell(judge, Holder(reader.pid, reader.ppid, argv), wanted, P2_EN, P2_ZH)


@pytest.mark.points(3)
def test_arguments_reach_grep_unchanged(student, tmp_path):
    matches = random.randrange(2, 9)
    judge, fifo, record, label, want, _ = _grep(student, tmp_path, matches)
    pattern = PATTERN.format(pwned=tmp_path / "PWNED")
    _check_grep_ran(judge, fifo, label, pattern)
    got = _returned(record, label)
    check(
        got == want and type(got) is int,
        en=f"{want} lines of the file contain the pattern (the judge wrote them at random), and "
        f"{label} returned {got!r}: return grep's count as an int (grep -c prints it) "
        f"{P2_EN}.",
        zh=f"文件里有 {want} 行包含这个模式（是评测程序随机写进去的），{label} 却返回了 "
        f"{got!r}：要把 grep 的计数作为 int 返回（grep -c 会把它打印出来）{P2_ZH}。",
    )
    _check_nothing_left(judge, label, P2_EN, P2_ZH)


@pytest.mark.points(2)
def test_no_match_is_zero_and_trouble_raises(student, tmp_path):
    judge, fifo, record, label, _, _ = _grep(student, tmp_path, 0)
    pattern = PATTERN.format(pwned=tmp_path / "PWNED")
    _check_grep_ran(judge, fifo, label, pattern)
    if record.get("raised") == "CalledProcessError":
        fail(
            en=f"no line of the file contains the pattern, and {label} raised "
            f"CalledProcessError (returncode {record.get('returncode')}). grep exits with 1 "
            "when nothing matches: that is a count of 0, not an error. check=True treats every "
            f"non-zero exit as a failure; look at returncode yourself {P2_EN} {CODES_EN}.",
            zh=f"文件里没有一行包含这个模式，{label} 却抛出了 CalledProcessError（returncode "
            f"{record.get('returncode')}）。没有匹配时 grep 以 1 退出：这表示计数为 0，并不是出错。"
            f"check=True 会把所有非零退出都当成失败；要自己看 returncode{P2_ZH}{CODES_ZH}。",
        )
    got = _returned(record, label)
    check(
        got == 0 and type(got) is int,
        en=f"no line of the file contains the pattern, and {label} returned {got!r}, not 0 "
        f"{P2_EN}.",
        zh=f"文件里没有一行包含这个模式，{label} 返回的却是 {got!r}，而不是 0{P2_ZH}。",
    )
    # grep exits with 2 for a file that does not exist: that one is an error.
    missing = str(tmp_path / "my logs" / "no such file; really.txt")
    judge2 = Judge(student, tmp_path)
    label2 = f"count_matches('x', {missing!r})"
    outcome2, results2 = judge2.run(label2, [("count_matches", ["x", missing], {})])
    record2 = _value(outcome2, results2, 0, label2)
    check(
        record2.get("raised") == "CalledProcessError" and record2.get("returncode") == 2,
        en=f"the file does not exist, so grep exits with 2 (trouble), and {label2} gave "
        f"{record2}: raise subprocess.CalledProcessError carrying grep's returncode 2 "
        f"{P2_EN} {CODES_EN}.",
        zh=f"文件不存在，grep 会以 2 退出（出错了），{label2} 的结果却是 {record2}：要抛出带着 "
        f"grep 的 returncode 2 的 subprocess.CalledProcessError{P2_ZH}{CODES_ZH}。",
    )


# -- Part 3: a pipeline -------------------------------------------------------------------------


@dataclass
class Held:
    """What the judge saw while the second stage was held."""

    second: Kid
    digest: str
    readers: list[Holder]  # the processes holding the read end of the stages' pipe
    writers: list[Holder]  # those holding its write end
    pipe: str | None


@dataclass
class Holder:
    """A process holding one end of a pipe, as the judge saw it then."""

    pid: int
    ppid: int
    argv: list[str] | None


def _pipe_holders(caller: int, pipe: str) -> tuple[list[Holder], list[Holder]]:
    readers: list[Holder] = []
    writers: list[Holder] = []
    for proc in [probe.read(caller), *probe.descendants(caller)]:
        if proc is None or proc.zombie:
            continue
        modes = {d.mode for d in probe.descriptors(proc.pid) if d.target == pipe}
        holder = Holder(proc.pid, proc.ppid, probe.cmdline(proc.pid))
        if os.O_WRONLY in modes:
            writers.append(holder)
        if os.O_RDONLY in modes:
            readers.append(holder)
    return readers, writers


def _pipeline(student, tmp_path: Path):
    judge = Judge(student, tmp_path)
    nonce = secrets.token_hex(6)
    code = random.choice([0, 4, 9])
    first = [*_python(judge.script("stage1.py", STAGE1)), judge.channel.address]
    second = [*_python(judge.script("stage2.py", STAGE2)), judge.channel.address, str(HELD_LINES)]
    held: list[Held] = []
    keys: dict[int, str] = {}  # id(peer) -> the key the judge gave that connection

    def on_line(peer: Kid, line: str) -> None:
        if line == "first":
            # The program waits for the key: the argv the judge read is the program's own.
            if peer.argv == first:
                keys[id(peer.peer)] = secrets.token_hex(8)
                peer.answer(keys[id(peer.peer)])
            else:
                peer.refuse()  # not the first stage's program: no key
            return
        if line.startswith("sigpipe "):
            # Its key, on the connection it was given on (the channel takes no line another
            # process writes there).
            given = keys.get(id(peer.peer))
            if line == f"sigpipe {given}":
                judge.sigpiped.add(peer.pid)
            peer.answer("ok")
            return
        if not line.startswith("held "):
            return
        caller = judge.running.pid if judge.running else -1
        pipe = probe.fd_links(peer.pid).get(0)  # its stdin: the pipe from the first stage
        readers, writers = _pipe_holders(caller, pipe) if pipe else ([], [])
        held.append(Held(peer, line.split()[1], readers, writers, pipe))
        peer.answer(f"{nonce} {code}")

    judge.on_line = on_line
    label = f"pipeline({first!r}, {second!r})"
    outcome, results = judge.run(label, [("pipeline", [first, second], {})])
    return judge, outcome, results, held, label, first, second, nonce, code


def _check_first_feeds_second(judge: Judge, h: Held, first: list[str], caller: int) -> None:
    """The second stage's stdin is written by a child running ``first``, not by the caller."""
    writers = sorted(w.pid for w in h.writers)
    if caller in writers or not writers:
        fail(
            en=f"the second stage's stdin ({h.pipe}) was fed by the caller itself "
            f"(pid {caller}), not by a process running {first!r}: run the first stage "
            f"as a program, and connect it to the second with a pipe {P3_EN}.",
            zh=f"第二级的标准输入（{h.pipe}）是由调用者自己（pid {caller}）写入的，而不是运行 "
            f"{first!r} 的进程：第一级也要作为程序运行，再用管道把它和第二级连起来{P3_ZH}。",
        )
    for writer in h.writers:
        _check_no_shell(judge, writer, first, P3_EN, P3_ZH)


@pytest.mark.points(3)
def test_the_parent_closes_its_copy_of_the_pipe(student, tmp_path):
    judge, outcome, results, held, label, first, second, _, _ = _pipeline(student, tmp_path)
    caller = outcome.pid
    if not held:
        if outcome.timed_out or results:
            fail(
                en=f"{label}: the second stage never read its {HELD_LINES} lines from the first "
                f"(the judge saw: {_names(outcome.timeline.lives)}). Start the first with "
                "stdout=subprocess.PIPE and give its p1.stdout to the second as stdin "
                f"{P3_EN}{outcome.where('en')}",
                zh=f"{label}：第二级始终没有从第一级读到它的 {HELD_LINES} 行（评测程序看到的进程："
                f"{_names(outcome.timeline.lives)}）。第一级用 stdout=subprocess.PIPE 启动，"
                f"再把它的 p1.stdout 作为第二级的 stdin{P3_ZH}{outcome.where('zh')}",
            )
        outcome.value_or_raise()
    h = held[0]
    _check_no_shell(judge, h.second, second, P3_EN, P3_ZH)
    _check_first_feeds_second(judge, h, first, caller)
    readers = sorted(r.pid for r in h.readers)
    if caller in readers:
        fail(
            en=f"while the second stage (pid {h.second.pid}) was reading, the caller "
            f"(pid {caller}) still held the read end of the pipe between the stages ({h.pipe}). "
            "Then the pipe keeps a reader when the second stage exits: the first stage never "
            "gets SIGPIPE, fills the pipe and blocks for ever, and so does p1.wait(). Close "
            "the parent's copy, p1.stdout.close(), right after starting the second stage "
            f"{P3_EN}.",
            zh=f"第二级（pid {h.second.pid}）在读数据的时候，调用者（pid {caller}）手里"
            f"还拿着两级之间那个管道（{h.pipe}）的读端。这样第二级退出以后管道仍然有读者："
            "第一级永远收不到 SIGPIPE，把管道写满后就永远阻塞，p1.wait() 也跟着永远等下去。"
            f"启动第二级之后，父进程要立刻关掉自己的那一份：p1.stdout.close(){P3_ZH}。",
        )
    check(
        readers == [h.second.pid],
        en=f"the read end of the pipe between the stages ({h.pipe}) was held by pids "
        f"{readers}, not only by the second stage (pid {h.second.pid}): only the second "
        f"stage may read from the first {P3_EN}.",
        zh=f"两级之间那个管道（{h.pipe}）的读端在 pid {readers} 手里，而不只是第二级"
        f"（pid {h.second.pid}）：只有第二级可以读第一级的输出{P3_ZH}。",
    )


@pytest.mark.points(3)
def test_the_first_stage_ends_by_sigpipe(student, tmp_path):
    judge, outcome, results, held, label, first, _, nonce, code = _pipeline(student, tmp_path)
    if not held:
        outcome.value_or_raise()
        fail(
            en=f"{label}: the second stage never read its {HELD_LINES} lines from the first "
            f"{P3_EN}.",
            zh=f"{label}：第二级始终没有从第一级读到它的 {HELD_LINES} 行{P3_ZH}。",
        )
    h = held[0]
    digest = hashlib.sha256(_stage1_lines(HELD_LINES)).hexdigest()
    check(
        h.digest == digest,
        en=f"the second stage did not read the first stage's first {HELD_LINES} lines: "
        f"connect p1.stdout to the second stage's stdin {P3_EN}.",
        zh=f"第二级读到的并不是第一级输出的前 {HELD_LINES} 行：要把 p1.stdout 接到第二级的 "
        f"stdin{P3_ZH}。",
    )
    _check_first_feeds_second(judge, h, first, outcome.pid)
    if outcome.timed_out and not results:
        fail(
            en=f"{label} did not return within {RUN_S:g} s after the second stage had exited. "
            "The first stage writes for ever: it ends only by SIGPIPE, when the pipe has no "
            "reader left. Does the caller still hold p1.stdout? Close it right after starting "
            f"the second stage {P3_EN}{outcome.where('en')}",
            zh=f"第二级退出以后，{label} 在 {RUN_S:g} 秒内都没有返回。第一级会一直写下去："
            "只有当管道再也没有读者时，它才会因 SIGPIPE 结束。调用者是不是还拿着 p1.stdout？"
            f"启动第二级之后立刻关掉它{P3_ZH}{outcome.where('zh')}",
        )
    record = _value(outcome, results, 0, label)
    got = _returned(record, label)
    want_out = f"{nonce} {HELD_LINES} {digest}\n"
    if not (isinstance(got, list) and len(got) == 3):
        fail(
            en=f"{label} returned {str(got)[:200]}: return a tuple (second's stdout, first's "
            f"returncode, second's returncode) {P3_EN}.",
            zh=f"{label} 返回了 {str(got)[:200]}：要返回一个元组（第二级的 stdout, 第一级的 "
            f"returncode, 第二级的 returncode）{P3_ZH}。",
        )
    out, rc1, rc2 = got
    check(
        out == want_out,
        en=f"the second stage printed {want_out!r}, and {label} returned {out!r} as its "
        f"output: read the second stage's stdout as text (communicate()) {P3_EN}.",
        zh=f"第二级打印的是 {want_out!r}，{label} 返回的输出却是 {out!r}：要以文本方式读取第二级"
        f"的 stdout（communicate()）{P3_ZH}。",
    )
    check(
        rc2 == code,
        en=f"the second stage exited with {code}, and {label} returned {rc2!r} for it "
        f"{P3_EN} {CODES_EN}.",
        zh=f"第二级以 {code} 退出，{label} 给出的却是 {rc2!r}{P3_ZH}{CODES_ZH}。",
    )
    check(
        rc1 == -signal.SIGPIPE,
        en=f"the first stage writes for ever and ends only when a write finds no reader: "
        f"SIGPIPE kills it, returncode {-signal.SIGPIPE}. {label} returned {rc1!r} for it. "
        "Close the parent's p1.stdout after starting the second stage, wait for the first "
        f"stage, and return its returncode as it is {P3_EN} {CODES_EN}.",
        zh=f"第一级会一直写下去，只有在写入时发现管道已经没有读者才会结束：SIGPIPE 杀死它，"
        f"returncode 为 {-signal.SIGPIPE}。{label} 给出的却是 {rc1!r}。启动第二级之后关掉父进程的 "
        f"p1.stdout，等待第一级结束，并原样返回它的 returncode{P3_ZH}{CODES_ZH}。",
    )
    unsaid = [w.pid for w in h.writers if w.pid not in judge.sigpiped]
    check(
        not unsaid,
        en=f"{label} returned -13 for the first stage (pid {', '.join(map(str, unsaid))}), but "
        "it did not end by SIGPIPE: the judge's first program tells the judge when a write "
        "finds the pipe without a reader, just before SIGPIPE kills it, and it never did. "
        "Something else ended it (kill(), terminate()...), and -13 was not its real "
        "returncode. Close the parent's p1.stdout right after starting the second stage, so "
        "that the second stage is the pipe's only reader; then wait for the first stage and "
        f"return p1.returncode as it is {P3_EN} {CODES_EN}.",
        zh=f"{label} 给第一级（pid {', '.join(map(str, unsaid))}）返回了 -13，可它并不是被 "
        "SIGPIPE 结束的：评测程序提供的第一级程序在写入时一旦发现管道已经没有读者，就会在被 "
        "SIGPIPE 杀死之前告诉评测程序，而它从来没有说过。是别的东西结束了它（kill()、"
        "terminate()……），-13 也不是它真正的 returncode。启动第二级之后立刻关掉父进程的 "
        "p1.stdout，让第二级成为管道唯一的读者；然后等待第一级结束，原样返回 p1.returncode"
        f"{P3_ZH}{CODES_ZH}。",
    )
    _check_nothing_left(judge, label, P3_EN, P3_ZH)
