"""PUT publishes the upload with shutil.copyfile() onto the name, then deletes the temporary
file: copyfile() opens the destination for writing and follows a symbolic link there, so
`PUT link.txt` where link.txt points outside the folder overwrites the file outside it.

Must fail: test_symlinks_are_not_served
"""

import shutil


class TFTPServer(TFTPServer):
    def do_put(self, chan, name, size):
        if not valid_name(name):
            for _ in chan.read_chunks(size):
                pass
            chan.send_line(f"ERR refused name {name!r}")
            return
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                for piece in chan.read_chunks(size):
                    f.write(piece)
            os.chmod(tmp, 0o644)
            shutil.copyfile(tmp, os.path.join(self.folder, name))  # writes through a link
            os.unlink(tmp)
        except BaseException as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            if isinstance(exc, IsADirectoryError):
                chan.send_line(f"ERR cannot store {name!r}: a folder has that name")
                return
            raise
        chan.send_line("OK 0")
