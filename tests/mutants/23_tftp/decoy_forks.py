"""A cheat: a child is forked for every client, but only for show — it holds the connection
and sleeps, while the parent serves the client in a thread. The process table has one child
per client; the connection is served by the parent.

Must fail: test_each_client_has_its_own_process
"""

import threading
import time


class TFTPServer(TFTPServer):
    def serve_forever(self):
        signal.signal(signal.SIGCHLD, _reap_children)
        while True:
            conn, _ = self.listener.accept()
            pid = os.fork()
            if pid == 0:  # the decoy: a child per client in `ps`, doing nothing
                try:
                    time.sleep(1.0)
                finally:
                    os._exit(0)
            threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn):
        try:
            self.handle(conn)
        finally:
            conn.close()
