"""GET of a missing file is not caught: the exception ends the handler and the connection,
so the client gets no ERR answer and cannot go on.

Must fail: test_get_missing_file_is_an_error_and_the_connection_stays_usable
"""


class TFTPServer(TFTPServer):
    def do_get(self, chan, name):
        if not valid_name(name):
            chan.send_line(f"ERR refused name {name!r}")
            return
        with open(os.path.join(self.folder, name), "rb") as f:
            data = f.read()
        chan.sock.sendall(f"OK {len(data)}\n".encode() + data)
