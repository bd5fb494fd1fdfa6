"""The server takes one recv() for one message: a command is whatever one recv(1024) returns,
and the data of a PUT is one recv(size). Works in a quiet test by luck; breaks as soon as
bytes arrive split or glued together (粘包).

Must fail: test_put_is_byte_exact, test_server_reads_a_stream_not_messages
"""


class TFTPServer(TFTPServer):
    def handle(self, conn):
        chan = Channel(conn)
        try:
            while True:
                data = conn.recv(1024)
                if not data:
                    return
                line = data.decode("utf-8").strip()
                verb, _, rest = line.partition(" ")
                if verb == "LIST" and not rest:
                    self.do_list(chan)
                elif verb == "GET" and rest:
                    self.do_get(chan, rest)
                elif verb == "PUT" and rest:
                    name, _, size = rest.rpartition(" ")
                    self.do_put(chan, name, int(size))
                elif verb == "QUIT" and not rest:
                    chan.send_line("OK 0")
                    return
                else:
                    chan.send_line(f"ERR unknown command {verb[:40]!r}")
        except (ProtocolError, OSError):
            return

    def do_put(self, chan, name, size):
        data = chan.sock.recv(size) if size else b""
        if not valid_name(name):
            chan.send_line(f"ERR refused name {name!r}")
            return
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.folder, name))
        chan.send_line("OK 0")
