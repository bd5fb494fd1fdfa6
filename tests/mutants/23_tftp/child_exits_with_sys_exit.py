"""The child serves its client, then ends with sys.exit(0) instead of os._exit(0): SystemExit
unwinds through serve() into whatever called it (in a real program, the parent's code runs on
in the child). The course insists on os._exit in a forked child.

Must fail: test_quit_closes_cleanly, test_fifty_clients_leave_no_zombies_or_fds
"""

import sys


class TFTPServer(TFTPServer):
    def serve_forever(self):
        signal.signal(signal.SIGCHLD, _reap_children)
        while True:
            conn, _ = self.listener.accept()
            pid = os.fork()
            if pid == 0:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                self.listener.close()
                self.handle(conn)
                conn.close()
                sys.exit(0)  # unwinds out of serve(): not os._exit
            conn.close()
