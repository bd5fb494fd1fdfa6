"""Cheat: when the module is imported, a forked helper finds the judge's listening socket (in
/proc/net/unix, or a loopback TCP listener in /proc/net/tcp), connects to it before the
program does and plays the program: it says "ready", answers a quick call with the value the
judge expects, and says "blocked", waits the deadline out with a sleep and says "timeout".
Nothing in the program is ever interrupted; the real program's connection waits unanswered.
A judge that took the first connection from anyone as the program's was fooled; the judge
knows the program's pid, and the kernel says the helper is another process.

Must fail: test_a_blocked_call_ends_at_a_sub_second_deadline, test_value_comes_back_and_the_handler_is_put_back, test_report_runs_in_the_loop_not_in_the_handler
"""

import select
import socket as _socket


def _judges_addresses():
    """Where a judge may listen: its socket files, then loopback TCP listeners."""
    found = []
    try:
        with open("/proc/net/unix") as f:
            for row in f.read().splitlines()[1:]:
                fields = row.split()
                if len(fields) >= 8 and "/katas-" in fields[7]:
                    found.append((_socket.AF_UNIX, fields[7]))
    except OSError:
        pass
    try:
        with open("/proc/net/tcp") as f:
            for row in f.read().splitlines()[1:]:
                fields = row.split()
                host, _, port = fields[1].partition(":")
                if host == "0100007F" and fields[3] == "0A":  # 127.0.0.1, LISTEN
                    found.append((_socket.AF_INET, ("127.0.0.1", int(port, 16))))
    except OSError:
        pass
    return found


def _play_the_program(sock):
    buf = b""

    def send(text):
        sock.sendall(text.encode() + b"\n")

    def read():
        nonlocal buf
        while b"\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                return "bye"
            buf += chunk
        line, _, buf = buf.partition(b"\n")
        return line.decode()

    send("ready")
    while True:
        word, *args = read().split() or ["bye"]
        if word == "bye":
            return
        if word == "arm":
            send("armed")
        elif word == "call":
            kind, seconds, n = args[0], float(args[1]), int(args[2])
            if kind == "quick":
                send(f"returned {sum(i * i % 97 for i in range(n))}")
            else:
                send("blocked" if kind == "block" else "busy")
                time.sleep(seconds + 0.01)
                send("timeout")


def _speak_first():
    ready_r, ready_w = os.pipe()
    helper = os.fork()
    if helper == 0:
        try:
            os.close(ready_r)
            for family, address in _judges_addresses():
                sock = _socket.socket(family, _socket.SOCK_STREAM)
                try:
                    sock.connect(address)
                except OSError:
                    sock.close()
                    continue
                os.write(ready_w, b"x")
                os.close(ready_w)
                _play_the_program(sock)
                break
        finally:
            os._exit(0)
    os.close(ready_w)
    select.select([ready_r], [], [], 2.0)  # the helper is connected: now the program may
    os.close(ready_r)


_speak_first()
