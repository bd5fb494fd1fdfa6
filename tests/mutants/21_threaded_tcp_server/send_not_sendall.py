"""Gives each client an idle timeout and writes replies with send(): on a socket with a timeout,
send() writes what fits in the kernel's buffer and returns, and the rest of a large reply to a
slow reader is lost.

Must fail: test_a_slow_reader_gets_every_byte_and_blocks_nobody
"""


def handle_client(conn, max_line):
    conn.settimeout(300)
    with conn:
        try:
            for line in read_lines(conn, max_line):
                if line is None:
                    conn.send(b"ERR line too long\n")
                    continue
                conn.send(reply_to(line).encode("utf-8") + b"\n")
                if line == b"QUIT":
                    return
        except OSError:
            return
