"""Reaps with waitpid(WNOHANG) only after each accept(): the last child stays a zombie for as
long as no new client comes.

Must fail: test_fifty_clients_leave_no_zombies_or_fds
"""


class TFTPServer(TFTPServer):
    def serve_forever(self):
        while True:
            conn, _ = self.listener.accept()
            while True:
                try:
                    done, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if done == 0:
                    break
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
