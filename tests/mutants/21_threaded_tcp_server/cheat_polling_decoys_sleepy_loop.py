"""Cheat (red team, gap 21 "still open"): the main thread serves every client itself, from
non-blocking sockets, in a loop that sleeps 5 ms a turn (accept, recv, send, sleep). Each
connection also gets a decoy thread that only ``poll()``s its own client's socket and never
reads it, so the judge sees one thread per client, each waiting on that client's socket alone,
and thread counts that rise and fall as they should. No client is ever served by "its" thread.

Must fail: test_one_thread_per_client_and_no_fork
"""

import select
import time

TURN = 0.005  # seconds the serving loop sleeps between turns
CHUNK = 65536


class Conn:
    def __init__(self, sock, max_line):
        self.sock = sock
        self.fd = sock.fileno()
        self.max_line = max_line
        self.buf = bytearray()
        self.out = bytearray()
        self.discarding = False
        self.closing = False  # close once `out` is flushed
        self.gone = threading.Event()
        threading.Thread(target=self.decoy, daemon=True).start()

    def decoy(self):
        """Wait on this client's socket, as an honest thread with a timeout would, and read
        nothing: poll() returns while bytes wait, so nap until the loop has taken them."""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self.gone.is_set():
            try:
                poller.poll()
            except OSError:
                return
            self.gone.wait(TURN)

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
                self.out += reply_to(line).encode("utf-8") + b"\n"
                if line == b"QUIT":
                    self.closing = True
        if len(self.buf) > self.max_line:
            if not self.discarding:
                self.out += b"ERR line too long\n"
                self.discarding = True
            self.buf.clear()

    def close(self):
        self.gone.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the decoy's poll()
        except OSError:
            pass
        self.sock.close()

    def turn(self):
        """Read what has come, answer it, write what fits; False once the client is gone."""
        try:
            for _ in range(256):
                if self.closing or len(self.out) > 8 * 1024 * 1024:  # a slow reader: wait
                    break
                try:
                    chunk = self.sock.recv(CHUNK)
                except BlockingIOError:
                    break
                if not chunk:
                    self.closing = True
                    break
                self.feed(chunk)
            while self.out:
                try:
                    sent = self.sock.send(self.out)
                except BlockingIOError:
                    break
                del self.out[:sent]
        except OSError:
            self.close()
            return False
        if self.closing and not self.out:
            self.close()
            return False
        return True


def serve(port, max_line=MAX_LINE):
    signal.signal(signal.SIGTERM, _stop)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        listener.setblocking(False)
        clients = []
        while True:
            while True:
                try:
                    sock, _address = listener.accept()
                except BlockingIOError:
                    break
                sock.setblocking(False)
                clients.append(Conn(sock, max_line))
            clients = [c for c in clients if c.turn()]
            time.sleep(TURN)
