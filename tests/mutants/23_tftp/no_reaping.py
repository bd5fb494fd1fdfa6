"""The server forks a child per client but never waits for it: every client that leaves
becomes a zombie (僵尸进程) of the server.

Must fail: test_fifty_clients_leave_no_zombies_or_fds
"""


class TFTPServer(TFTPServer):
    def serve_forever(self):
        while True:
            conn, _ = self.listener.accept()
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    self.listener.close()
                    self.handle(conn)
                except BaseException:
                    code = 1
                finally:
                    conn.close()
                    os._exit(code)
            conn.close()
