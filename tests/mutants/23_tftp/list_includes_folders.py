"""LIST sends every entry of os.listdir(), folders included.

Must fail: test_list_shows_regular_files_only
"""


class TFTPServer(TFTPServer):
    def do_list(self, chan):
        names = sorted(name for name in os.listdir(self.folder) if valid_name(name))
        payload = "".join(name + "\n" for name in names).encode("utf-8")
        chan.sock.sendall(f"OK {len(payload)}\n".encode() + payload)
