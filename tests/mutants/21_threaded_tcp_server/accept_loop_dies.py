"""Carried over from the fork server of exercise 20: when a client's connection fails, the
handler calls os._exit(), which there ended one child process. In a thread it ends the whole
process: one client's reset kills the accept loop and every other client with it.

Must fail: test_client_reset_mid_line_does_not_stop_the_server
"""

import os


def handle_client(conn, max_line):
    with conn:
        try:
            for line in read_lines(conn, max_line):
                if line is None:
                    conn.sendall(b"ERR line too long\n")
                    continue
                conn.sendall(reply_to(line).encode("utf-8") + b"\n")
                if line == b"QUIT":
                    return
        except OSError:
            os._exit(1)  # "the child is done"
