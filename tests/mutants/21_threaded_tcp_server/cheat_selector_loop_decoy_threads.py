"""Cheat (red team, 2026-12-06, gap 21): one ``selectors`` loop in the main thread serves
every client; each connection also gets a decoy thread that only waits on an Event until its
connection closes, so the thread counts rise and fall as they should. No client is ever served
by "its" thread: the judge sees the main thread in epoll_wait on every client's socket and
the other threads in futex.

Must fail: test_one_thread_per_client_and_no_fork
"""

import selectors

RECV_SIZE = 65536
INTEGER = re.compile(r"-?[0-9]+")


def reply_to(line):
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "ERR not utf-8"
    command, space, argument = text.partition(" ")
    if command == "PING":
        return "ERR bad arguments" if space else "PONG"
    if command == "ECHO":
        return argument
    if command == "ADD":
        numbers = argument.split(" ")
        if space and len(numbers) == 2 and all(INTEGER.fullmatch(n) for n in numbers):
            return str(int(numbers[0]) + int(numbers[1]))
        return "ERR bad arguments"
    if command == "QUIT":
        return "ERR bad arguments" if space else "BYE"
    return "ERR unknown command"


class Conn:
    def __init__(self, sock, max_line):
        self.sock = sock
        self.max_line = max_line
        self.buf = bytearray()
        self.out = bytearray()
        self.discarding = False
        self.closing = False  # close once `out` is flushed
        self.gone = threading.Event()
        # the decoy: one idle thread per client, for whoever counts threads
        threading.Thread(target=self.gone.wait, daemon=True).start()

    def feed(self, chunk):
        self.buf += chunk
        while not self.closing:
            end = self.buf.find(b"\n")
            if end < 0:
                break
            line = bytes(self.buf[:end])
            del self.buf[: end + 1]
            if self.discarding:
                self.discarding = False
            elif len(line) > self.max_line:
                self.out += b"ERR line too long\n"
            else:
                self.out += reply_to(line).encode() + b"\n"
                if line == b"QUIT":
                    self.closing = True
        if len(self.buf) > self.max_line:
            if not self.discarding:
                self.out += b"ERR line too long\n"
                self.discarding = True
            self.buf.clear()


def serve(port, max_line=MAX_LINE):
    sel = selectors.DefaultSelector()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(64)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)

    def close(c):
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        c.gone.set()

    def want(c):
        ev = 0 if c.closing else selectors.EVENT_READ
        # stop reading from a client whose replies pile up (a slow reader)
        if len(c.out) > 8 * 1024 * 1024:
            ev = 0
        if c.out:
            ev |= selectors.EVENT_WRITE
        if ev == 0:
            close(c)
            return
        sel.modify(c.sock, ev, c)

    while True:
        for key, mask in sel.select():
            if key.data is None:
                try:
                    sock, _ = listener.accept()
                except BlockingIOError:
                    continue
                sock.setblocking(False)
                c = Conn(sock, max_line)
                sel.register(sock, selectors.EVENT_READ, c)
                continue
            c = key.data
            try:
                if mask & selectors.EVENT_READ and not c.closing:
                    chunk = c.sock.recv(RECV_SIZE)
                    if not chunk:
                        c.closing = True
                    else:
                        c.feed(chunk)
                if c.out and (mask & selectors.EVENT_WRITE or True):
                    try:
                        n = c.sock.send(c.out)
                        del c.out[:n]
                    except BlockingIOError:
                        pass
                want(c)
            except OSError:
                close(c)
