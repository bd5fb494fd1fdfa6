"""The child serves its client and then falls back into the accept loop instead of calling
os._exit(): every finished child becomes one more server.

Must fail: test_quit_closes_cleanly, test_fifty_clients_leave_no_zombies_or_fds
"""


class TFTPServer(TFTPServer):
    def serve_forever(self):
        signal.signal(signal.SIGCHLD, _reap_children)
        while True:
            conn, _ = self.listener.accept()
            pid = os.fork()
            if pid == 0:
                self.handle(conn)
                conn.close()
                continue  # back to accept(): the child is now a server too
            conn.close()
