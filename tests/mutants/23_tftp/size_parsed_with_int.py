"""The PUT size is parsed with int() and no check: `PUT x -3` reads nothing and stores an
empty file, `PUT x abc` raises ValueError and the child ends without an answer.

Must fail: test_put_onto_a_folder_and_malformed_sizes
"""


class TFTPServer(TFTPServer):
    def handle(self, conn):
        chan = Channel(conn)
        try:
            while True:
                line = chan.read_line()
                if line is None:
                    return
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
