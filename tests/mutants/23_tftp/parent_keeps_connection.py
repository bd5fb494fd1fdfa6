"""The parent forgets to close its copy of the connected socket after fork(): the server
leaks one descriptor per client, and a client never sees the end of the stream after QUIT.

Must fail: test_quit_closes_cleanly, test_fifty_clients_leave_no_zombies_or_fds
"""


class TFTPServer(TFTPServer):
    def serve_forever(self):
        signal.signal(signal.SIGCHLD, _reap_children)
        kept = []
        while True:
            conn, _ = self.listener.accept()
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    self.listener.close()
                    self.handle(conn)
                except BaseException:
                    code = 1
                finally:
                    conn.close()
                    os._exit(code)
            kept.append(conn)  # never closed in the parent
