"""LIST keeps every os.path.isfile() name and GET open()s the name: both follow a symbolic link
in the served folder, so a link to a file outside it lets any client read that file.

Must fail: test_symlinks_are_not_served
"""


class TFTPServer(TFTPServer):
    def _regular(self, name):
        return os.path.isfile(os.path.join(self.folder, name))

    def do_get(self, chan, name):
        if not valid_name(name):
            chan.send_line(f"ERR refused name {name!r}")
            return
        path = os.path.join(self.folder, name)
        if not os.path.isfile(path):
            chan.send_line(f"ERR no such file: {name}")
            return
        with open(path, "rb") as f:
            data = f.read()
        chan.sock.sendall(f"OK {len(data)}\n".encode() + data)
