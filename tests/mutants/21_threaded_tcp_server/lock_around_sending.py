"""Holds one lock for all clients around sendall() ("sockets are not thread-safe"): a client
that reads slowly keeps the lock while its reply waits, and every other client waits with it.

Must fail: test_a_slow_reader_gets_every_byte_and_blocks_nobody
"""

SEND_LOCK = threading.Lock()


def handle_client(conn, max_line):
    with conn:
        try:
            for line in read_lines(conn, max_line):
                reply = b"ERR line too long" if line is None else reply_to(line).encode()
                with SEND_LOCK:
                    conn.sendall(reply + b"\n")
                if line == b"QUIT":
                    return
        except OSError:
            return
