"""PUT onto a folder's name: os.replace() fails, and the temporary file is left behind while
the error ends the child without an answer.

Must fail: test_put_onto_a_folder_and_malformed_sizes
"""


class TFTPServer(TFTPServer):
    def do_put(self, chan, name, size):
        if not valid_name(name):
            for _ in chan.read_chunks(size):
                pass
            chan.send_line(f"ERR refused name {name!r}")
            return
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            for piece in chan.read_chunks(size):
                f.write(piece)
        os.replace(tmp, os.path.join(self.folder, name))
        chan.send_line("OK 0")
