"""PUT writes straight into the final file: while the upload runs, others see half a file,
and a broken upload leaves the partial file behind.

Must fail: test_interrupted_put_leaves_no_partial_file
"""


class TFTPServer(TFTPServer):
    def do_put(self, chan, name, size):
        if not valid_name(name):
            for _ in chan.read_chunks(size):
                pass
            chan.send_line(f"ERR refused name {name!r}")
            return
        with open(os.path.join(self.folder, name), "wb") as f:
            for piece in chan.read_chunks(size):
                f.write(piece)
        chan.send_line("OK 0")
