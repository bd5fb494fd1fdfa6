"""An iterative (loop) server: it serves each client to the end before accepting the next,
so a client that holds its connection open blocks everybody else.

Must fail: test_slow_download_does_not_block_list, test_each_client_has_its_own_process
"""


class TFTPServer(TFTPServer):
    def serve_forever(self):
        while True:
            conn, _ = self.listener.accept()
            with conn:
                self.handle(conn)
