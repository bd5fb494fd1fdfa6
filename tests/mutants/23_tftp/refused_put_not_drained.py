"""A refused PUT is answered ERR at once, but its announced bytes are left in the stream and
read as the next command.

Must fail: test_names_that_escape_are_refused
"""


class TFTPServer(TFTPServer):
    def do_put(self, chan, name, size):
        if not valid_name(name):
            chan.send_line(f"ERR refused name {name!r}")
            return
        super().do_put(chan, name, size)
