"""A cheat: one thread per client inside the server process, no fork at all. Every client is
answered, at the same time too, but nothing runs in a process of its own.

Must fail: test_each_client_has_its_own_process
"""

import threading


class TFTPServer(TFTPServer):
    def serve_forever(self):
        while True:
            conn, _ = self.listener.accept()
            threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn):
        try:
            self.handle(conn)
        finally:
            conn.close()
